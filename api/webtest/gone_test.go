package webtest

import (
	"context"
	"os"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/coffre/coffre/api/i18n"
	"github.com/coffre/coffre/vault"
)

// TestStoppedLinkKeepsPhotos (newcomer's review): the person stopped the
// link while the helper had two pages ready; Send put a message under the
// sticky Send bar, the pages still said "ready", and a reload showed a bare
// "A problem" with her photos gone. By touch at 360×740, in Dari: Send
// shows, in place of the form, that the link no longer takes papers and
// that her photos did not leave; one tap keeps them on the phone (two
// files), to send from the gallery with a new link; a reload names the
// stopped link, not "a problem".
func TestStoppedLinkKeepsPhotos(t *testing.T) {
	photos := samples(t)
	srv := newServer(t)
	b := newBrowser(t)
	ctx := context.Background()
	const secret = "girafe velo soleil cartable"
	ownerID, _, err := srv.v.SignUp(ctx, vault.NewOwner{Identifier: "0644556611", Secret: []byte(secret), Lang: "fr"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	owner, err := srv.v.Unlock(ctx, ownerID, []byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	token, link, err := srv.v.CreateDropLink(ctx, owner, ownerID, vault.NewDropLink{Label: "Fiche de paie", Requested: []string{"bulletin-paie"}})
	if err != nil {
		t.Fatal(err)
	}
	dl := t.TempDir()
	helper := b.hand("helper")
	helper.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		c := chromedp.FromContext(ctx)
		params := cdpbrowser.SetDownloadBehaviorParams{Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dl}
		if c != nil && c.BrowserContextID != "" {
			params.BrowserContextID = c.BrowserContextID
		}
		_, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, params)
		return err
	}))
	helper.open(srv.URL + "/lang?to=fa-AF&back=/d/" + token)
	for _, ph := range photos[:2] {
		helper.pick(`label[for=camera]`, ph)
	}
	helper.poll(`document.querySelectorAll('#pages li[data-state=sent]').length === 2`, 2*time.Minute)
	if err := srv.v.RevokeDropLink(ctx, owner, link.ID); err != nil {
		t.Fatal(err)
	}
	helper.tap("#send")
	helper.poll(`!document.getElementById('gone').hidden && document.getElementById('drop').hidden`, time.Minute)
	dari := i18n.Get("fa-AF")
	if got := helper.text("#gone-title"); got != dari.T("drop.gonetitle") {
		t.Errorf("the stopped link reads %q", got)
	}
	if !eval[bool](helper.person, `(() => { const r = document.querySelector('[data-keep-photos]').getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight && r.height >= 44; })()`) {
		t.Errorf("the button to keep her photos is not in sight, or too small: %s", helper.seen())
	}
	helper.axe("stopped link")
	helper.tap("[data-keep-photos]")
	deadline := time.Now().Add(30 * time.Second)
	for {
		es, _ := os.ReadDir(dl)
		if len(es) >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d photos kept on the phone, want 2", len(es))
		}
		time.Sleep(200 * time.Millisecond)
	}
	helper.stay.Store(false)
	helper.do(chromedp.Reload())
	helper.waitFor(`document.readyState === 'complete' && !!document.querySelector('main h1')`, time.Minute)
	if got := helper.text("main h1"); got != dari.T("drop.gonetitle") {
		t.Errorf("the stopped link reloaded reads %q, want %q", got, dari.T("drop.gonetitle"))
	}
}
