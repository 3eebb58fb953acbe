package api_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coffre/coffre/vault/seal"
)

// Actors of the authorization matrix, in the order each row runs them (the
// owner last, since the owner's request may change state).
const (
	anon = iota
	helper
	otherOwner
	workerNone
	workerExpired
	workerConsent
	owner
	nActors
)

var actorNames = [nActors]string{"anonymous", "helper link", "other owner", "worker without consent",
	"worker with expired consent", "worker with consent", "owner"}

// matrixWorld is the state the matrix runs against.
type matrixWorld struct {
	e       *env
	clients [nActors]*client
	creds   [nActors][2]string // identifier/email, secret
	ips     [nActors]string
	ids     map[string]string // placeholders: doc, del, kx, req1, req2, req3, redo, ldel, ownerID, orgID, token
	leaks   map[string]string // what no unentitled body may contain
	seq     int
}

// TestAuthorizationMatrix runs every endpoint for every kind of caller and
// checks the status; bodies answered to callers not entitled to the owner's
// documents never contain a document id, title or byte, and a refusal about
// a real document is byte for byte the refusal about a made-up one.
func TestAuthorizationMatrix(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits, trustProxy: true, named: true})
	w := &matrixWorld{e: e, ids: map[string]string{}, leaks: map[string]string{}}
	w.setup(t)

	type row struct {
		method, path string
		body         func(a int) any
		upload       bool
		want         [nActors]int
		relogin      bool
		// confirm: the owners type their secret again (POST /reauth)
		// before the row; ownerCode: the error code the owners' refusals
		// must carry.
		confirm   bool
		ownerCode string
		// confirmAll: the workers too (a new address for alerts).
		confirmAll bool
	}
	const (
		ok  = 200
		crt = 201
		nc  = 204
		br  = 400
		un  = 401
		fb  = 403
		nf  = 404
	)
	all := func(s int) [nActors]int { return [nActors]int{s, s, s, s, s, s, s} }
	// session: what any logged-in caller gets; anonymous and helper get 401.
	sess := func(other, w0, wexp, wok, own int) [nActors]int {
		return [nActors]int{un, un, other, w0, wexp, wok, own}
	}
	badLogin := func(a int) any {
		return map[string]string{"identifier": fmt.Sprintf("personne%d", a), "secret": "pas le bon secret du tout"}
	}
	rows := []row{
		{method: "GET", path: "/healthz", want: all(ok)},
		{method: "GET", path: "/readyz", want: all(ok)},
		{method: "GET", path: "/api/v1/openapi.yaml", want: all(ok)},
		{method: "GET", path: "/api/v1/catalogue", want: all(ok)},
		{method: "GET", path: "/api/v1/profiles", want: all(ok)},
		{method: "GET", path: "/api/v1/passphrase", want: all(ok)},
		// The drop link: only its holder gets anywhere.
		{method: "GET", path: "/api/v1/drop/{token}", want: [nActors]int{nf, ok, nf, nf, nf, nf, nf}},
		{method: "GET", path: "/api/v1/drop/{token}/qr.png", want: [nActors]int{nf, ok, nf, nf, nf, nf, nf}},
		{method: "GET", path: "/api/v1/drop/{token}/qr.svg", want: [nActors]int{nf, ok, nf, nf, nf, nf, nf}},
		{method: "POST", path: "/api/v1/drop/{token}/pages", upload: true, want: [nActors]int{nf, crt, nf, nf, nf, nf, nf}},
		// Reading documents.
		{method: "GET", path: "/api/v1/documents", want: sess(ok, ok, ok, ok, ok)},
		{method: "GET", path: "/api/v1/documents/{doc}", want: sess(nf, nf, nf, ok, ok)},
		{method: "GET", path: "/api/v1/documents/{doc}/content", want: sess(nf, nf, nf, ok, ok)},
		{method: "GET", path: "/api/v1/documents/{doc}/content?profile=caf", want: sess(nf, nf, nf, ok, ok)},
		{method: "GET", path: "/api/v1/consents", want: sess(ok, ok, ok, ok, ok)},
		{method: "GET", path: "/api/v1/requests", want: sess(ok, ok, ok, ok, ok)},
		// A worker sees no link of an owner who gave no live consent.
		{method: "GET", path: "/api/v1/droplinks?owner={ownerID}", want: sess(nf, ok, ok, ok, ok)},
		{method: "GET", path: "/api/v1/journal", want: sess(ok, fb, fb, fb, ok)},
		{method: "GET", path: "/api/v1/journal/checkpoint", want: sess(ok, fb, fb, fb, ok)},
		{method: "GET", path: "/api/v1/journal/proof?from=1", want: sess(ok, fb, fb, fb, ok)},
		{method: "GET", path: "/api/v1/export", want: sess(ok, fb, fb, fb, ok)},
		{method: "GET", path: "/api/v1/session", want: sess(ok, ok, ok, ok, ok)},
		// Accounts.
		{method: "POST", path: "/api/v1/login", body: func(a int) any {
			if a == owner {
				return map[string]string{"identifier": w.creds[owner][0], "secret": w.creds[owner][1]}
			}
			return badLogin(a)
		}, want: [nActors]int{un, un, un, un, un, un, ok}},
		{method: "POST", path: "/api/v1/workers/login", body: func(a int) any {
			if a == workerConsent {
				return map[string]string{"email": w.creds[a][0], "secret": w.creds[a][1]}
			}
			return map[string]string{"email": fmt.Sprintf("nobody%d@example.org", a), "secret": "pas le bon secret du tout"}
		}, want: [nActors]int{un, un, un, un, un, ok, un}},
		{method: "POST", path: "/api/v1/recover", body: func(a int) any {
			code, _ := seal.NewRecoveryCode()
			return map[string]string{"identifier": fmt.Sprintf("personne%d", a), "recovery_code": code.String(), "new_secret": "nouveau secret très long"}
		}, want: all(un)},
		{method: "POST", path: "/api/v1/signup", body: func(a int) any {
			w.seq++
			return map[string]string{"identifier": fmt.Sprintf("nouvelle.personne%d", w.seq), "secret": "pomme radis ballon hibou"}
		}, want: [nActors]int{crt, crt, fb, crt, crt, crt, fb}},
		{method: "POST", path: "/api/v1/recovery-sheet", body: func(int) any {
			code, _ := seal.NewRecoveryCode()
			return map[string]string{"identifier": "quelquun", "recovery_code": code.String()}
		}, want: sess(ok, ok, ok, ok, ok)},
		// A session alone (cookie and CSRF token: what a thief copies)
		// cannot take the vault: every owner gets 403 reauth_required until
		// the secret is typed again in that session.
		{method: "POST", path: "/api/v1/recovery-code", want: sess(fb, fb, fb, fb, fb), ownerCode: "reauth_required"},
		{method: "GET", path: "/api/v1/export?format=age", want: sess(fb, fb, fb, fb, fb), ownerCode: "reauth_required"},
		{method: "PUT", path: "/api/v1/assisted-recovery", body: func(int) any { return map[string]string{"org_id": w.ids["orgID"]} },
			want: sess(fb, fb, fb, fb, fb), ownerCode: "reauth_required"},
		{method: "POST", path: "/api/v1/keys/rotate", body: func(int) any { return map[string]string{"new_secret": "cerise plume gazon taupe"} },
			want: sess(fb, fb, fb, fb, fb), ownerCode: "reauth_required"},
		{method: "DELETE", path: "/api/v1/account", body: func(int) any { return map[string]bool{"confirm": true} },
			want: sess(fb, fb, fb, fb, fb), ownerCode: "reauth_required"},
		// Nor widen who reads it: no consent for an accomplice, no request
		// accepted (the confirmed rows are under "Consents" below).
		{method: "POST", path: "/api/v1/consents", body: func(int) any {
			return map[string]any{"grantee": map[string]string{"kind": "worker", "id": w.ids["wx"]},
				"scope": map[string]any{"documents": []string{w.ids["doc"]}}, "purpose": "Dossier", "days": 365}
		}, want: sess(fb, fb, fb, fb, fb), ownerCode: "reauth_required"},
		{method: "POST", path: "/api/v1/requests/{req1}/accept", body: func(int) any { return map[string]any{"documents": []string{w.ids["doc"]}} },
			want: sess(fb, fb, fb, fb, fb), ownerCode: "reauth_required"},
		// Passkeys. Signing in is open to anyone; an answer that is no
		// browser's, or a ticket no passkey gave, opens nothing.
		{method: "POST", path: "/api/v1/passkeys/login/options", want: all(ok)},
		{method: "POST", path: "/api/v1/passkeys/login", body: func(int) any { return map[string]any{"credential": map[string]any{}} }, want: all(br)},
		{method: "POST", path: "/api/v1/passkeys/login/secret", body: func(a int) any {
			return map[string]string{"ticket": randomToken(), "secret": "pas le bon secret du tout"}
		}, want: all(br)},
		// Each signed-in person sees only their own passkeys; adding and
		// removing one needs confirmation (owners and workers alike).
		{method: "GET", path: "/api/v1/passkeys", want: sess(ok, ok, ok, ok, ok)},
		{method: "POST", path: "/api/v1/passkeys/options", want: sess(fb, fb, fb, fb, fb), ownerCode: "reauth_required"},
		{method: "POST", path: "/api/v1/passkeys", body: func(int) any { return map[string]any{"name": "Téléphone", "credential": map[string]any{}} },
			want: sess(fb, fb, fb, fb, fb), ownerCode: "reauth_required"},
		{method: "DELETE", path: "/api/v1/passkeys/{pk}", want: sess(fb, fb, fb, fb, fb), ownerCode: "reauth_required"},
		{method: "POST", path: "/api/v1/passkeys/{pk}/unlock/options", want: sess(nf, nf, nf, nf, ok)},
		{method: "POST", path: "/api/v1/passkeys/{pk}/unlock", body: func(int) any { return map[string]any{"credential": map[string]any{}} },
			want: sess(br, br, br, br, br)},
		{method: "POST", path: "/api/v1/reauth/passkey/options", want: sess(nf, nf, nf, nf, ok)},
		{method: "POST", path: "/api/v1/reauth/passkey", body: func(int) any { return map[string]any{"credential": map[string]any{}} },
			want: sess(br, br, br, br, br)},
		// Owners and workers confirm with their own secret.
		// Nor share with whoever shows it a code.
		{method: "POST", path: "/api/v1/share-codes/{scode}/consents", body: w.codeShare,
			want: sess(fb, fb, fb, fb, fb), ownerCode: "reauth_required"},
		{method: "POST", path: "/api/v1/reauth", body: func(a int) any {
			if a == owner || a == otherOwner || a == workerNone || a == workerExpired {
				return map[string]string{"secret": w.creds[a][1]}
			}
			return map[string]string{"secret": "pas le bon secret du tout"}
		}, want: sess(ok, ok, ok, un, ok)},
		// Confirmed, each may start adding a passkey; an answer that is no
		// browser's adds none.
		{method: "POST", path: "/api/v1/passkeys/options", want: sess(ok, ok, ok, fb, ok), confirm: true},
		{method: "POST", path: "/api/v1/passkeys", body: func(int) any { return map[string]any{"name": "Téléphone", "credential": map[string]any{}} },
			want: sess(br, br, br, fb, br), confirm: true},
		{method: "DELETE", path: "/api/v1/passkeys/{pk}", want: sess(nf, nf, nf, fb, nc), confirm: true},
		// Confirmed (the row above), each owner may, on their own vault.
		{method: "POST", path: "/api/v1/recovery-code", want: sess(ok, fb, fb, fb, ok)},
		{method: "GET", path: "/api/v1/export?format=age", want: sess(ok, fb, fb, fb, ok)},
		{method: "POST", path: "/api/v1/keys/rotate", body: func(a int) any {
			return map[string]string{"new_secret": w.creds[a][1] + " neuves"}
		}, want: sess(ok, fb, fb, fb, ok)},
		{method: "POST", path: "/api/v1/secret", body: func(a int) any {
			if a == owner {
				return map[string]string{"current_secret": w.creds[owner][1], "new_secret": w.creds[owner][1] + " encore"}
			}
			return map[string]string{"current_secret": "pas le bon secret", "new_secret": "un autre secret bien long"}
		}, want: sess(un, fb, fb, fb, nc), relogin: true},
		{method: "PUT", path: "/api/v1/assisted-recovery", body: func(int) any { return map[string]string{"org_id": w.ids["orgID"]} },
			want: sess(nc, fb, fb, fb, nc), confirm: true},
		{method: "POST", path: "/api/v1/assisted-recovery", body: func(int) any {
			return map[string]string{"org_recovery_key": w.e.orgKey, "owner_identifier": "personne.inconnue", "new_secret": "secret de secours assez long"}
		}, want: sess(fb, nf, nf, nf, fb)},
		// Writing documents.
		{method: "POST", path: "/api/v1/documents", upload: true, want: sess(crt, fb, fb, fb, crt)},
		{method: "PATCH", path: "/api/v1/documents/{doc}", body: func(int) any { return map[string]string{"expires": "2031-01-31"} },
			want: sess(nf, fb, fb, fb, ok)},
		// Filing a paper and marking it opened: the owner's alone.
		{method: "PATCH", path: "/api/v1/documents/{doc}", body: func(int) any { return map[string]any{"type": "avis-impot", "new": false} },
			want: sess(nf, fb, fb, fb, ok)},
		{method: "DELETE", path: "/api/v1/documents/{del}", want: sess(nf, fb, fb, fb, nc), confirm: true},
		// Consents, requests, links.
		{method: "POST", path: "/api/v1/consents", body: func(int) any {
			return map[string]any{"grantee": map[string]string{"kind": "worker", "id": w.ids["wx"]},
				"scope": map[string]any{"documents": []string{w.ids["doc"]}}, "purpose": "Dossier", "days": 31}
		}, want: sess(nf, fb, fb, fb, crt), confirm: true},
		{method: "DELETE", path: "/api/v1/consents/{kx}", want: sess(nf, fb, fb, fb, nc)},
		{method: "POST", path: "/api/v1/requests", body: func(int) any {
			return map[string]any{"owner_id": w.ids["ownerID"], "purpose": "Dossier CAF", "types": []string{"rib"}, "days": 31}
		}, want: sess(fb, crt, crt, crt, fb)},
		// By identifier: the same answer for a vault's identifier as for
		// one no vault has.
		{method: "POST", path: "/api/v1/requests", body: func(int) any {
			return map[string]any{"owner_identifier": w.creds[owner][0], "purpose": "Dossier CAF", "types": []string{"rib"}, "days": 31}
		}, want: sess(fb, crt, crt, crt, fb)},
		{method: "POST", path: "/api/v1/requests", body: func(int) any {
			return map[string]any{"owner_identifier": "personne.sans.coffre", "purpose": "Dossier CAF", "types": []string{"rib"}, "days": 31}
		}, want: sess(fb, crt, crt, crt, fb)},
		{method: "POST", path: "/api/v1/requests/{req1}/accept", body: func(int) any { return map[string]any{"documents": []string{w.ids["doc"]}} },
			want: sess(nf, fb, fb, fb, crt), confirm: true},
		{method: "POST", path: "/api/v1/requests/{req2}/decline", want: sess(nf, fb, fb, fb, nc)},
		// Redos: the request's worker asks (the paper is by now an
		// avis-impot, also asked); the owner forwards; each sees their own.
		{method: "GET", path: "/api/v1/redos", want: sess(ok, ok, ok, ok, ok)},
		{method: "POST", path: "/api/v1/requests/{req3}/redos", body: func(int) any {
			return map[string]any{"document_id": w.ids["doc"], "reason": "expired"}
		}, want: sess(fb, nf, nf, crt, fb)},
		{method: "POST", path: "/api/v1/redos/{redo}/forward", body: func(int) any { return map[string]any{} },
			want: sess(nf, fb, fb, fb, crt)},
		// Share codes: workers make them; owners look them up and share
		// (confirmed), each with the code shown to them.
		{method: "POST", path: "/api/v1/share-codes", want: sess(fb, crt, crt, crt, fb)},
		{method: "GET", path: "/api/v1/share-codes/{scode}", want: sess(ok, fb, fb, fb, ok)},
		{method: "POST", path: "/api/v1/share-codes/{scode}/consents", body: w.codeShare,
			want: sess(crt, fb, fb, fb, crt), confirm: true},
		{method: "POST", path: "/api/v1/droplinks", body: func(int) any {
			return map[string]any{"owner_id": w.ids["ownerID"], "label": "Pour le dossier"}
		}, want: sess(nf, nf, nf, crt, crt)},
		{method: "DELETE", path: "/api/v1/droplinks/{ldel}", want: sess(nf, nf, nf, nf, nc)},
		// Notifications: each caller's own inbox, preferences and addresses.
		{method: "GET", path: "/api/v1/inbox", want: sess(ok, ok, ok, ok, ok)},
		{method: "POST", path: "/api/v1/inbox/{inbox}/read", want: sess(nf, nf, nf, nf, nc)},
		{method: "GET", path: "/api/v1/notifications/settings", want: sess(ok, ok, ok, ok, ok)},
		{method: "PUT", path: "/api/v1/notifications/settings", body: func(int) any {
			return map[string]any{"off": map[string][]string{"email": {"reminder"}}, "quiet": map[string]int{"start": 1320, "end": 420}}
		}, want: sess(ok, ok, ok, ok, ok)},
		{method: "GET", path: "/api/v1/notifications/contacts", want: sess(ok, ok, ok, ok, ok)},
		{method: "POST", path: "/api/v1/notifications/contacts", body: func(a int) any {
			return map[string]string{"channel": "email", "address": fmt.Sprintf("actor%d@example.org", a)}
		}, want: sess(crt, crt, crt, crt, crt), confirmAll: true},
		{method: "DELETE", path: "/api/v1/notifications/contacts/{contact}", want: sess(nf, nf, nf, nf, nc)},
		{method: "GET", path: "/api/v1/notifications/push-key", want: sess(ok, ok, ok, ok, ok)},
		// The owner's own bucket: this server does not allow it (403 for
		// everyone); owners still see where their documents are.
		{method: "GET", path: "/api/v1/me/storage", want: sess(ok, fb, fb, fb, ok)},
		{method: "PUT", path: "/api/v1/me/storage", body: func(int) any {
			return map[string]any{"endpoint": "s3.example.org", "bucket": "mon-coffre", "access_key": "AK", "secret_key": "SK"}
		}, want: sess(fb, fb, fb, fb, fb)},
		{method: "DELETE", path: "/api/v1/me/storage", want: sess(fb, fb, fb, fb, fb)},
		// Sessions end.
		{method: "POST", path: "/api/v1/logout", want: sess(nc, nc, nc, nc, nc), relogin: true},
		{method: "POST", path: "/api/v1/logout-everywhere", want: sess(nc, nc, nc, nc, nc), relogin: true},
		{method: "DELETE", path: "/api/v1/account", body: func(int) any { return map[string]bool{"confirm": true} },
			want: sess(nc, fb, fb, fb, nc), confirm: true},
	}

	// Every route of the API is in the table.
	covered := map[string]bool{}
	for _, r := range rows {
		p, _, _ := strings.Cut(r.path, "?")
		covered[r.method+" "+placeholder.ReplaceAllString(p, ":x")] = true
	}
	for _, rt := range e.apiRoutes() {
		if !covered[paramRE.ReplaceAllString(rt, ":x")] {
			t.Errorf("route %s is missing from the matrix", rt)
		}
	}

	for _, r := range rows {
		name := r.method + " " + strings.ReplaceAll(r.path, "/api/v1", "")
		t.Run(name, func(t *testing.T) {
			if r.confirm || r.confirmAll {
				for _, a := range []int{owner, otherOwner} {
					want(t, w.clients[a].do(t, "POST", "/api/v1/reauth", map[string]string{"secret": w.creds[a][1]}), 200, "reauth")
				}
			}
			if r.confirmAll {
				for _, a := range []int{workerNone, workerExpired, workerConsent} {
					want(t, w.clients[a].do(t, "POST", "/api/v1/reauth", map[string]string{"secret": w.creds[a][1]}), 200, "reauth")
				}
			}
			for a := range nActors {
				cl := w.clients[a]
				if a == anon || a == helper {
					cl = e.client() // no session, ever
					cl.ip = w.ips[a]
				}
				path := w.fill(r.path, a)
				var res resp
				switch {
				case r.upload:
					res = cl.upload(t, path, page(photo(t, 500, 700, uint64(a))))
				case r.body != nil:
					res = cl.do(t, r.method, path, r.body(a))
				default:
					res = cl.send(t, request{method: r.method, path: path})
				}
				if res.status != r.want[a] {
					t.Errorf("%s: status %d, want %d; body %s", actorNames[a], res.status, r.want[a], truncate(res.body))
				}
				if r.ownerCode != "" && (a == owner || a == otherOwner) && !strings.Contains(string(res.body), `"code":"`+r.ownerCode+`"`) {
					t.Errorf("%s: body %s, want code %s", actorNames[a], truncate(res.body), r.ownerCode)
				}
				entitled := a == owner || a == workerConsent
				if !entitled {
					if what, found := containsAny(string(res.body), w.leaks); found {
						t.Errorf("%s: the answer leaks the %s", actorNames[a], what)
					}
				}
				// A refusal about a real thing equals the refusal about a
				// made-up one: existence does not leak.
				if res.status == 404 && strings.Contains(r.path, "{") && !strings.Contains(r.path, "{token}") {
					fake := w.fakeIDs(r.path)
					var res2 resp
					if r.body != nil {
						res2 = cl.do(t, r.method, fake, r.body(a))
					} else {
						res2 = cl.send(t, request{method: r.method, path: fake})
					}
					if res2.status != res.status || !bytes.Equal(res2.body, res.body) {
						t.Errorf("%s: refusal differs for a made-up id: %d %s vs %d %s", actorNames[a],
							res.status, truncate(res.body), res2.status, truncate(res2.body))
					}
				}
				if res.status == 200 && (r.path == "/api/v1/login" || r.path == "/api/v1/workers/login") {
					var s session
					res.json(t, &s)
					cl.csrf = s.CSRFToken
				}
			}
			if r.path == "/api/v1/secret" {
				w.creds[owner][1] += " encore"
			}
			if r.path == "/api/v1/keys/rotate" && r.want[owner] == ok {
				w.creds[owner][1] += " neuves"
				w.creds[otherOwner][1] += " neuves"
			}
			if r.relogin {
				w.login(t)
			}
		})
	}
}

