package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// A stolen session (cookie and CSRF token, never confirmed) cannot widen
// who reads the vault: granting a consent and accepting a request answer
// 403 reauth_required in JSON, and the pages refuse them with the secret
// field shown inline, in the person's language; nothing is granted. The
// owner who types her secret in the form shares, and is not asked again
// for 5 minutes. On the old code the thief granted an accomplice a
// 365-day consent.
func TestStolenSessionCannotGrant(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	const secret = "pomme radis ballon hibou"
	owner := e.client()
	signUpOwner(t, owner, "vole.partage", secret)
	var su struct {
		ID string `json:"id"`
	}
	want(t, owner.get(t, "/api/v1/session"), 200, "session").json(t, &su)
	var up struct {
		Document docJSON `json:"document"`
	}
	want(t, owner.upload(t, "/api/v1/documents", field("type", "avis-impot"), field("title", "Avis d'impôt"), page(photo(t, 500, 700, 9))), 201, "upload").json(t, &up)
	doc := up.Document.ID
	wid := e.worker("complice@ccas.example", "M. Complice", "secret du complice assez long")
	accomplice := e.client()
	accomplice.loginWorker(t, "complice@ccas.example", "secret du complice assez long")
	request := func() string {
		var rq struct {
			ID string `json:"id"`
		}
		want(t, accomplice.do(t, "POST", "/api/v1/requests", map[string]any{
			"owner_id": su.ID, "purpose": "Dossier", "types": []string{"avis-impot"}, "days": 365,
		}), 201, "request").json(t, &rq)
		return rq.ID
	}
	r1, r2 := request(), request()

	thief := steal(owner)
	checkErr(t, thief.do(t, "POST", "/api/v1/consents", map[string]any{
		"grantee": map[string]string{"kind": "worker", "id": wid},
		"scope":   map[string]any{"documents": []string{doc}, "types": []string{"avis-impot"}}, "purpose": "Dossier", "days": 365,
	}), 403, "reauth_required", "grant with a stolen session")
	checkErr(t, thief.do(t, "POST", "/api/v1/requests/"+r1+"/accept", map[string]any{
		"documents": []string{doc}, "future_types": []string{"avis-impot"},
	}), 403, "reauth_required", "accept with a stolen session")
	res := thief.postForm(t, "/share", url.Values{"grantee": {"worker:" + wid}, "days": {"365"}, "document": {doc}})
	if body := string(res.body); res.status != 403 || !strings.Contains(body, "confirmez d&#39;abord avec votre secret") ||
		!strings.Contains(body, `name="confirm_secret"`) {
		t.Errorf("web share with a stolen session: %d %s", res.status, truncate(res.body))
	}
	thief.lang = "en"
	res = thief.postForm(t, "/requests/"+r1+"/accept", url.Values{"doc": {doc}, "future": {"avis-impot"}})
	if body := string(res.body); res.status != 403 || !strings.Contains(body, "confirm with your secret first") ||
		!strings.Contains(body, `name="confirm_secret"`) {
		t.Errorf("web accept with a stolen session: %d %s", res.status, truncate(res.body))
	}
	res = thief.postForm(t, "/requests/"+r1+"/accept", url.Values{"doc": {doc}, "confirm_secret": {"pas le bon secret"}})
	if res.status != 401 {
		t.Errorf("web accept with a wrong secret: %d", res.status)
	}

	// Nothing was granted: the accomplice reads nothing, has no consent,
	// both requests still wait.
	checkErr(t, accomplice.get(t, "/api/v1/documents/"+doc+"/content"), 404, "not_found", "accomplice reads")
	var ks struct {
		Consents []struct {
			ID string `json:"id"`
		} `json:"consents"`
	}
	want(t, accomplice.get(t, "/api/v1/consents"), 200, "accomplice consents").json(t, &ks)
	if len(ks.Consents) != 0 {
		t.Fatalf("the accomplice got consents: %+v", ks)
	}
	if body := string(want(t, owner.get(t, "/requests"), 200, "requests page").body); !strings.Contains(body, "/requests/"+r1+"/accept") ||
		!strings.Contains(body, `name="confirm_secret"`) {
		t.Fatal("the requests page lost a request or does not ask for the secret")
	}

	// The owner types her secret in the accept form: accepted; for the
	// next minutes the forms do not ask again.
	res = owner.postForm(t, "/requests/"+r1+"/accept", url.Values{"doc": {doc}, "confirm_secret": {secret}})
	if res.status != 200 || strings.Contains(string(res.body), "/requests/"+r1+"/accept") {
		t.Fatalf("web accept with the secret: %d %s", res.status, truncate(res.body))
	}
	want(t, accomplice.get(t, "/api/v1/documents/"+doc+"/content"), 200, "worker reads once accepted")
	for _, p := range []string{"/requests", "/papers/" + doc + "/share"} {
		if body := string(want(t, owner.get(t, p), 200, p).body); strings.Contains(body, `name="confirm_secret"`) {
			t.Errorf("%s asks for the secret again within 5 minutes", p)
		}
	}
	want(t, owner.do(t, "POST", "/api/v1/requests/"+r2+"/decline", nil), 204, "decline")
	e.clock.Advance(5 * time.Minute)
	if body := string(want(t, owner.get(t, "/papers/"+doc+"/share"), 200, "share form").body); !strings.Contains(body, `name="confirm_secret"`) {
		t.Error("the share form does not ask for the secret after 5 minutes")
	}
}

