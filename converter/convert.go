package converter

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"runtime"
	"sync"
	"time"

	"github.com/coffre/coffre/converter/scan"
)

// Mode is how photographed pages are rendered (the scanner's modes).
type Mode = scan.Mode

// Rendering modes.
const (
	ModeAuto  = scan.ModeAuto  // text pages in clean grey, photos and ID cards in colour
	ModeColor = scan.ModeColor // colour, lighting flattened
	ModeGray  = scan.ModeGray  // clean grey
	ModeBW    = scan.ModeBW    // 1-bit black and white
)

// ParseMode parses "auto", "color", "gray" or "bw" ("" is auto).
func ParseMode(s string) (Mode, error) { return scan.ParseMode(s) }

// Scanner turns a photo into a flat, upright page image; see package scan
// for the contract. Converter uses scan.Scan unless told otherwise.
type Scanner interface {
	Scan(ctx context.Context, src image.Image, opts scan.Options) (scan.Result, error)
}

// ScanFunc adapts a function to Scanner.
type ScanFunc func(ctx context.Context, src image.Image, opts scan.Options) (scan.Result, error)

// Scan calls f.
func (f ScanFunc) Scan(ctx context.Context, src image.Image, opts scan.Options) (scan.Result, error) {
	return f(ctx, src, opts)
}

// Input is one file to convert, held in memory.
type Input struct {
	// Name is the file's name as the person knows it. It is only echoed
	// back in InputError.Name and PageInfo; it plays no part in deciding
	// the file type and never appears in error strings.
	Name string
	Data []byte
	// Corners, for a photo, are the page's corners as the person placed
	// them, in the photo's pixels at full size shown upright (any order
	// round the page): the scan uses them instead of finding the outline.
	// Corners that CheckCorners refuses make an *InputError wrapping
	// ErrBadCorners; on a PDF they are refused the same way.
	Corners *[4]Point
}

// ReadInput reads one input from r, refusing more than limit bytes
// (ErrInputTooLarge) without reading further.
func ReadInput(r io.Reader, name string, limit int64) (Input, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return Input{}, fmt.Errorf("converter: read input: %w", err)
	}
	if int64(len(data)) > limit {
		return Input{}, fmt.Errorf("%w: over %d bytes", ErrInputTooLarge, limit)
	}
	return Input{Name: name, Data: data}, nil
}

// Options controls one conversion.
type Options struct {
	// Profile is the portal profile's id ("" is "generic").
	Profile string
	// Mode renders photographed pages (default ModeAuto). A profile that
	// requires colour forces ModeColor.
	Mode Mode
	// Kind is the document's kind ("id", "tax", ...) for profiles whose
	// page limit depends on it.
	Kind string
	// CardPairs puts two consecutive ID-card photos (recto and verso) on
	// one page.
	CardPairs bool
	// Progress, when set, is called once per input, in input order, from
	// the goroutine that called Convert, as soon as that input and all
	// before it are converted (before any fit-to-size step).
	Progress func(PageInfo)
	// Thumbnail, for Check only: when > 0, each PageCheck carries a JPEG
	// of the cleaned page (straightened, grey) whose long side is this
	// many pixels (at most 640), made in memory from the scan's own copy.
	Thumbnail int

	// profile replaces the named profile (tests only).
	profile *Profile
}

// PageInfo describes what one input became.
type PageInfo struct {
	Input  int    // 0-based input position
	Name   string // the input's name
	Format Format // detected type
	Page   int    // 1-based first output page (0 when not yet known)
	Pages  int    // output pages from this input (a paired card verso adds 0)
	// For photos: resolved mode, output resolution and JPEG quality (0 for
	// black and white and for a text page's mixed raster content, whose
	// text mask is at 300 DPI), ID-card detection.
	Mode    Mode
	DPI     int
	Quality int
	Card    bool
	// Findings is the readability check of a photo (nil for PDFs and
	// when nothing was found).
	Findings []Finding
	// Bytes is the size of the encoded image, or of the PDF part.
	Bytes    int64
	Duration time.Duration // time spent on this input so far
}

// Result describes a finished conversion.
type Result struct {
	Profile  string
	Pages    int
	Bytes    int64 // bytes written
	Duration time.Duration
	Inputs   []PageInfo // per input, in order
	// Shrunk reports that fit-to-size lowered quality, resolution or mode.
	Shrunk bool
}

