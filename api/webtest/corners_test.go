package webtest

import (
	"bytes"
	"context"
	"encoding/base64"
	"image"
	_ "image/jpeg" // pages' images
	_ "image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	pdfapi "github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"github.com/coffre/coffre/internal/photogen"
	"github.com/coffre/coffre/vault"
)

// drag moves a finger from the centre of the element sel to the point
// (x, y) of the viewport, in steps, as a person drags a handle.
func (h *hand) drag(sel string, x, y float64) {
	h.b.t.Helper()
	h.taps++
	box := eval[[]float64](h.person, `(() => { const r = document.querySelector(`+jsString(sel)+`).getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()`)
	h.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		touch := func(typ input.DispatchTouchEventType, px, py float64) error {
			pts := []*input.TouchPoint{{X: px, Y: py}}
			if typ == input.DispatchTouchEventTypeTouchEnd {
				pts = []*input.TouchPoint{}
			}
			_, err := chromedp.Call(ctx, input.DispatchTouchEvent, input.DispatchTouchEventParams{Type: typ, TouchPoints: pts})
			return err
		}
		if err := touch(input.DispatchTouchEventTypeTouchStart, box[0], box[1]); err != nil {
			return err
		}
		const steps = 6
		for i := 1; i <= steps; i++ {
			f := float64(i) / steps
			if err := touch(input.DispatchTouchEventTypeTouchMove, box[0]+(x-box[0])*f, box[1]+(y-box[1])*f); err != nil {
				return err
			}
		}
		return touch(input.DispatchTouchEventTypeTouchEnd, 0, 0)
	}))
}

// frameLight is the mean grey level of the outer tenth of a page image: a
// page cut at its corners has paper there, a whole photo the table.
func frameLight(t *testing.T, img image.Image) float64 {
	t.Helper()
	b := img.Bounds()
	mx, my := b.Dx()/10, b.Dy()/10
	var sum, n float64
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if x >= b.Min.X+mx && x < b.Max.X-mx && y >= b.Min.Y+my && y < b.Max.Y-my {
				continue
			}
			r, g, bl, _ := img.At(x, y).RGBA()
			sum += float64(r+g+bl) / 3 / 257
			n++
		}
	}
	return sum / n
}

func dataURLImage(t *testing.T, u string) image.Image {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(u, "data:image/jpeg;base64,"))
	if err != nil {
		t.Fatal(err)
	}
	img, _, err := image.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// pdfPageImages are the images of a PDF's pages, by page number.
