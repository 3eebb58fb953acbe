package api_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/coffre/coffre/api/i18n"
	"github.com/coffre/coffre/vault"
)

// The link forms take what their own fields offer (attacker's review): a
// display name of 100 characters in Cyrillic (more than 80 bytes) as the
// sender's name, a label of 200 Arabic characters; a request answered for
// eight types makes its link as the page offers it. Control characters
// and bidirectional overrides in the sender's name are refused, with a
// message naming the field, in her language.
func TestLinkFormLimits(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	owner := e.client()
	owner.lang = "fr"
	const name = "Олександра Володимирівна Коваленко-Шевченко" // 43 characters, 83 bytes
	var su struct {
		Session struct {
			CSRFToken string `json:"csrf_token"`
		} `json:"session"`
	}
	want(t, owner.do(t, "POST", "/api/v1/signup", map[string]string{"identifier": "limites.formulaire", "secret": "pomme radis ballon hibou",
		"display_name": name}), 201, "sign up").json(t, &su)
	owner.csrf = su.Session.CSRFToken
	noFollow(owner)

	links := html.UnescapeString(string(want(t, owner.get(t, "/links"), 200, "links").body))
	if !strings.Contains(links, `name="from" maxlength="100" value="`+name+`"`) {
		t.Fatalf("the links form does not offer her name within its limit:\n%s", links)
	}
	long := func(r string, n int) string { return strings.Repeat(r, n) }
	for _, tc := range []struct {
		what, from, label string
		ok                bool
	}{
		{"her name as offered", name, "CAF", true},
		{"100 characters", long("ж", 100), "CAF", true},
		{"a Dari name with its joiner", "ز\u200cهرا", "CAF", true},
		{"200 Arabic characters of label", "Awa", long("ب", 200), true},
		{"the Arabic new-photo label, its type isolated", "Awa", i18n.Get("ar").T("paper.kept.linklabel", "RIB", "2"), true},
		{"101 characters", long("ж", 101), "CAF", false},
		{"a right-to-left override", "Awa\u202egnp.exe", "CAF", false},
		{"an embedding", "Awa\u202bx", "CAF", false},
		{"a line break", "Awa\r\nX: 1", "CAF", false},
		{"an escape", "Awa\x1b[31m", "CAF", false},
	} {
		res := owner.postForm(t, "/links", url.Values{"label": {tc.label}, "from": {tc.from}, "uses": {"1"}, "hours": {"24"}})
		switch body := html.UnescapeString(string(res.body)); {
		case tc.ok && (res.status != http.StatusSeeOther || res.header.Get("Location") != "/links/new"):
			t.Errorf("%s: %d %s", tc.what, res.status, truncate(res.body))
		case !tc.ok && (res.status != http.StatusUnprocessableEntity || !strings.Contains(body, "Vérifiez le nom de la personne qui envoie : 100 caractères au plus")):
			t.Errorf("%s: %d, want 422 naming the field: %s", tc.what, res.status, truncate(res.body))
		}
	}
	// The JSON API counts the label in characters too.
	want(t, owner.do(t, "POST", "/api/v1/droplinks", map[string]any{"label": long("ب", 200)}), 201, "200-character label")
	checkErr(t, owner.do(t, "POST", "/api/v1/droplinks", map[string]any{"label": long("ب", 201)}), 422, "invalid", "201-character label")
	checkErr(t, owner.do(t, "POST", "/api/v1/droplinks", map[string]any{"label": "a\u202eb"}), 422, "invalid", "label with an override")

	// A worker asks for eight types; she answers for them all; the page's
	// "ask my helper" form makes its link as it is (its label, the eight
	// names, was 268 bytes and refused before).
	var me struct {
		ID string `json:"id"`
	}
	want(t, owner.get(t, "/api/v1/session"), 200, "session").json(t, &me)
	e.worker("huit@ccas.fr", "Mme Huit", "jardin violon tempete cerise")
	wc := e.client()
	wc.loginWorker(t, "huit@ccas.fr", "jardin violon tempete cerise")
	types := []string{"attestation-france-travail", "attestation-hebergement", "justificatif-domicile", "certificat-scolarite",
		"attestation-employeur", "certificat-travail", "attestation-css", "attestation-ameli"}
	for _, ty := range types {
		if _, ok := vault.DocTypeByID(ty); !ok {
			t.Fatalf("no type %q", ty)
		}
	}
	var rq struct {
		ID string `json:"id"`
	}
	want(t, wc.do(t, "POST", "/api/v1/requests", map[string]any{"owner_id": me.ID, "purpose": "Dossier", "types": types, "days": 31}), 201, "request").json(t, &rq)
	owner.reauth(t, "pomme radis ballon hibou")
	want(t, owner.do(t, "POST", "/api/v1/requests/"+rq.ID+"/accept", map[string]any{"future_types": types}), 201, "accept")
	page := string(want(t, owner.get(t, "/requests"), 200, "requests").body)
	form := regexp.MustCompile(`(?s)<form method="post" action="/links" class="form">(.*?)</form>`).FindStringSubmatch(page)
	if form == nil {
		t.Fatalf("no form asking the helper:\n%s", page)
	}
	vals := url.Values{}
	for _, m := range regexp.MustCompile(`<input type="hidden" name="([a-z]+)" value="([^"]*)">`).FindAllStringSubmatch(form[1], -1) {
		if m[1] != "csrf" {
			vals.Add(m[1], html.UnescapeString(m[2]))
		}
	}
	if len(vals["type"]) != 8 || !strings.HasSuffix(vals.Get("label"), "…") {
		t.Errorf("the form: %v", vals)
	}
	if res := owner.postForm(t, "/links", vals); res.status != http.StatusSeeOther || res.header.Get("Location") != "/links/new" {
		t.Fatalf("the eight-type request's form: %d %s", res.status, truncate(res.body))
	}
}