// Default limits (see Converter).
const (
	DefaultMaxPixels     = 40_000_000
	DefaultMaxInputBytes = 30 << 20
	DefaultMaxTotalBytes = 100 << 20
	DefaultMemoryBudget  = 320 << 20
)

// Converter turns photos and PDFs into one PDF that a portal accepts. The
// zero value is ready to use with the defaults; a Converter is safe for
// concurrent use and bounds the work of all its conversions together: at
// most MaxConcurrent inputs are decoded at once, and the estimated memory
// of inputs in flight stays within MemoryBudget (an input larger than the
// budget runs alone). Fields must not change after first use.
type Converter struct {
	// MaxConcurrent bounds inputs processed at once (default GOMAXPROCS).
	MaxConcurrent int
	// MemoryBudget bounds the estimated bytes of inputs in flight
	// (default 320 MiB).
	MemoryBudget int64
	// MaxPixels bounds a decoded image (default 40 million). A JPEG of up
	// to 4 times as many pixels is decoded at a reduced scale.
	MaxPixels int64
	// MaxInputBytes bounds each input (default 30 MiB); MaxTotalBytes all
	// inputs of one conversion (default 100 MiB).
	MaxInputBytes, MaxTotalBytes int64
	// Scanner renders photos (default scan.Scan).
	Scanner Scanner
	// OnWait, when set, is called once per input with the time it waited
	// for a concurrency slot and its share of MemoryBudget (near 0 when
	// both were free; also called when ctx ended the wait). It is for
	// metrics and must not block.
	OnWait func(d time.Duration)

	once  sync.Once
	mem   *weighted
	slots *weighted
}

func (c *Converter) setup() {
	c.once.Do(func() {
		if c.MaxConcurrent <= 0 {
			c.MaxConcurrent = runtime.GOMAXPROCS(0)
		}
		if c.MemoryBudget <= 0 {
			c.MemoryBudget = DefaultMemoryBudget
		}
		if c.MaxPixels <= 0 {
			c.MaxPixels = DefaultMaxPixels
		}
		if c.MaxInputBytes <= 0 {
			c.MaxInputBytes = DefaultMaxInputBytes
		}
		if c.MaxTotalBytes <= 0 {
			c.MaxTotalBytes = DefaultMaxTotalBytes
		}
		c.mem = newSemaphore(c.MemoryBudget)
		c.slots = newSemaphore(int64(c.MaxConcurrent))
	})
}

func (c *Converter) scanner() Scanner {
	if c.Scanner != nil {
		return c.Scanner
	}
	return ScanFunc(scan.Scan)
}

// item is one input on its way through the conversion.
type item struct {
	index   int
	in      Input
	format  Format
	plan    decodePlan     // photos
	img     *renderedImage // photos, once rendered
	pdf     *pdfPart       // PDFs, sanitized (possibly re-compressed)
	orig    *pdfPart       // PDFs, sanitized, before any re-compression
	pdfStep int            // PDFs: position in squashLadder, -1 for none
	floor   bool           // cannot be made smaller
	took    time.Duration
}

func (it *item) size() int64 {
	if it.img != nil {
		return it.img.size()
	}
	if it.pdf != nil {
		return int64(len(it.pdf.data))
	}
	return 0
}

