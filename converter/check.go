package converter

import (
	"bytes"
	"context"
	"image"
	"math"
	"slices"

	"github.com/coffre/coffre/converter/internal/jpegenc"
	"github.com/coffre/coffre/converter/scan"
)

// The readability check: every photographed page gets findings (a code and
// a score in [0, 1]) measured on the copies the scan already makes, and a
// verdict. Codes are stable (API, JSON output, catalogue keys "check.<code>");
// the sentences for people live in the api catalogue.

// Finding codes.
const (
	CheckNoPage    = "no_page"    // nothing page-like in the photo
	CheckCutOff    = "cut_off"    // a corner or edge of the page outside the frame
	CheckBlurry    = "blurry"     // the text is out of focus or shaken
	CheckLowRes    = "low_res"    // blurred because the phone's photos are too small (an old 1–2 MP camera)
	CheckGlare     = "glare"      // a blown-out area over the page
	CheckDark      = "dark"       // too dark or too low contrast
	CheckBlank     = "blank"      // no text on the page
	CheckSmallText = "small_text" // text too small to read at the profile's resolution
)

// Verdicts.
const (
	VerdictOK     = "ok"
	VerdictRetake = "retake"
)

// Finding is one problem found on a page. Score is in [0, 1]; the finding
// is reported only when it reaches its threshold (CheckThresholds).
type Finding struct {
	Code  string  `json:"code"`
	Score float64 `json:"score"`
}

// PageCheck is the check of one page of one input.
type PageCheck struct {
	File     string    `json:"file"`
	Page     int       `json:"page"`
	Verdict  string    `json:"verdict"`
	Findings []Finding `json:"findings"`
	// Thumbnail is a small JPEG of the cleaned page (Options.Thumbnail),
	// nil when not asked for. It is never part of the JSON output.
	Thumbnail []byte `json:"-"`
	// Corners are the page's corners used (found, or placed by the person:
	// Input.Corners), in the photo's pixels at full size shown upright,
	// top-left first and clockwise; nil when no outline was found. Not
	// part of the JSON output.
	Corners *[4]Point `json:"-"`
}

// maxThumbnail bounds Options.Thumbnail.
const maxThumbnail = 640

// thumbnail scales the cleaned page down to long pixels on its long side
// and encodes it as a JPEG, in memory.
func thumbnail(img image.Image, long int) []byte {
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 {
		return nil
	}
	s := float64(min(long, maxThumbnail)) / float64(max(b.Dx(), b.Dy()))
	if s < 1 {
		img = resize(img, s)
	}
	var buf bytes.Buffer
	if err := jpegenc.Encode(&buf, img, &jpegenc.Options{Quality: 70}); err != nil {
		return nil
	}
	return buf.Bytes()
}

// CheckThresholds are the scores at or above which a finding is reported,
// in one place. Each score is defined in scoreOf.
var CheckThresholds = map[string]float64{
	CheckNoPage:    0.5,
	CheckCutOff:    0.5,
	CheckBlurry:    0.5,
	CheckLowRes:    0.5,
	CheckGlare:     0.5,
	CheckDark:      0.5,
	CheckBlank:     0.5,
	CheckSmallText: 0.5,
}

// Scales of the scores: each raw measure maps linearly onto [0, 1] so that
// the threshold (0.5) falls at the value given here.
const (
	// a page-like region smaller than this fraction of the photo is no page
	noPageFrac = 0.12
	// a corner closer than this to the edge (of the short side) is cut off
	cutOffMargin = 0.004
	// paper covering this fraction of the photo's border runs out of it
	cutOffBorder = 0.06
	// ink edges wider than this many pixels at the target resolution are blurred
	blurWidth = 3.1
	// A blurred page in a photo of fewer than lowResPixels pixels (an old
	// 1–2 MP phone) is blurred by the camera: holding still would not
	// help, another phone would (low_res). In a larger photo, a blurred
	// page with fewer than lowResDPI pixels per inch of paper is far off
	// in the frame: coming closer helps (small_text's advice). A 3 MP
	// photo of a page filling the frame has about 135.
	lowResPixels = 2_500_000
	lowResDPI    = 120.0
	// more than this fraction of the page blown out is glare
	glareFrac = 0.015
	// paper below this grey level is too dark
	darkPaper = 105.0
	// less than this fraction of the page marked, even faintly, is blank
	blankMarks = 0.002
	// marks that reach the ink level on less than this fraction of the
	// page are print too small (or too faint) to read
	smallInk = 0.002
	// text lines shorter than this many pixels at the target resolution are too small
	smallLine = 10.0
)