// TestShareFormChoosesNoOrganisationForHer: with no request, the share form
// ticks no organisation, even the only one on the server (newcomer's review:
// it came ticked, one she had never dealt with), nor one among several (a
// tap past the list used to share with whichever came first); each is
// named as its whole team. Share without a choice shows the form again
// saying to choose, and shares nothing.
func TestShareFormChoosesNoOrganisationForHer(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	const secret = "pomme radis ballon hibou"
	owner := e.client()
	signUpOwner(t, owner, "choix.partage", secret)
	var up struct {
		Document struct{ ID string } `json:"document"`
	}
	want(t, owner.upload(t, "/api/v1/documents", field("type", "avis-impot"), field("title", "Avis"), page(photo(t, 500, 700, 9))), 201, "upload").json(t, &up)
	form := func() string {
		return string(want(t, owner.get(t, "/papers/"+up.Document.ID+"/share"), 200, "share form").body)
	}
	if body := form(); !strings.Contains(body, `name="grantee" value="organisation:`+e.org.ID+`" required><span>Toute l&#39;équipe de `) || strings.Contains(body, " checked required>") {
		t.Errorf("the only organisation is ticked for her, or not named as its whole team: %s", truncate([]byte(body)))
	}
	if _, _, err := e.v.CreateOrganisation(testCtx(t), "Emmaüs Connect"); err != nil {
		t.Fatal(err)
	}
	body := form()
	if strings.Contains(body, `name="grantee" value="organisation:`) && strings.Contains(body, `" checked required>`) {
		t.Errorf("an organisation is ticked among several: %s", truncate([]byte(body)))
	}
	res := owner.postForm(t, "/share", url.Values{"document": {up.Document.ID}, "days": {"31"}, "confirm_secret": {secret}, "key": {"formulaire-sans-choix-1"}})
	if res.status != 422 || !strings.Contains(string(res.body), `name="grantee"`) || !strings.Contains(string(res.body), `class="error"`) {
		t.Fatalf("Share with nobody chosen: %d %s", res.status, truncate(res.body))
	}
	var ks struct {
		Consents []any `json:"consents"`
	}
	want(t, owner.get(t, "/api/v1/consents"), 200, "consents").json(t, &ks)
	if len(ks.Consents) != 0 {
		t.Errorf("%d consents after a share with nobody chosen", len(ks.Consents))
	}
	// Her shares page, empty, does not say "these people see your papers".
	if page := string(want(t, owner.get(t, "/share"), 200, "shares").body); strings.Contains(page, "Ces personnes voient vos papiers") || !strings.Contains(page, "Vous ne partagez rien en ce moment.") {
		t.Errorf("the empty shares page contradicts itself: %s", truncate([]byte(page)))
	}
}