// setup creates the owners, workers, documents, consents (one expired by
// the clock), requests and links the matrix needs.
func (w *matrixWorld) setup(t *testing.T) {
	e := w.e
	for a := range nActors {
		w.ips[a] = fmt.Sprintf("192.0.2.%d", 10+a)
		w.clients[a] = e.client()
		w.clients[a].ip = w.ips[a]
	}
	w.creds[owner] = [2]string{"alice.martin", "lune carton pivert salade"}
	w.creds[otherOwner] = [2]string{"bob.durand", "sable tigre orgue navet"}
	for _, a := range []int{owner, otherOwner} {
		var su struct {
			OwnerID string `json:"owner_id"`
		}
		want(t, e.client().do(t, "POST", "/api/v1/signup", map[string]string{"identifier": w.creds[a][0], "secret": w.creds[a][1]}), 201, "signup").json(t, &su)
		if a == owner {
			w.ids["ownerID"] = su.OwnerID
		}
	}
	w.ids["orgID"] = e.org.ID
	for a, name := range map[int]string{workerNone: "w0", workerExpired: "wexp", workerConsent: "wok"} {
		w.creds[a] = [2]string{name + "@ccas.example", "secret de " + name + " assez long"}
		w.ids[name] = e.worker(w.creds[a][0], "Agent "+name, w.creds[a][1])
	}
	w.ids["wx"] = e.worker("wx@ccas.example", "Agent wx", "secret de wx assez long")
	w.login(t)
	own := w.clients[owner]
	// The owner's phone holds a passkey (PRF: it opens her vault).
	w.ids["pk"] = own.addPasskey(t, newSoftPasskey(t, e, true), w.creds[owner][1], "Téléphone d'Alice")

	upload := func(title string, seed uint64) (string, []byte) {
		var up struct {
			Document docJSON `json:"document"`
		}
		want(t, own.upload(t, "/api/v1/documents", field("type", "rib"), field("title", title), page(photo(t, 600, 800, seed))), 201, "upload").json(t, &up)
		body := want(t, own.get(t, "/api/v1/documents/"+up.Document.ID+"/content"), 200, "download").body
		return up.Document.ID, body
	}
	doc, pdf := upload("RIB secret d'Alice", 100)
	del, _ := upload("Vieux RIB d'Alice", 101)
	w.ids["doc"], w.ids["del"] = doc, del
	w.leaks["document id"], w.leaks["second document id"] = doc, del
	w.leaks["title"], w.leaks["second title"] = "RIB secret", "Vieux RIB"
	w.leaks["document bytes"] = string(pdf[len(pdf)/2 : len(pdf)/2+48])
	w.leaks["document bytes (base64)"] = base64.StdEncoding.EncodeToString(pdf[len(pdf)/2 : len(pdf)/2+48])[:40]

	grant := func(worker string, days int) string {
		var k struct {
			ID string `json:"id"`
		}
		want(t, own.do(t, "POST", "/api/v1/consents", map[string]any{
			"grantee": map[string]string{"kind": "worker", "id": w.ids[worker]},
			"scope":   map[string]any{"documents": []string{doc, del}}, "purpose": "Dossier CAF", "days": days,
		}), 201, "grant").json(t, &k)
		return k.ID
	}
	// Granting needs the secret typed again in this session.
	want(t, own.do(t, "POST", "/api/v1/reauth", map[string]string{"secret": w.creds[owner][1]}), 200, "reauth")
	grant("wexp", 1)
	grant("wok", 31)
	w.ids["kx"] = grant("wx", 31)

	// Two days later the 1-day consent has expired (no sweeper has run).
	e.clock.Advance(49 * time.Hour)
	w.login(t)
	own = w.clients[owner]

	var link struct {
		Token string `json:"token"`
		Link  struct {
			ID string `json:"id"`
		} `json:"link"`
	}
	want(t, own.do(t, "POST", "/api/v1/droplinks", map[string]any{"label": "Pour l'aidant", "max_uses": 5}), 201, "link").json(t, &link)
	w.ids["token"] = link.Token
	want(t, own.do(t, "POST", "/api/v1/droplinks", map[string]any{"label": "À révoquer"}), 201, "link").json(t, &link)
	w.ids["ldel"] = link.Link.ID
	w.leaks["link label"], w.leaks["link id"] = "À révoquer", link.Link.ID
	// The worker with consent downloads a paper: the owner's inbox gets the
	// access alert. The owner gives an e-mail address.
	want(t, w.clients[workerConsent].get(t, "/api/v1/documents/"+doc+"/content"), 200, "worker download")
	if _, err := e.notify.RunOnce(testCtx(t)); err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	var inbox struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	want(t, own.get(t, "/api/v1/inbox"), 200, "inbox").json(t, &inbox)
	if len(inbox.Items) == 0 {
		t.Fatal("no access alert in the owner's inbox")
	}
	w.ids["inbox"] = inbox.Items[0].ID
	var contact struct {
		ID string `json:"id"`
	}
	own.reauth(t, w.creds[owner][1]) // a new address for alerts needs the secret again
	want(t, own.do(t, "POST", "/api/v1/notifications/contacts", map[string]string{"channel": "email", "address": "alice@example.org"}), 201, "contact").json(t, &contact)
	w.ids["contact"] = contact.ID
	w.leaks["e-mail address"] = "alice@example.org"
	// Two workers outside the actors each show a share code: one to the
	// owner, one to the other owner (fill).
	for key, who := range map[string]string{"scode": "wx", "scode2": "wy"} {
		email, secret := who+"@ccas.example", "secret de "+who+" assez long"
		if who == "wy" {
			e.worker(email, "Agent wy", secret)
		}
		wc := e.client()
		wc.loginWorker(t, email, secret)
		var sc struct {
			Code string `json:"code"`
		}
		want(t, wc.do(t, "POST", "/api/v1/share-codes", nil), 201, "share code").json(t, &sc)
		w.ids[key] = strings.ReplaceAll(sc.Code, "-", "")
	}
	for _, k := range []string{"req1", "req2"} {
		var rq struct {
			ID string `json:"id"`
		}
		want(t, w.clients[workerConsent].do(t, "POST", "/api/v1/requests", map[string]any{
			"owner_id": w.ids["ownerID"], "purpose": "Dossier logement", "types": []string{"rib"}, "days": 31,
		}), 201, "request").json(t, &rq)
		w.ids[k] = rq.ID
	}
	// A request the owner accepted, and a paper of it the worker asked her
	// to redo (redos.go).
	var rq struct {
		ID string `json:"id"`
	}
	wok := w.clients[workerConsent]
	want(t, wok.do(t, "POST", "/api/v1/requests", map[string]any{
		"owner_id": w.ids["ownerID"], "purpose": "Dossier RSA", "types": []string{"rib", "avis-impot"}, "days": 31,
	}), 201, "request").json(t, &rq)
	w.ids["req3"] = rq.ID
	want(t, own.do(t, "POST", "/api/v1/reauth", map[string]string{"secret": w.creds[owner][1]}), 200, "reauth")
	want(t, own.do(t, "POST", "/api/v1/requests/"+rq.ID+"/accept", map[string]any{"documents": []string{doc}}), 201, "accept")
	var redo struct {
		ID string `json:"id"`
	}
	want(t, wok.do(t, "POST", "/api/v1/requests/"+rq.ID+"/redos", map[string]any{"document_id": doc, "reason": "page_missing"}), 201, "redo").json(t, &redo)
	w.ids["redo"] = redo.ID
}

