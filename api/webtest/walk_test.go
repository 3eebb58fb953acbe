package webtest

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// walker is a person on a 360×740 touch phone who acts only by tapping
// (chromedp.Tap) and typing, and counts the taps.
type walker struct {
	*person
	taps int
	// chooser receives the file input a tap opened (the camera, the
	// gallery): the test then gives it a photo, as the phone would.
	chooser chan page.EventFileChooserOpened
}

func (b *browser) walker(name string) *walker {
	p := b.person(name)
	w := &walker{person: p, chooser: make(chan page.EventFileChooserOpened, 4)}
	p.do(chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile, chromedp.EmulateTouch))
	if err := chromedp.Listen(p.ctx, func(ev any) {
		if e, ok := ev.(*page.EventFileChooserOpened); ok {
			select {
			case w.chooser <- *e:
			default:
			}
		}
	}); err != nil {
		b.t.Fatal(err)
	}
	return w
}

// tap taps an element that changes the page in place.
func (w *walker) tap(sel string) {
	w.b.t.Helper()
	w.taps++
	w.do(chromedp.Tap(chromedp.CSS(sel)))
}

// tapGo taps an element that loads another page, and waits for it.
func (w *walker) tapGo(sel string) {
	w.b.t.Helper()
	eval[bool](w.person, `window.__walk = true`)
	w.tap(sel)
	w.waitFor(`!window.__walk && document.readyState === 'complete' && !!document.querySelector('main h1')`, 2*time.Minute)
}

// doubleTapGo taps twice, quickly, on an element that loads another page
// (a person unsure the first tap took), on a slow network (every request
// 600 ms late: the second tap lands while the first one's answer is on its
// way), and waits for the page.
func (w *walker) doubleTapGo(sel string) {
	w.b.t.Helper()
	slow := func(latency float64) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
				return err
			}
			_, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
				MatchedNetworkConditions: []*network.Conditions{{Latency: latency, DownloadThroughput: -1, UploadThroughput: -1}},
			})
			return err
		})
	}
	eval[bool](w.person, `window.__walk = true`)
	box := eval[[]float64](w.person, `(() => { const e = document.querySelector(`+jsString(sel)+`); e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()`)
	w.taps += 2
	w.do(slow(600), chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		for range 2 {
			for _, pts := range [][]*input.TouchPoint{{{X: box[0], Y: box[1]}}, {}} {
				typ := input.DispatchTouchEventTypeTouchStart
				if len(pts) == 0 {
					typ = input.DispatchTouchEventTypeTouchEnd
				}
				if _, err := chromedp.Call(ctx, input.DispatchTouchEvent, input.DispatchTouchEventParams{Type: typ, TouchPoints: pts}); err != nil {
					return err
				}
			}
			time.Sleep(150 * time.Millisecond)
		}
		return nil
	}))
	w.waitFor(`!window.__walk && document.readyState === 'complete' && !!document.querySelector('main h1')`, 2*time.Minute)
	w.do(slow(0))
}

// type taps a field and types into it.
func (w *walker) typeIn(sel, text string) {
	w.b.t.Helper()
	w.tap(sel)
	w.do(chromedp.SendKeys(chromedp.CSS(sel), text))
}

// photo taps a button that opens the camera (or the gallery) and takes
// the photo: one tap on the page, one for the shutter.
func (w *walker) photo(sel, file string) {
	w.b.t.Helper()
	w.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Call(ctx, page.SetInterceptFileChooserDialog, page.SetInterceptFileChooserDialogParams{Enabled: true})
		return err
	}))
	w.tap(sel)
	var ev page.EventFileChooserOpened
	select {
	case ev = <-w.chooser:
	case <-time.After(30 * time.Second):
		w.b.t.Fatalf("%s: tapping %s opened no camera", w.name, sel)
	}
	w.taps++ // the shutter
	w.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Call(ctx, dom.SetFileInputFiles, dom.SetFileInputFilesParams{Files: []string{file}, BackendNodeID: ev.BackendNodeID})
		return err
	}))
}

// reload reloads the page, as a person pulling down or Android restoring
// the tab does.
func (w *walker) reload() {
	w.b.t.Helper()
	w.do(chromedp.Reload())
	w.do(chromedp.WaitReady(chromedp.CSS("body")))
}

// seen is the visible text of the page's main part.
func (w *walker) seen() string {
	w.b.t.Helper()
	return eval[string](w.person, `(document.getElementById('main') || document.body).innerText`)
}

// signUp creates a vault by the sign-up form (taps counted).
func (w *walker) signUp(base, lang, ident, name, secret string) {
	w.b.t.Helper()
	w.open(base + "/lang?to=" + lang + "&back=/")
	w.tapGo(`a.tile[href="/signup"]`)
	w.typeIn("#identifier", ident)
	if name != "" {
		w.typeIn("#name", name)
	}
	w.typeIn("#secret", secret)
	w.typeIn("#secret2", secret)
	w.tapGo("form.form button[type=submit]")
}

// keepSheet types the last four characters of the code shown and confirms.
func (w *walker) keepSheet() {
	w.b.t.Helper()
	code := strings.ReplaceAll(strings.TrimSpace(w.text(".code")), " ", "")
	w.typeIn("#last4", code[len(code)-4:])
	w.tapGo("#sheet-kept button[type=submit]")
}

// answerDropper delivers nothing back for the next n owner's "add a paper"
// submissions although the server handled them (the phone lost the network
// just before the answer came).
type answerDropper struct {
	next http.Handler
	mu   sync.Mutex
	n    int
	// handled counts the submissions the server answered.
	handled int
}

func (d *answerDropper) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/papers/add" {
		d.next.ServeHTTP(w, r)
		return
	}
	d.mu.Lock()
	drop := d.n > 0
	if drop {
		d.n--
	}
	d.handled++
	d.mu.Unlock()
	if !drop {
		d.next.ServeHTTP(w, r)
		return
	}
	rec := &recorder{header: http.Header{}}
	d.next.ServeHTTP(rec, r)
	// The answer starts, then the connection dies (a browser retries a
	// request whose answer never started on a reused connection).
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err == nil {
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n<!doctype html>")
		_ = buf.Flush()
		_ = conn.Close()
	}
}

func (d *answerDropper) arm(n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.n = n
}