// clamp01 maps v onto [0, 1].
func clamp01(v float64) float64 { return math.Max(0, math.Min(1, v)) }

// above scores v against threshold t: 0.5 at t, 1 at 2t, 0 at 0.
func above(v, t float64) float64 { return clamp01(0.5 * v / t) }

// shakenWidth: ink edges wider than this many of the photo's own pixels are
// blurred by the shot (a shake, the focus), not by a small photo or a far
// page: sharp print measures 1.5–2 of them, an old phone's soft lens and
// strong JPEG about 3 (newcomer's review: a strongly blurred 2–3 MP photo
// was told to come closer).
const shakenWidth = 1.5 * blurWidth

// shaken reports whether edges edgeWidth wide at the scan's resolution
// are wider than shakenWidth in the photo's pixels (src.dpi per inch of
// paper; a page scanned above it is magnified by scan/dpi).
func shaken(edgeWidth float64, src photoSize) bool {
	if src.dpi <= 0 || src.scan <= 0 {
		return false
	}
	return edgeWidth*min(1, float64(src.dpi)/float64(src.scan)) > shakenWidth
}

// below scores v against threshold t: 0.5 at t, 1 at 0, 0 at 2t.
func below(v, t float64) float64 { return clamp01(1 - 0.5*v/t) }

// assess turns a scan's measures into findings, in a fixed code order.
// rescale is how much larger than the scan the converter renders the page
// (small print is scanned again at a higher resolution, smallPrintDPI):
// print is too small only if its lines stay short at that resolution.
// src is the photo's size and the page's resolution in it (photoSize): a
// blurred page in a small photo is reported as low_res, one far off in a
// large photo as small_text, instead of blurry.
func assess(r scan.Result, rescale float64, src photoSize) []Finding {
	m := r.Measures
	scores := map[string]float64{}
	noPage := !r.Found && m.PaperFrac < noPageFrac
	if noPage {
		scores[CheckNoPage] = below(m.PaperFrac, noPageFrac)
	} else {
		cut := 0.0
		if r.Found {
			cut = below(m.CornerMargin+cutOffMargin, 2*cutOffMargin)
		}
		if !r.Found || cut >= CheckThresholds[CheckCutOff] {
			cut = math.Max(cut, above(m.PaperAtBorder, cutOffBorder))
		}
		scores[CheckCutOff] = cut
		scores[CheckGlare] = above(m.Blown, glareFrac)
		scores[CheckDark] = below(m.PaperLevel, darkPaper)
		scores[CheckBlank] = below(m.FaintFrac, blankMarks)
		marked := scores[CheckBlank] < CheckThresholds[CheckBlank]
		glare := scores[CheckGlare] >= CheckThresholds[CheckGlare]
		if marked && m.EdgeWidth > 0 {
			scores[CheckBlurry] = above(m.EdgeWidth, blurWidth)
			if b := scores[CheckBlurry]; b >= CheckThresholds[CheckBlurry] {
				switch {
				case shaken(m.EdgeWidth, src):
					// Blurred beyond what the photo's resolution explains:
					// holding still (or focusing) helps whatever the phone.
				case src.pixels > 0 && src.pixels < lowResPixels:
					scores[CheckLowRes] = b
					delete(scores, CheckBlurry)
				case src.dpi > 0 && below(float64(src.dpi), lowResDPI) >= CheckThresholds[CheckSmallText]:
					scores[CheckSmallText] = b
					delete(scores, CheckBlurry)
				}
			}
		}
		// Small print fades below the ink level at the target resolution,
		// or keeps it in short lines; a blurred or washed-out page is
		// reported as such instead.
		_, far := scores[CheckSmallText]
		blurred := scores[CheckBlurry] >= CheckThresholds[CheckBlurry] || scores[CheckLowRes] >= CheckThresholds[CheckLowRes]
		if marked && !glare && !blurred && !far {
			small := below(m.InkFrac, smallInk)
			if m.Lines >= 3 {
				small = math.Max(small, below(float64(m.LineHeight)*max(rescale, 1), smallLine))
			}
			scores[CheckSmallText] = small
		}
	}
	var out []Finding
	for _, code := range checkOrder {
		if s, ok := scores[code]; ok && s >= CheckThresholds[code] {
			out = append(out, Finding{Code: code, Score: math.Round(s*100) / 100})
		}
	}
	return out
}