// Convert converts inputs, in order, into one PDF under opts.Profile's
// rules and writes it to w (nothing is written on error). Types are decided
// from content; every check on sizes, types and headers runs before any
// decoder. Photos are scanned into upright pages (A4 at the profile's DPI,
// ID cards at their real size) and re-encoded; PDFs are validated,
// refused if encrypted or active, sanitized, and merged. If the result is
// over the profile's cap, quality, then resolution, then colour are
// lowered page by page until it fits, or a *TooLargeError says which page
// is the problem. When ctx ends, Convert stops promptly with ctx.Err().
// Errors wrap the package's sentinel errors; errors about one input are
// *InputError.
func (c *Converter) Convert(ctx context.Context, inputs []Input, opts Options, w io.Writer) (Result, error) {
	start := time.Now()
	c.setup()
	prof, err := LookupProfile(opts.Profile)
	if opts.profile != nil {
		prof, err = *opts.profile, nil
	}
	if err != nil {
		return Result{}, err
	}
	res := Result{Profile: prof.ID}
	items, err := c.intake(inputs, prof, opts)
	if err != nil {
		return res, err
	}
	maxPages := prof.MaxPagesFor(opts.Kind)
	if n := minPages(items, opts); maxPages > 0 && n > maxPages {
		return res, &TooLargeError{Pages: n, MaxPages: maxPages, Input: -1, Limit: prof.MaxBytes, Profile: prof.ID}
	}
	if err := c.firstPass(ctx, items, prof, opts); err != nil {
		return res, err
	}
	if n := pageCount(items, opts); maxPages > 0 && n > maxPages {
		return res, &TooLargeError{Pages: n, MaxPages: maxPages, Input: -1, Limit: prof.MaxBytes, Profile: prof.ID}
	}
	doc, shrunk, err := c.fit(ctx, items, prof, opts)
	if err != nil {
		return res, err
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	n, err := w.Write(doc)
	res.Bytes = int64(n)
	if err != nil {
		return res, fmt.Errorf("converter: write output: %w", err)
	}
	res.Pages = pageCount(items, opts)
	res.Inputs = pageInfos(items, opts)
	res.Shrunk = shrunk
	res.Duration = time.Since(start)
	return res, nil
}

// intake checks sizes and types and reads image headers: nothing is decoded yet.
func (c *Converter) intake(inputs []Input, prof Profile, opts Options) ([]*item, error) {
	if len(inputs) == 0 {
		return nil, ErrNoInput
	}
	var total int64
	items := make([]*item, len(inputs))
	tw, th := a4Pixels(prof.DPI)
	minShort := int(float64(tw) * decodeOversample)
	for i, in := range inputs {
		n := int64(len(in.Data))
		if n > c.MaxInputBytes {
			return nil, inputError(i, in.Name, fmt.Errorf("%w: %d bytes (limit %d)", ErrInputTooLarge, n, c.MaxInputBytes))
		}
		if total += n; total > c.MaxTotalBytes {
			return nil, inputError(i, in.Name, fmt.Errorf("%w: inputs total over %d bytes", ErrInputTooLarge, c.MaxTotalBytes))
		}
		f, err := Sniff(in.Data)
		if err != nil {
			return nil, inputError(i, in.Name, err)
		}
		it := &item{index: i, in: in, format: f, pdfStep: -1}
		if f != FormatPDF {
			it.plan, err = planDecode(in.Data, f, c.MaxPixels, minShort, int64(tw)*int64(th))
			if err != nil {
				return nil, inputError(i, in.Name, err)
			}
		}
		if in.Corners != nil {
			if f == FormatPDF {
				return nil, inputError(i, in.Name, fmt.Errorf("%w: a PDF has no corners", ErrBadCorners))
			}
			w, h := it.plan.uprightSize()
			q, err := CheckCorners(*in.Corners, w, h)
			if err != nil {
				return nil, inputError(i, in.Name, err)
			}
			it.plan.corners = &q
		}
		items[i] = it
	}
	return items, nil
}

// firstPass converts every input at the profile's first level, up to
// MaxConcurrent at a time within the memory budget, and reports progress in
// input order.
func (c *Converter) firstPass(ctx context.Context, items []*item, prof Profile, opts Options) error {
	mode := opts.Mode
	if prof.Color == ColorRequired {
		mode = ModeColor
	}
	first := []level{{mode: mode, dpi: prof.DPI}}
	jobs := make([]func(context.Context, *item) error, len(items))
	for i, it := range items {
		if it.format == FormatPDF {
			jobs[i] = func(ctx context.Context, it *item) error {
				part, err := intakePDF(ctx, it.in.Data, c.MaxInputBytes)
				if err != nil {
					return err
				}
				it.pdf, it.orig = &part, &part
				return nil
			}
			continue
		}
		jobs[i] = func(ctx context.Context, it *item) error {
			r, err := c.renderImage(ctx, it.in.Data, it.plan, first, []int{-1}, 0)
			if err != nil {
				return err
			}
			it.img = &r
			return nil
		}
	}
	var page int
	var pending *item // a card waiting for its verso
	progress := func(it *item) {
		if opts.Progress == nil {
			return
		}
		info := infoOf(it)
		paired := opts.CardPairs && pending != nil && it.img != nil && it.img.card
		switch {
		case paired:
			info.Page, info.Pages = page, 0
			pending = nil
		case it.pdf != nil:
			info.Page, info.Pages = page+1, it.pdf.pages
			page += it.pdf.pages
			pending = nil
		default:
			page++
			info.Page, info.Pages = page, 1
			pending = nil
			if it.img.card {
				pending = it
			}
		}
		opts.Progress(info)
	}
	return c.runAll(ctx, items, jobs, progress)
}

// runAll runs one job per item with bounded concurrency and memory. The
// first failure (lowest input index) cancels the others.
func (c *Converter) runAll(parent context.Context, items []*item, jobs []func(context.Context, *item) error, done func(*item)) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	errs := make([]error, len(items))
	finished := make(chan int, len(items))
	next := make(chan int)
	workers := min(c.MaxConcurrent, len(items))
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				errs[i] = c.runOne(ctx, items[i], jobs[i])
				if errs[i] != nil {
					cancel()
				}
				finished <- i
			}
		}()
	}
	go func() {
		defer close(next)
		for i := range items {
			if jobs[i] == nil {
				finished <- i
				continue
			}
			select {
			case next <- i:
			case <-ctx.Done():
				for j := i; j < len(items); j++ {
					errs[j] = ctx.Err()
					finished <- j
				}
				return
			}
		}
	}()
	ok := make([]bool, len(items))
	reported := 0
	for range items {
		i := <-finished
		ok[i] = true
		for reported < len(items) && ok[reported] {
			if errs[reported] == nil && done != nil && ctx.Err() == nil {
				done(items[reported])
			}
			reported++
		}
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			return inputError(i, items[i].in.Name, err)
		}
	}
	for _, err := range errs {
		if err != nil {
			if perr := parent.Err(); perr != nil {
				return perr
			}
			return err
		}
	}
	return nil
}

