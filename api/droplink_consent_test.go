package api_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
	"time"
)

// A worker's drop link stops working when the consent it was made under
// ends, by revocation or by expiry: the helper gets the dead-link page in
// her language (French or English), every upload route refuses, and
// nothing is stored (no document, no pending page). The owner's own link
// keeps working.
func TestWorkerLinkStopsWithConsent(t *testing.T) {
	for _, end := range []string{"revocation", "expiry"} {
		t.Run(end, func(t *testing.T) {
			e := newEnv(t, envOptions{rateLimits: highLimits})
			owner := e.client()
			var su struct {
				OwnerID string `json:"owner_id"`
			}
			want(t, owner.do(t, "POST", "/api/v1/signup", map[string]string{
				"identifier": "lien." + end, "secret": "pomme radis ballon hibou",
			}), 201, "signup").json(t, &su)
			owner.loginOwner(t, "lien."+end, "pomme radis ballon hibou")
			var up struct {
				Document docJSON `json:"document"`
			}
			want(t, owner.upload(t, "/api/v1/documents", field("type", "rib"), field("title", "RIB"), page(photo(t, 500, 700, 7))), 201, "upload").json(t, &up)
			e.worker("morel@ccas.example", "Mme Morel", "secret de Mme Morel assez long")
			worker := e.client()
			wk := worker.loginWorker(t, "morel@ccas.example", "secret de Mme Morel assez long")
			var k struct {
				ID string `json:"id"`
			}
			owner.reauth(t, "pomme radis ballon hibou")
			want(t, owner.do(t, "POST", "/api/v1/consents", map[string]any{
				"grantee": map[string]string{"kind": "worker", "id": wk.ID},
				"scope":   map[string]any{"documents": []string{up.Document.ID}}, "purpose": "Dossier", "days": 1,
			}), 201, "grant").json(t, &k)
			var link struct {
				Token string `json:"token"`
			}
			want(t, worker.do(t, "POST", "/api/v1/droplinks", map[string]any{
				"owner_id": su.OwnerID, "label": "Vos bulletins", "max_uses": 10, "ttl_hours": 720,
			}), 201, "worker's link").json(t, &link)
			var own struct {
				Token string `json:"token"`
			}
			want(t, owner.do(t, "POST", "/api/v1/droplinks", map[string]any{"label": "Le mien", "max_uses": 10, "ttl_hours": 720}), 201, "owner's link").json(t, &own)
			// The worker also makes one on the web: its page shows it.
			pro := e.client()
			pro.loginWorker(t, "morel@ccas.example", "secret de Mme Morel assez long")
			noFollow(pro)
			if res := pro.postForm(t, "/pro/links", url.Values{"owner": {su.OwnerID}, "label": {"Vos avis"}}); res.status != 303 || res.header.Get("Location") != "/pro/links/new" {
				t.Fatalf("the worker's web link: %d %q", res.status, res.header.Get("Location"))
			}
			if page := string(want(t, pro.get(t, "/pro/links/new"), 200, "the worker's link page").body); !strings.Contains(page, "/d/") {
				t.Fatalf("the worker's link page shows no link: %s", truncate([]byte(page)))
			}
			helper := e.client()
			want(t, helper.get(t, "/d/"+link.Token), 200, "helper opens the worker's link")

			switch end {
			case "revocation":
				want(t, owner.do(t, "DELETE", "/api/v1/consents/"+k.ID, nil), 204, "revoke")
			case "expiry":
				e.clock.Advance(24*time.Hour + time.Minute)
				owner.loginOwner(t, "lien."+end, "pomme radis ballon hibou")
			}
			// Its page no longer shows a link that would be refused
			// (attacker's review; after a day, the worker's session and
			// the page with it have ended anyway).
			if res := pro.get(t, "/pro/links/new"); end == "revocation" && (res.status != 303 || res.header.Get("Location") != "/pro?done=linkgone") {
				t.Errorf("the worker's link page after %s: %d %q, want back to /pro", end, res.status, res.header.Get("Location"))
			}
			for lang, text := range map[string]string{"fr": "Ce lien ne marche pas", "en": "This link does not work"} {
				helper.lang = lang
				res := helper.get(t, "/d/"+link.Token)
				if res.status != 404 || !strings.Contains(string(res.body), text) {
					t.Errorf("helper (%s) opens the link after %s: %d, want 404 saying %q; body %s", lang, end, res.status, text, truncate(res.body))
				}
			}
			helper.lang = ""
			key := make([]byte, 32)
			_, _ = rand.Read(key)
			res := helper.send(t, request{method: "PUT", path: "/d/" + link.Token + "/pages/1", body: bytes.NewReader(photo(t, 400, 500, 9)),
				contentType: "application/octet-stream", header: map[string]string{"X-Upload-Key": base64.RawURLEncoding.EncodeToString(key)}})
			if res.status != 404 {
				t.Errorf("page upload after %s: %d, want 404", end, res.status)
			}
			if res := helper.upload(t, "/api/v1/drop/"+link.Token+"/pages", page(photo(t, 400, 500, 10))); res.status != 404 {
				t.Errorf("API upload after %s: %d, want 404", end, res.status)
			}
			if n := e.pendingCount(t); n != 0 {
				t.Errorf("%d pending pages stored through a dead link", n)
			}
			var docs struct {
				Documents []any `json:"documents"`
			}
			want(t, owner.get(t, "/api/v1/documents"), 200, "documents").json(t, &docs)
			if len(docs.Documents) != 1 {
				t.Errorf("owner has %d documents, want only her RIB", len(docs.Documents))
			}
			// Her own link does not depend on the consent.
			want(t, helper.upload(t, "/api/v1/drop/"+own.Token+"/pages", page(photo(t, 400, 500, 11))), 201, "owner's link")
		})
	}
}