// CheckCodes returns every finding code, in the order findings are
// reported.
func CheckCodes() []string { return slices.Clone(checkOrder) }

var checkOrder = []string{CheckNoPage, CheckCutOff, CheckBlurry, CheckLowRes, CheckGlare, CheckDark, CheckBlank, CheckSmallText}

// verdict is retake when there is any finding.
func verdict(f []Finding) string {
	if len(f) > 0 {
		return VerdictRetake
	}
	return VerdictOK
}

// Check runs the readability check on every photographed input, under
// opts.Profile's resolution, and returns one PageCheck per photo, in input
// order. PDF inputs are validated but not checked (they are not photos) and
// yield no PageCheck. With opts.Thumbnail each PageCheck carries a small
// JPEG of the cleaned page. Errors are those of Convert's intake and decoding
// (*InputError for a bad input); when ctx ends Check returns ctx.Err().
func (c *Converter) Check(ctx context.Context, inputs []Input, opts Options) ([]PageCheck, error) {
	c.setup()
	prof, err := LookupProfile(opts.Profile)
	if opts.profile != nil {
		prof, err = *opts.profile, nil
	}
	if err != nil {
		return nil, err
	}
	items, err := c.intake(inputs, prof, opts)
	if err != nil {
		return nil, err
	}
	tw, th := a4Pixels(prof.DPI)
	found := make([][]Finding, len(items))
	thumbs := make([][]byte, len(items))
	corners := make([]*[4]Point, len(items))
	jobs := make([]func(context.Context, *item) error, len(items))
	for i, it := range items {
		if it.format == FormatPDF {
			jobs[i] = func(ctx context.Context, it *item) error {
				_, err := intakePDF(ctx, it.in.Data, c.MaxInputBytes)
				return err
			}
			continue
		}
		jobs[i] = func(ctx context.Context, it *item) error {
			src, err := decodeImage(ctx, it.in.Data, it.plan)
			if err != nil {
				return err
			}
			res, err := c.scanner().Scan(ctx, src, scan.Options{Mode: scan.ModeGray, TargetW: tw, TargetH: th, Corners: it.plan.scanCorners(src)})
			if err != nil {
				if ctxErr := ctx.Err(); ctxErr != nil {
					return ctxErr
				}
				return err
			}
			d := smallPrintDPI(res, prof.DPI, sourceDPI(res, it.plan))
			found[it.index] = assess(res, float64(d)/float64(prof.DPI), photoSizeOf(res, it.plan, src, prof.DPI))
			if res.Found {
				corners[it.index] = fullSize(res.Corners, it.plan, src)
			}
			if opts.Thumbnail > 0 {
				thumbs[it.index] = thumbnail(res.Image, opts.Thumbnail)
			}
			return nil
		}
	}
	if err := c.runAll(ctx, items, jobs, nil); err != nil {
		return nil, err
	}
	var out []PageCheck
	for i, it := range items {
		if it.format == FormatPDF {
			continue
		}
		f := found[i]
		if f == nil {
			f = []Finding{}
		}
		out = append(out, PageCheck{File: it.in.Name, Page: 1, Verdict: verdict(f), Findings: f, Thumbnail: thumbs[i], Corners: corners[i]})
	}
	return out, nil
}