// runOne runs a job within the concurrency and memory bounds, turning a
// panic into an error.
func (c *Converter) runOne(ctx context.Context, it *item, job func(context.Context, *item) error) (err error) {
	start := time.Now()
	slot, err := c.slots.acquire(ctx, 1)
	if err != nil {
		c.waited(start)
		return err
	}
	defer c.slots.release(slot)
	need := it.plan.memory
	if it.format == FormatPDF {
		need = 4*int64(len(it.in.Data)) + 16<<20
	}
	held, err := c.mem.acquire(ctx, need)
	c.waited(start)
	if err != nil {
		return err
	}
	defer c.mem.release(held)
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("converter: internal error: %v", r)
		}
		it.took += time.Since(start)
	}()
	if err := ctx.Err(); err != nil {
		return err
	}
	return job(ctx, it)
}

// waited reports the wait for a slot and memory that began at start.
func (c *Converter) waited(start time.Time) {
	if c.OnWait != nil {
		c.OnWait(time.Since(start))
	}
}

// minPages is the fewest pages the inputs can make before anything is
// decoded (PDF page counts are not known yet).
func minPages(items []*item, opts Options) int {
	n := 0
	for _, it := range items {
		if it.format != FormatPDF {
			n++
		}
	}
	if opts.CardPairs {
		n = (n + 1) / 2
	}
	return n
}

// pageCount counts output pages, pairing ID cards when asked.
func pageCount(items []*item, opts Options) int {
	n := 0
	for _, g := range groupPages(items, opts) {
		if g[0].pdf != nil {
			n += g[0].pdf.pages
		} else {
			n++
		}
	}
	return n
}

// groupPages groups items as output pages: one photo per page, or two
// consecutive ID cards, or a whole PDF.
func groupPages(items []*item, opts Options) [][]*item {
	var out [][]*item
	for i := 0; i < len(items); i++ {
		it := items[i]
		if opts.CardPairs && it.img != nil && it.img.card && i+1 < len(items) &&
			items[i+1].img != nil && items[i+1].img.card {
			out = append(out, []*item{it, items[i+1]})
			i++
			continue
		}
		out = append(out, []*item{it})
	}
	return out
}

func infoOf(it *item) PageInfo {
	info := PageInfo{Input: it.index, Name: it.in.Name, Format: it.format, Bytes: it.size(), Duration: it.took}
	if it.img != nil {
		info.Mode, info.DPI, info.Card = it.img.mode, it.img.level.dpi, it.img.card
		info.Findings = it.img.findings
		if it.img.mode != ModeBW {
			info.Quality = it.img.level.quality
		}
	}
	return info
}

// pageInfos describes every input with its final page numbers.
func pageInfos(items []*item, opts Options) []PageInfo {
	infos := make([]PageInfo, len(items))
	page := 1
	for _, g := range groupPages(items, opts) {
		for k, it := range g {
			info := infoOf(it)
			info.Page, info.Pages = page, 1
			if k > 0 {
				info.Pages = 0
			}
			if it.pdf != nil {
				info.Pages = it.pdf.pages
			}
			infos[it.index] = info
		}
		page += max(1, infos[g[0].index].Pages)
	}
	return infos
}