func pdfPageImages(t *testing.T, pdf []byte) map[int]image.Image {
	t.Helper()
	out := map[int]image.Image{}
	err := pdfapi.ExtractImages(bytes.NewReader(pdf), nil, func(im model.Image, _ bool, _ int) error {
		img, _, err := image.Decode(im)
		if err != nil {
			return err
		}
		out[im.PageNr] = img
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCornersDrag (issue 17 §2): a photo of a page on a gingham tablecloth
// whose outline the detector does not find (the whole photo would be the
// page) offers "Place the corners"; the owner drags the four handles by
// touch onto the page's corners; the page is checked again with them (the
// cleaned preview changes: paper, not tablecloth, at its edges) and the
// saved paper's page is cut there, unlike the same photo left alone. The
// helper's page does the same and its Send carries the corners.
func TestCornersDrag(t *testing.T) {
	o := photogen.Options{Width: 1200, Height: 1600, Seed: 17, Angle: 2, Table: 210, Cloth: 40}
	photoBytes, err := photogen.Photo(photogen.Documents()[0], o)
	if err != nil {
		t.Fatal(err)
	}
	photo := filepath.Join(t.TempDir(), "nappe.jpg")
	if err := os.WriteFile(photo, photoBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	truth := photogen.Corners(o)
	srv := newServer(t)
	b := newBrowser(t)
	ctx := context.Background()
	const ident, secret = "0633445599", "girafe velo soleil cartable"
	ownerID, _, err := srv.v.SignUp(ctx, vault.NewOwner{Identifier: ident, Secret: []byte(secret), Lang: "fr", DisplayName: "Awa"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	owner := b.hand("owner")
	owner.signIn(srv.URL, "/lang?to=fr&back=/login", map[string]string{"#identifier": ident, "#secret": secret})

	// placeCorners drags the four handles onto the page's true corners
	// and uses them; it returns the taps (drags) it took.
	placeCorners := func(h *hand, li string) int {
		t.Helper()
		h.taps = 0
		h.tap(li + " .corners-open")
		h.poll(`document.getElementById('corners').getAttribute('data-ready') === 'true'`, 30*time.Second)
		if got := h.text("#corners-title"); got != "Placer les coins de la page" {
			t.Errorf("the corners' title says %q", got)
		}
		if s := eval[[]float64](h.person, `(() => { const r = document.querySelector('.corner-handle').getBoundingClientRect(); return [r.width, r.height]; })()`); s[0] < 44 || s[1] < 44 {
			t.Errorf("a handle is %v px: too small to drag with a finger", s)
		}
		stage := eval[[]float64](h.person, `(() => { const r = document.querySelector('.corners-stage').getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()`)
		nat := eval[[]float64](h.person, `(() => { const i = document.querySelector('.corners-stage img'); return [i.naturalWidth, i.naturalHeight]; })()`)
		for i, c := range truth {
			h.drag(`.corner-handle[data-corner="`+string(rune('1'+i))+`"]`, stage[0]+c.X/nat[0]*stage[2], stage[1]+c.Y/nat[1]*stage[3])
		}
		h.check("corners-placed", false)
		h.tap("#corners .corners-use")
		return h.taps
	}

	owner.open(srv.URL + "/papers/add")
	owner.pick(`label[for=camera]`, photo)
	owner.poll(`(() => { const l = document.querySelector('#pages li'); return !!l && !!l.getAttribute('data-verdict'); })()`, 2*time.Minute)
	if !eval[bool](owner.person, `!!document.querySelector('#pages li:nth-child(1) .corners-open')`) {
		t.Fatalf("no way to place the corners of a page whose outline was not found: %q", owner.text("#pages li:nth-child(1)"))
	}
	if got := owner.text("#pages li:nth-child(1) .pcorners .hint"); got != "Les bords de la page n'ont pas été trouvés." {
		t.Errorf("the unsure page says %q", got)
	}
	before := eval[string](owner.person, `document.querySelector('#pages li img').src`)
	taps := placeCorners(owner, "#pages li:nth-child(1)")
	owner.poll(`(() => { const l = document.querySelector('#pages li'); return l.getAttribute('data-corners') === 'placed' && !!l.getAttribute('data-verdict'); })()`, 2*time.Minute)
	after := eval[string](owner.person, `document.querySelector('#pages li img').src`)
	lb, la := frameLight(t, dataURLImage(t, before)), frameLight(t, dataURLImage(t, after))
	t.Logf("owner: the cleaned preview's edges: %.0f grey without corners, %.0f with the corners placed (%d drags and taps)", lb, la, taps)
	if after == before || la < lb+8 {
		t.Errorf("placing the corners did not change the cleaned page: edges %.0f then %.0f", lb, la)
	}
	if got := owner.text("#pages li:nth-child(1) .pcorners .hint"); got != "Coins placés à la main" {
		t.Errorf("the page with its corners placed says %q", got)
	}
	// The same photo again, left alone, as page 2; then Save.
	owner.pick(`label[for=camera]`, photo)
	owner.poll(`(() => { const v = [...document.querySelectorAll('#pages li')].map(l => l.getAttribute('data-verdict')); return v.length === 2 && !!v[1]; })()`, 2*time.Minute)
	owner.tap("form.form button[type=submit]")
	owner.waitFor(`location.search.includes('done=added') && document.readyState === 'complete'`, 2*time.Minute)
	p, err := srv.v.Unlock(ctx, ownerID, []byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	docs, err := srv.v.List(ctx, p)
	if err != nil || len(docs) != 1 || docs[0].Pages != 2 {
		t.Fatalf("the vault holds %+v (%v), want one paper of 2 pages", docs, err)
	}
	rc, _, err := srv.v.OpenDocument(ctx, p, docs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := io.ReadAll(rc)
	_ = rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	imgs := pdfPageImages(t, pdf)
	if imgs[1] == nil || imgs[2] == nil {
		t.Fatalf("the PDF's page images: %d", len(imgs))
	}
	l1, l2 := frameLight(t, imgs[1]), frameLight(t, imgs[2])
	t.Logf("owner: the saved pages' edges: %.0f grey with the corners placed, %.0f without", l1, l2)
	if l1 < l2+15 {
		t.Errorf("the page saved with its corners is not cut at them: edges %.0f, the photo left alone %.0f", l1, l2)
	}

	// The helper's page: the corners go with the page and with Send.
	owner.open(srv.URL + "/links")
	owner.fill("#label", "La fiche")
	owner.submit("form.form button[type=submit]")
	linkURL := eval[string](owner.person, `document.getElementById('url').value`)
	helper := b.hand("helper")
	helper.open(linkURL)
	helper.pick(`label[for=camera]`, photo)
	helper.poll(`(() => { const l = document.querySelector('#pages li'); return !!l && !!l.getAttribute('data-verdict') && !!l.querySelector('.corners-open'); })()`, 2*time.Minute)
	hb := eval[string](helper.person, `document.querySelector('#pages li img').src`)
	placeCorners(helper, "#pages li:nth-child(1)")
	helper.poll(`(() => { const l = document.querySelector('#pages li'); return l.getAttribute('data-corners') === 'placed' && !!l.getAttribute('data-verdict') && l.getAttribute('data-state') === 'sent'; })()`, 2*time.Minute)
	ha := eval[string](helper.person, `document.querySelector('#pages li img').src`)
	if hl, hla := frameLight(t, dataURLImage(t, hb)), frameLight(t, dataURLImage(t, ha)); hla < hl+8 {
		t.Errorf("the helper's cleaned page did not change: edges %.0f then %.0f", hl, hla)
	}
	helper.tap("#send")
	helper.poll(`!document.getElementById('receipt').hidden`, 2*time.Minute)
	docs, _ = srv.v.List(ctx, p)
	if len(docs) != 2 {
		t.Fatalf("%d papers, want 2", len(docs))
	}
	var sent vault.Document
	for _, d := range docs {
		if d.Pages == 1 {
			sent = d
		}
	}
	rc, _, err = srv.v.OpenDocument(ctx, p, sent.ID)
	if err != nil {
		t.Fatal(err)
	}
	pdf, _ = io.ReadAll(rc)
	_ = rc.Close()
	if l := frameLight(t, pdfPageImages(t, pdf)[1]); l < l2+15 {
		t.Errorf("the helper's page was not cut at its corners: edges %.0f, the photo left alone %.0f", l, l2)
	}
}