// codeShare is the body of a share through a code: the owner shares her
// paper; the other owner, the papers of a type he adds later.
func (w *matrixWorld) codeShare(a int) any {
	scope := map[string]any{"documents": []string{w.ids["doc"]}}
	if a != owner {
		scope = map[string]any{"types": []string{"rib"}}
	}
	return map[string]any{"scope": scope, "purpose": "Dossier", "days": 31, "show_name": "Alice"}
}

// login (re)opens the session of every actor that has an account.
func (w *matrixWorld) login(t *testing.T) {
	for a := range nActors {
		switch a {
		case owner, otherOwner:
			w.clients[a] = w.e.client()
			w.clients[a].ip = w.ips[a]
			w.clients[a].loginOwner(t, w.creds[a][0], w.creds[a][1])
		case workerNone, workerExpired, workerConsent:
			w.clients[a] = w.e.client()
			w.clients[a].ip = w.ips[a]
			w.clients[a].loginWorker(t, w.creds[a][0], w.creds[a][1])
		}
	}
}

// fill replaces the placeholders of a path. Only the helper holds the real
// drop-link token; the others try a forged one.
func (w *matrixWorld) fill(path string, a int) string {
	for k, v := range w.ids {
		if k == "token" && a != helper {
			v = randomToken()
		}
		if k == "scode" && a == otherOwner {
			v = w.ids["scode2"]
		}
		path = strings.ReplaceAll(path, "{"+k+"}", v)
	}
	return path
}

// fakeIDs replaces the placeholders with well-formed ids of nothing.
func (w *matrixWorld) fakeIDs(path string) string {
	for k := range w.ids {
		fake := "aaaaaaaaaaaaaaaaaaaaaaaaaa"
		if k == "scode" {
			fake = "ZZZZZZZZ" // a well-formed code of nobody
		}
		path = strings.ReplaceAll(path, "{"+k+"}", fake)
	}
	return path
}

var (
	placeholder = regexp.MustCompile(`\{[a-z0-9]+\}`)
	paramRE     = regexp.MustCompile(`:[a-z]+`)
)

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
