package webtest

import (
	"bufio"
	"context"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/coffre/coffre/internal/photogen"
)

// The live camera coach (issue 17 §2): Chromium's fake camera plays a
// video made by the repository's photo generator, and the person sees
// the hints, the page's outline and the photo taken by itself.

// coachVideo writes a Y4M video (YUV 4:2:0, 1080×1440, 30 frames/s) of a
// phone held upright over a table: first no page (0.2 s), then the page
// seen from too far (0.2 s), then under a lamp's reflection (0.2 s), then
// the page sliding into the frame (0.2 s), then held still (1 s).
// Chromium loops it.
func coachVideo(t *testing.T) string {
	t.Helper()
	const w, h, fps = 1080, 1440, 30
	doc := photogen.Documents()[0]
	render := func(shift, fill, glare float64) *image.YCbCr {
		img, err := photogen.Render(doc, photogen.Options{Width: w, Height: h, Seed: 5, Angle: 2, Fill: fill,
			ShiftX: shift, Noise: 2, Glare: glare})
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	var frames []*image.YCbCr
	none := render(2, 0.85, 0) // the page far out of the frame: only the table
	for range 6 {
		frames = append(frames, none)
	}
	far := render(0, 0.3, 0) // the phone held high: a small page
	for range 6 {
		frames = append(frames, far)
	}
	lamp := render(0, 0.85, 0.6) // a lamp's reflection on the page
	for range 6 {
		frames = append(frames, lamp)
	}
	for i := range 6 {
		frames = append(frames, render(0.36-0.06*float64(i), 0.85, 0))
	}
	still := render(0, 0.85, 0)
	for range 30 {
		frames = append(frames, still)
	}
	path := filepath.Join(t.TempDir(), "camera.y4m")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintf(bw, "YUV4MPEG2 W%d H%d F%d:1 Ip A1:1 C420jpeg\n", w, h, fps)
	// Video is studio range (Y 16–235, chroma 16–240); JPEG's is full.
	studio := func(v uint8, top float64) byte { return byte(16 + float64(v)*top/255 + 0.5) }
	for _, img := range frames {
		bw.WriteString("FRAME\n")
		for y := range h {
			for x := range w {
				bw.WriteByte(studio(img.Y[img.YOffset(x, y)], 219))
			}
		}
		for _, plane := range [][]uint8{img.Cb, img.Cr} {
			for y := 0; y < h; y += 2 {
				for x := 0; x < w; x += 2 {
					bw.WriteByte(studio(plane[img.COffset(x, y)], 224))
				}
			}
		}
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// fakeCamera are the flags that make the video the phone's camera;
// allowed says whether the page may use it without asking.
func fakeCamera(video string, allowed bool) []chromedp.ExecAllocatorOption {
	o := []chromedp.ExecAllocatorOption{
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-video-capture", video),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
	}
	if allowed {
		o = append(o, chromedp.Flag("use-fake-ui-for-media-stream", true))
	}
	return o
}

// coachRun is what the coach did while it was open.
type coachRun struct {
	Hints    []string `json:"hints"`
	Said     []string `json:"said"`
	Outlined int      `json:"outlined"`
	Captures int      `json:"captures"`
	Frames   int      `json:"frames"`
	FPS      float64  `json:"fps"`
	MS       float64  `json:"ms"`
	MSRead   float64  `json:"msRead"`
	Reader   string   `json:"reader"`
}

func (h *hand) coach() coachRun {
	return eval[coachRun](h.person, `(() => { const c = window.coffreCoach; return {hints: c.hints, said: c.said, outlined: c.outlined,
		captures: c.captures, frames: c.frames, fps: c.fps, ms: c.ms, msRead: c.msRead, reader: c.reader}; })()`)
}

// throttle slows the phone's CPU down by rate (1: full speed).
func (h *hand) throttle(rate float64) {
	h.b.t.Helper()
	h.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetCPUThrottlingRate, emulation.SetCPUThrottlingRateParams{Rate: rate})
		return err
	}))
}