// TestSharePurposeLeftBlank: a share with no purpose typed stores none: the
// worker is not shown the default in the owner's language (a Dari "دوسیه"
// to a French worker); her journal says the default in the language it is
// read in.
func TestSharePurposeLeftBlank(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	const secret = "pomme radis ballon hibou"
	owner := e.client()
	owner.lang = "fa-AF"
	signUpOwner(t, owner, "sans.objet", secret)
	var up struct {
		Document struct{ ID string } `json:"document"`
	}
	want(t, owner.upload(t, "/api/v1/documents", field("type", "avis-impot"), field("title", "Avis"), page(photo(t, 500, 700, 9))), 201, "upload").json(t, &up)
	res := owner.postForm(t, "/share", url.Values{"document": {up.Document.ID}, "grantee": {"organisation:" + e.org.ID}, "days": {"31"}, "confirm_secret": {secret}})
	if res.status != 200 {
		t.Fatalf("share: %d %s", res.status, truncate(res.body))
	}
	var ks struct {
		Consents []struct {
			Purpose string `json:"purpose"`
		} `json:"consents"`
	}
	want(t, owner.get(t, "/api/v1/consents"), 200, "consents").json(t, &ks)
	if len(ks.Consents) != 1 || ks.Consents[0].Purpose != "" {
		t.Fatalf("the stored purpose: %+v, want none", ks.Consents)
	}
	var journal struct {
		Events []struct {
			Text string `json:"text"`
		} `json:"events"`
	}
	owner.lang = "en"
	want(t, owner.get(t, "/api/v1/journal"), 200, "journal").json(t, &journal)
	found := false
	for _, ev := range journal.Events {
		found = found || strings.Contains(ev.Text, "You shared papers with CCAS de Roubaix (")
		if strings.Contains(ev.Text, "دوسیه") {
			t.Errorf("the English journal says the Dari default: %q", ev.Text)
		}
	}
	if !found {
		t.Errorf("no share in the journal: %+v", journal.Events)
	}
}

// TestAcceptedRequestForMissingPaperOffersNextStep: she accepts a request
// for a paper she does not have yet (sharing it once added); the request's
// card then says what is missing and offers to add it or to make a link
// for her helper, which answers this request and asks for that paper only.
func TestAcceptedRequestForMissingPaperOffersNextStep(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	const secret = "pomme radis ballon hibou"
	owner := e.client()
	signUpOwner(t, owner, "manque.papier", secret)
	var su struct {
		ID string `json:"id"`
	}
	want(t, owner.get(t, "/api/v1/session"), 200, "session").json(t, &su)
	e.worker("demandeur@ccas.example", "Mme Morel", "secret du demandeur assez long")
	w := e.client()
	w.loginWorker(t, "demandeur@ccas.example", "secret du demandeur assez long")
	var rq struct {
		ID string `json:"id"`
	}
	want(t, w.do(t, "POST", "/api/v1/requests", map[string]any{
		"owner_id": su.ID, "purpose": "Dossier RSA", "types": []string{"avis-impot"}, "days": 31,
	}), 201, "request").json(t, &rq)
	res := owner.postForm(t, "/requests/"+rq.ID+"/accept", url.Values{"future": {"avis-impot"}, "confirm_secret": {secret}})
	if res.status != 200 {
		t.Fatalf("accept: %d %s", res.status, truncate(res.body))
	}
	page := string(want(t, owner.get(t, "/requests"), 200, "requests").body)
	if !strings.Contains(page, "Il manque encore : Avis d&#39;impôt") || !strings.Contains(page, `href="/papers/add?type=avis-impot"`) ||
		!strings.Contains(page, `name="request" value="`+rq.ID+`"`) {
		t.Fatalf("the accepted request offers no next step: %s", page)
	}
	noFollow(owner)
	res = owner.postForm(t, "/links", url.Values{"request": {rq.ID}, "label": {"Avis d'impôt"}, "type": {"avis-impot"}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/links/new" {
		t.Fatalf("a link for her helper: %d %q %s", res.status, res.header.Get("Location"), truncate(res.body))
	}
	var links struct {
		Links []struct {
			Requested []string `json:"requested"`
			RequestID string   `json:"request_id"`
		} `json:"links"`
	}
	want(t, owner.get(t, "/api/v1/droplinks"), 200, "links").json(t, &links)
	if len(links.Links) != 1 || len(links.Links[0].Requested) != 1 || links.Links[0].Requested[0] != "avis-impot" {
		t.Fatalf("the helper's link: %+v", links.Links)
	}
}