// TestCoachLive: on the helper's page, tapping "take a photo" opens the
// live view (no file chooser); it says "page not found", then "hold
// still" while the page moves, outlines the page, and takes the photo by
// itself once the page is steady; the photo becomes a page with its
// cleaned thumbnail and verdict, is sent, and the vault receives it. The
// owner's form does the same, and its shutter button takes a photo at
// once. The coach analyses at least 10 frames/s with the CPU slowed 4×.
func TestCoachLive(t *testing.T) {
	video := coachVideo(t)
	srv := newServer(t)
	b := newBrowserWith(t, fakeCamera(video, true)...)
	ctx := context.Background()
	const secret = ownerLinkSecret
	owner, ownerID, linkURL := ownerWithLink(t, srv, b, "0633445577", "Ma fiche de paie")

	helper := b.hand("helper")
	helper.open(linkURL)
	helper.poll(`document.getElementById('coach').getAttribute('data-armed') === 'true'`, 30*time.Second)
	helper.taps = 0
	start := time.Now()
	helper.tap(`label[for=camera]`)
	select {
	case <-helper.chooser:
		t.Fatal("the file chooser opened: no live view")
	default:
	}
	helper.poll(`!document.getElementById('coach').hidden`, 10*time.Second)
	scrolled := eval[float64](helper.person, `window.scrollY`)
	helper.screenshot("coach-helper-open")
	// No word of the live view's buttons is cut across two lines at 360 px.
	if cut := eval[string](helper.person, brokenWords(`#coach .coach-bar .btn span`)); cut != "" {
		t.Errorf("the live view's buttons cut these words: %s", cut)
	}
	if !helper.soft(`window.coffreCoach.captures === 1`, time.Minute) {
		t.Fatalf("no photo taken: %s %+v, quad %s, sharpness %d", eval[string](helper.person, `window.coffreCoach.size`), helper.coach(), eval[string](helper.person, `JSON.stringify(window.coffreCoach.quad)`), eval[int](helper.person, `window.coffreCoach.sharp`))
	}
	took := time.Since(start)
	run := helper.coach()
	t.Logf("helper: camera %s, hints %v, %d frames analysed, %.1f frames/s, %.1f ms a frame, photo taken %.1f s after the tap", eval[string](helper.person, `window.coffreCoach.size`), run.Hints, run.Frames, run.FPS, run.MS, took.Seconds())
	said := strings.Join(run.Said, " | ")
	for _, want := range []string{"Page introuvable : montrez toute la page sur la table", "Approchez-vous de la page",
		"Reflet : moins de lumière sur la page", "Ne bougez plus, la photo se prend"} {
		if !strings.Contains(said, want) {
			t.Errorf("the coach said %q, never %q", said, want)
		}
	}
	if !strings.Contains(said, "Tenez le téléphone immobile") && !strings.Contains(said, "Reculez un peu") {
		t.Errorf("the coach never said to hold still or to move back while the page moved: %q", said)
	}
	if run.Outlined == 0 {
		t.Error("the page's outline was never drawn")
	}
	if !eval[bool](helper.person, `document.getElementById('coach').hidden`) {
		t.Error("the live view stayed open after the photo")
	}
	// The photo is a page like one from the camera app: thumbnail, verdict.
	helper.poll(`(() => { const l = document.querySelector('#pages li'); return !!l && !!l.getAttribute('data-verdict'); })()`, 2*time.Minute)
	if got := eval[string](helper.person, `document.querySelector('#pages li img').src.slice(0, 23)`); got != "data:image/jpeg;base64," {
		t.Errorf("the page shows %q, want the cleaned thumbnail", got)
	}
	// Back on the page where she was, the button now for the next page.
	if got := eval[float64](helper.person, `window.scrollY`); got < scrolled-2 || got > scrolled+2 {
		t.Errorf("after the photo the page scrolled from %.0f to %.0f px", scrolled, got)
	}
	if !eval[bool](helper.person, `(() => { const r = document.querySelector('label[for=camera]').getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; })()`) {
		t.Error("after the photo the camera button is off the screen")
	}
	if got := helper.text(`label[for=camera]`); got != "Prendre la page suivante" {
		t.Errorf("after the first page the camera button says %q", got)
	}
	verdict := helper.verdicts()
	t.Logf("helper: the auto-captured page's verdict: %v %s", verdict, eval[string](helper.person, `(document.querySelector('#pages .verdict') || {}).textContent || ''`))
	if verdict[0] != "ok" {
		t.Errorf("the auto-captured page's verdict is %q, want ok (a steady, sharp page)", verdict[0])
	}
	autoTaps := helper.taps
	if autoTaps != 1 {
		t.Errorf("a page by auto-capture took %d taps, want 1", autoTaps)
	}
	helper.check("coach-helper-page", false)
	helper.tap("#send")
	helper.poll(`!document.getElementById('receipt').hidden`, 2*time.Minute)
	if got := helper.text("#receipt [data-receipt-text]"); !strings.Contains(got, "1 page reçue par le coffre") {
		t.Errorf("receipt %q", got)
	}
	p, err := srv.v.Unlock(ctx, ownerID, []byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	if docs, err := srv.v.List(ctx, p); err != nil || len(docs) != 1 || docs[0].Pages != 1 {
		t.Fatalf("the vault holds %+v (%v), want one paper of one page", docs, err)
	}
	t.Logf("helper: a page by auto-capture: %d tap(s) (the camera button; none to take the photo), then Send", autoTaps)

	// The owner's form: the shutter button takes the photo at once.
	owner.open(srv.URL + "/papers/add")
	owner.poll(`document.getElementById('coach').getAttribute('data-armed') === 'true'`, 30*time.Second)
	eval[bool](owner.person, `window.coffreCoach.auto = false; true`)
	owner.taps = 0
	owner.tap(`label[for=camera]`)
	owner.poll(`window.coffreCoach.frames > 5`, 30*time.Second)
	owner.check("coach-owner-open", false)
	owner.tap(`#coach .coach-shutter`)
	owner.poll(`window.coffreCoach.captures === 1 && document.getElementById('coach').hidden`, 30*time.Second)
	owner.poll(`(() => { const l = document.querySelector('#pages li'); return !!l && !!l.getAttribute('data-verdict'); })()`, 2*time.Minute)
	if n := eval[int](owner.person, `document.querySelectorAll('#pages li').length`); n != 1 {
		t.Errorf("the owner's form has %d pages, want 1", n)
	}
	if owner.taps != 2 {
		t.Errorf("a page by the shutter took %d taps, want 2", owner.taps)
	}

	// Frames analysed per second, at full speed and with the CPU 4× slower.
	measure := func(rate float64) coachRun {
		owner.throttle(rate)
		defer owner.throttle(1)
		owner.tap(`label[for=camera]`)
		owner.poll(`!document.getElementById('coach').hidden && window.coffreCoach.frames > 0`, 30*time.Second)
		eval[bool](owner.person, `window.coffreCoach.frames = 0; true`)
		time.Sleep(3 * time.Second)
		r := owner.coach()
		owner.tap(`#coach .coach-close`)
		owner.poll(`document.getElementById('coach').hidden`, 10*time.Second)
		return r
	}
	full := measure(1)
	slow := measure(4)
	// The phone's Back button closes the live view, as it closes a phone's
	// camera: she stays on the page, with her pages.
	here := owner.location()
	pages := eval[int](owner.person, `document.querySelectorAll('#pages li').length`)
	owner.tap(`label[for=camera]`)
	owner.poll(`!document.getElementById('coach').hidden`, 30*time.Second)
	eval[bool](owner.person, `(history.back(), true)`)
	owner.poll(`document.getElementById('coach').hidden`, 10*time.Second)
	time.Sleep(500 * time.Millisecond)
	if at, n := owner.location(), eval[int](owner.person, `document.querySelectorAll('#pages li').length`); at != here || n != pages {
		t.Errorf("Back in the live view: at %s with %d pages, was %s with %d", at, n, here, pages)
	}
	t.Logf("coach (frames read by %s): %.1f frames/s (%.1f ms a frame, %.1f of them to read it) at full speed, %.1f frames/s (%.1f ms a frame, %.1f to read it) with the CPU 4× slower",
		slow.Reader, full.FPS, full.MS, full.MSRead, slow.FPS, slow.MS, slow.MSRead)
	if slow.FPS < 10 || slow.Frames < 30 {
		t.Errorf("with the CPU 4× slower the coach analyses %.1f frames/s (%d frames in 3 s), want at least 10", slow.FPS, slow.Frames)
	}
}

// TestCoachRefused: a phone whose camera the page may not use (the
// permission prompt is refused) shows why in the live view and offers the
// phone's camera app: the file input, which works as before.
func TestCoachRefused(t *testing.T) {
	video := coachVideo(t)
	clean, _, _ := capturePhotos(t)
	srv := newServer(t)
	b := newBrowserWith(t, fakeCamera(video, false)...)
	_, _, linkURL := ownerWithLink(t, srv, b, "0633445588", "Ma fiche de paie")

	helper := b.hand("helper")
	helper.open(linkURL)
	armed := helper.soft(`document.getElementById('coach').getAttribute('data-armed') === 'true'`, 10*time.Second)
	helper.taps = 0
	if armed {
		helper.tap(`label[for=camera]`)
		helper.poll(`document.getElementById('coach').getAttribute('data-hint') === 'denied'`, 30*time.Second)
		if got := helper.text("#coach .coach-hint"); got != "La caméra n'est pas disponible. Utilisez l'appareil photo du téléphone." {
			t.Errorf("the refused camera says %q", got)
		}
		if eval[bool](helper.person, `getComputedStyle(document.querySelector('#coach .coach-shutter')).display !== 'none'`) {
			t.Error("with the camera refused the live view still shows its shutter button")
		}
		helper.screenshot("coach-refused")
		helper.pick(`#coach .coach-app`, clean)
	} else {
		helper.pick(`label[for=camera]`, clean)
	}
	helper.poll(`(() => { const l = document.querySelector('#pages li'); return !!l && l.getAttribute('data-verdict') === 'ok'; })()`, 2*time.Minute)
	t.Logf("refused camera (coach armed: %v): a page in %d taps", armed, helper.taps)
	// Refused once, the next tap opens the camera app at once.
	helper.pick(`label[for=camera]`, clean)
	helper.poll(`document.querySelectorAll('#pages li[data-verdict=ok]').length === 2`, 2*time.Minute)
	helper.tap("#send")
	helper.poll(`!document.getElementById('receipt').hidden`, 2*time.Minute)
}

// brokenWords is a script listing the words, in the elements sel selects,
// that the layout cut across two lines.
func brokenWords(sel string) string {
	return `[...document.querySelectorAll(` + jsString(sel) + `)].filter(e => e.offsetParent !== null).flatMap(e => {
		const out = [];
		for (const t of e.childNodes) {
			if (t.nodeType !== 3) continue;
			for (const m of t.data.matchAll(/\S+/g)) {
				const r = document.createRange();
				r.setStart(t, m.index); r.setEnd(t, m.index + m[0].length);
				if (r.getClientRects().length > 1) out.push(m[0]);
			}
		}
		return out;
	}).join(' ')`
}
