package api_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
)

// softPasskey is a phone's authenticator in software: a P-256 key, a
// discoverable credential, user verification, a signature counter and,
// when prf is set, the PRF extension (HMAC of the salt). Its answers are
// what a browser sends; fields let the tests make them hostile.
type softPasskey struct {
	key        *ecdsa.PrivateKey
	id         []byte
	userHandle []byte
	count      uint32
	prfKey     []byte // nil: no PRF
	// origin and rpID are what the browser and the authenticator put in
	// their answers (the page's origin and host, unless a test lies).
	origin, rpID string
	noUV         bool
}

func newSoftPasskey(t *testing.T, e *env, prf bool) *softPasskey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(e.base)
	sp := &softPasskey{key: k, id: randBytes(16), origin: e.base, rpID: u.Hostname()}
	if prf {
		sp.prfKey = randBytes(32)
	}
	return sp
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

var b64 = base64.RawURLEncoding

// options is what the server hands the browser (creation or request).
type options struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		RPID string `json:"rpId"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
		UserVerification string `json:"userVerification"`
		Extensions       struct {
			PRF *struct {
				Eval struct {
					First string `json:"first"`
				} `json:"eval"`
			} `json:"prf"`
		} `json:"extensions"`
		AllowCredentials []struct {
			ID string `json:"id"`
		} `json:"allowCredentials"`
		ExcludeCredentials []struct {
			ID string `json:"id"`
		} `json:"excludeCredentials"`
	} `json:"publicKey"`
}

func (sp *softPasskey) clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": sp.origin, "crossOrigin": false})
	return b
}

func (sp *softPasskey) authData(attested bool) []byte {
	h := sha256.Sum256([]byte(sp.rpID))
	flags := byte(0x01) // user present
	if !sp.noUV {
		flags |= 0x04
	}
	if attested {
		flags |= 0x40
	}
	var cnt [4]byte
	binary.BigEndian.PutUint32(cnt[:], sp.count)
	out := append(append(h[:], flags), cnt[:]...)
	if !attested {
		return out
	}
	out = append(out, make([]byte, 16)...) // AAGUID
	var l [2]byte
	binary.BigEndian.PutUint16(l[:], uint16(len(sp.id)))
	out = append(append(out, l[:]...), sp.id...)
	x, y := sp.key.X.FillBytes(make([]byte, 32)), sp.key.Y.FillBytes(make([]byte, 32))
	cose, err := webauthncbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: x, -3: y})
	if err != nil {
		panic(err)
	}
	return append(out, cose...)
}

func (sp *softPasskey) prfResults(o options) map[string]any {
	if sp.prfKey == nil || o.PublicKey.Extensions.PRF == nil {
		return map[string]any{}
	}
	salt, _ := b64.DecodeString(o.PublicKey.Extensions.PRF.Eval.First)
	m := hmac.New(sha256.New, sp.prfKey)
	m.Write(salt)
	return map[string]any{"prf": map[string]any{"enabled": true, "results": map[string]any{"first": b64.EncodeToString(m.Sum(nil))}}}
}

// prf is the output the authenticator gives for Coffre's salt.
func (sp *softPasskey) prf(o options) []byte {
	r := sp.prfResults(o)
	if len(r) == 0 {
		return nil
	}
	out, _ := b64.DecodeString(r["prf"].(map[string]any)["results"].(map[string]any)["first"].(string))
	return out
}

// create answers registration options.
func (sp *softPasskey) create(t *testing.T, o options) map[string]any {
	t.Helper()
	uh, err := b64.DecodeString(o.PublicKey.User.ID)
	if err != nil {
		t.Fatalf("user id %q: %v", o.PublicKey.User.ID, err)
	}
	sp.userHandle = uh
	att, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": sp.authData(true)})
	if err != nil {
		t.Fatal(err)
	}
	ext := sp.prfResults(o)
	if p, ok := ext["prf"].(map[string]any); ok && sp.prfKey != nil {
		delete(p, "results") // like most phones: PRF answered at sign-in only
	}
	return map[string]any{
		"id": b64.EncodeToString(sp.id), "rawId": b64.EncodeToString(sp.id), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(sp.clientData("webauthn.create", o.PublicKey.Challenge)),
			"attestationObject": b64.EncodeToString(att), "transports": []string{"internal"},
		},
		"clientExtensionResults": ext,
	}
}

// get answers request options (the counter goes up first).
func (sp *softPasskey) get(t *testing.T, o options) map[string]any {
	t.Helper()
	sp.count++
	ad := sp.authData(false)
	cd := sp.clientData("webauthn.get", o.PublicKey.Challenge)
	h := sha256.Sum256(cd)
	sum := sha256.Sum256(append(append([]byte{}, ad...), h[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, sp.key, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return map[string]any{
		"id": b64.EncodeToString(sp.id), "rawId": b64.EncodeToString(sp.id), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON": b64.EncodeToString(cd), "authenticatorData": b64.EncodeToString(ad),
			"signature": b64.EncodeToString(sig), "userHandle": b64.EncodeToString(sp.userHandle),
		},
		"clientExtensionResults": sp.prfResults(o),
	}
}

// options asks the server for a ceremony's options.
func (c *client) options(t *testing.T, path string) options {
	t.Helper()
	r := want(t, c.do(t, http.MethodPost, path, nil), 200, "options "+path)
	var o options
	r.json(t, &o)
	if o.PublicKey.Challenge == "" {
		t.Fatalf("options %s without challenge: %s", path, r.body)
	}
	return o
}

// loginResp is a passkey sign-in's answer.
type loginResp struct {
	Status  string  `json:"status"`
	Ticket  string  `json:"ticket"`
	Next    string  `json:"next"`
	Session session `json:"session"`
}

// addPasskey confirms the client's session with secret, registers sp and,
// when the authenticator has PRF, gives it its wrap (the page's two steps).
func (c *client) addPasskey(t *testing.T, sp *softPasskey, secret, name string) string {
	t.Helper()
	c.reauth(t, secret)
	o := c.options(t, "/api/v1/passkeys/options")
	r := want(t, c.do(t, http.MethodPost, "/api/v1/passkeys", map[string]any{"name": name, "credential": sp.create(t, o)}), 201, "add passkey")
	var added struct {
		ID      string `json:"id"`
		Unlocks bool   `json:"unlocks"`
		PRF     bool   `json:"prf"`
	}
	r.json(t, &added)
	if added.Unlocks || added.PRF != (sp.prfKey != nil) {
		t.Fatalf("added = %+v (prf %v)", added, sp.prfKey != nil)
	}
	if added.PRF {
		o := c.options(t, "/api/v1/passkeys/"+added.ID+"/unlock/options")
		want(t, c.do(t, http.MethodPost, "/api/v1/passkeys/"+added.ID+"/unlock", map[string]any{"credential": sp.get(t, o)}), 200, "unlock")
	}
	return added.ID
}

// passkeyLogin signs c in with sp and returns the answer.
func (c *client) passkeyLogin(t *testing.T, sp *softPasskey) (resp, loginResp) {
	t.Helper()
	o := c.options(t, "/api/v1/passkeys/login/options")
	r := c.do(t, http.MethodPost, "/api/v1/passkeys/login", map[string]any{"credential": sp.get(t, o)})
	var lr loginResp
	if r.status == 200 {
		r.json(t, &lr)
		c.csrf = lr.Session.CSRFToken
	}
	return r, lr
}

type passkeyList struct {
	Passkeys []struct {
		ID       string  `json:"id"`
		Name     string  `json:"name"`
		Unlocks  bool    `json:"unlocks"`
		Reenrol  bool    `json:"reenrol"`
		LastUsed *string `json:"last_used"`
	} `json:"passkeys"`
}

func (c *client) passkeys(t *testing.T) passkeyList {
	t.Helper()
	var l passkeyList
	want(t, c.get(t, "/api/v1/passkeys"), 200, "list passkeys").json(t, &l)
	return l
}

// A passkey with PRF opens the owner's vault through the API: no
// identifier, no secret; the papers list; the journal says so. Without
// PRF the secret is asked once (needs_secret); after a key rotation the
// passkey asks the new secret once and opens by itself again; a fresh
// assertion confirms the session; removal ends it.
func TestPasskeyAPI(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits, named: true})
	const secret = "girafe velo soleil cartable"
	owner := e.client()
	want(t, owner.do(t, http.MethodPost, "/api/v1/signup", map[string]string{"identifier": "awa.api", "secret": secret}), 201, "signup")
	owner.loginOwner(t, "awa.api", secret)
	up := owner.upload(t, "/api/v1/documents", field("category", "identity"), field("title", "Passeport"), page(photo(t, 900, 1200, 1)))
	want(t, up, 201, "upload")

	phone := newSoftPasskey(t, e, true)
	old := newSoftPasskey(t, e, false)
	// A session alone adds nothing.
	checkErr(t, owner.do(t, http.MethodPost, "/api/v1/passkeys/options", nil), 403, "reauth_required", "options with the session alone")
	id := owner.addPasskey(t, phone, secret, "Téléphone")
	owner.addPasskey(t, old, secret, "Vieux téléphone")
	byName := map[string]bool{}
	for _, k := range owner.passkeys(t).Passkeys {
		byName[k.Name] = k.Unlocks && k.LastUsed != nil // the phone signed once, to get its PRF output
	}
	if len(byName) != 2 || !byName["Téléphone"] || byName["Vieux téléphone"] {
		t.Fatalf("passkeys = %+v", owner.passkeys(t))
	}

	// Sign in with the phone: the papers are there.
	c := e.client()
	r, lr := c.passkeyLogin(t, phone)
	if r.status != 200 || lr.Status != "signed_in" || lr.Next != "/papers" || lr.Session.Kind != "owner" {
		t.Fatalf("passkey login: %d %s", r.status, r.body)
	}
	var docs struct {
		Documents []struct {
			Title string `json:"title"`
		} `json:"documents"`
	}
	want(t, c.get(t, "/api/v1/documents"), 200, "documents").json(t, &docs)
	if len(docs.Documents) != 1 || docs.Documents[0].Title != "Passeport" {
		t.Fatalf("documents after passkey = %+v", docs)
	}
	// Confirm with a fresh assertion, then do what needs it.
	checkErr(t, c.do(t, http.MethodPost, "/api/v1/recovery-code", nil), 403, "reauth_required", "unconfirmed")
	o := c.options(t, "/api/v1/reauth/passkey/options")
	want(t, c.do(t, http.MethodPost, "/api/v1/reauth/passkey", map[string]any{"credential": phone.get(t, o)}), 200, "reauth by passkey")
	want(t, c.do(t, http.MethodPost, "/api/v1/recovery-code", nil), 200, "recovery code after passkey")

	// Without PRF: needs_secret, then the secret once.
	c2 := e.client()
	r, lr = c2.passkeyLogin(t, old)
	if r.status != 200 || lr.Status != "needs_secret" || lr.Ticket == "" {
		t.Fatalf("no-PRF login: %d %s", r.status, r.body)
	}
	checkErr(t, c2.do(t, http.MethodGet, "/api/v1/session", nil), 401, "no_session", "before the secret")
	checkErr(t, c2.do(t, http.MethodPost, "/api/v1/passkeys/login/secret", map[string]string{"ticket": lr.Ticket, "secret": "pas le bon secret"}), 401, "wrong_secret", "wrong secret")
	r = want(t, c2.do(t, http.MethodPost, "/api/v1/passkeys/login/secret", map[string]string{"ticket": lr.Ticket, "secret": secret}), 200, "secret after passkey")
	// The ticket served once.
	e.client().do(t, http.MethodPost, "/api/v1/passkeys/login/secret", map[string]string{"ticket": lr.Ticket, "secret": secret})
	checkErr(t, c2.do(t, http.MethodPost, "/api/v1/passkeys/login/secret", map[string]string{"ticket": lr.Ticket, "secret": secret}), 400, "passkey_expired", "ticket again")

	// Key rotation: the phone asks the new secret once, then opens alone.
	const s2 = "ballon hibou radis pomme"
	want(t, c.do(t, http.MethodPost, "/api/v1/keys/rotate", map[string]string{"new_secret": s2}), 200, "rotate")
	c3 := e.client()
	o = c3.options(t, "/api/v1/passkeys/login/options")
	r = want(t, c3.do(t, http.MethodPost, "/api/v1/passkeys/login", map[string]any{"credential": phone.get(t, o)}), 200, "login after rotation")
	r.json(t, &lr)
	if lr.Status != "needs_secret" {
		t.Fatalf("after rotation: %s", r.body)
	}
	want(t, c3.do(t, http.MethodPost, "/api/v1/passkeys/login/secret", map[string]string{
		"ticket": lr.Ticket, "secret": s2, "prf": b64.EncodeToString(phone.prf(o))}), 200, "re-enrol")
	c4 := e.client()
	if r, lr := c4.passkeyLogin(t, phone); r.status != 200 || lr.Status != "signed_in" {
		t.Fatalf("after re-enrolment: %d %s", r.status, r.body)
	}
	var journal struct {
		Events []struct {
			Text string `json:"text"`
		} `json:"events"`
	}
	want(t, c4.get(t, "/api/v1/journal"), 200, "journal").json(t, &journal)
	var texts []string
	for _, en := range journal.Events {
		texts = append(texts, en.Text)
	}
	for _, w := range []string{"Vous vous êtes connecté avec la clé d'accès « Téléphone »", "Clés changées : vos clés d'accès (Téléphone) vous connectent encore",
		"Votre clé d'accès « Téléphone » ouvre de nouveau votre coffre"} {
		if !strings.Contains(strings.Join(texts, "\n"), w) {
			t.Errorf("journal lacks %q: %q", w, texts)
		}
	}

	// Removal needs confirmation, and then the passkey opens nothing.
	checkErr(t, c4.do(t, http.MethodDelete, "/api/v1/passkeys/"+id, nil), 403, "reauth_required", "remove unconfirmed")
	c4.reauth(t, s2)
	want(t, c4.do(t, http.MethodDelete, "/api/v1/passkeys/"+id, nil), 204, "remove")
	checkErr(t, c4.do(t, http.MethodDelete, "/api/v1/passkeys/"+id, nil), 404, "not_found", "remove again")
	r, _ = e.client().passkeyLogin(t, phone)
	checkErrResp(t, r, 401, "passkey_unknown", "removed passkey")
}

func checkErrResp(t *testing.T, r resp, status int, code, what string) {
	t.Helper()
	var b struct {
		Error struct{ Code, Message string }
	}
	_ = json.Unmarshal(r.body, &b)
	if r.status != status || b.Error.Code != code || b.Error.Message == "" {
		t.Errorf("%s: %d %s, want %d %s", what, r.status, truncate(r.body), status, code)
	}
}

// Hostile answers to the ceremonies are each refused with a clear error,
// and nothing is written: no passkey, no counter moved, no session.
func TestPasskeyHostileCeremonies(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits, named: true})
	const secret = "girafe velo soleil cartable"
	owner := e.client()
	want(t, owner.do(t, http.MethodPost, "/api/v1/signup", map[string]string{"identifier": "hostile.pk", "secret": secret}), 201, "signup")
	owner.loginOwner(t, "hostile.pk", secret)
	owner.reauth(t, secret)

	reg := func(mut func(sp *softPasskey, o *options, body map[string]any)) resp {
		sp := newSoftPasskey(t, e, true)
		o := owner.options(t, "/api/v1/passkeys/options")
		body := map[string]any{"name": "Téléphone", "credential": nil}
		mut(sp, &o, body)
		if body["credential"] == nil {
			body["credential"] = sp.create(t, o)
		}
		return owner.do(t, http.MethodPost, "/api/v1/passkeys", body)
	}
	regCases := []struct {
		name         string
		mut          func(sp *softPasskey, o *options, body map[string]any)
		status       int
		code         string
		reuseOptions bool
	}{
		{"wrong origin", func(sp *softPasskey, _ *options, _ map[string]any) { sp.origin = "https://evil.example" }, 400, "passkey_refused", false},
		{"wrong RP ID", func(sp *softPasskey, _ *options, _ map[string]any) { sp.rpID = "evil.example" }, 400, "passkey_refused", false},
		{"no user verification", func(sp *softPasskey, _ *options, _ map[string]any) { sp.noUV = true }, 400, "passkey_refused", false},
		{"unknown challenge", func(_ *softPasskey, o *options, _ map[string]any) {
			o.PublicKey.Challenge = b64.EncodeToString(randBytes(32))
		}, 400, "passkey_expired", false},
		{"oversized credential id", func(sp *softPasskey, _ *options, _ map[string]any) { sp.id = randBytes(1100) }, 400, "passkey_refused", false},
		{"oversized body", func(_ *softPasskey, _ *options, body map[string]any) {
			body["credential"] = map[string]any{"id": strings.Repeat("A", 70<<10)}
		}, 413, "too_large", false},
		{"malformed credential", func(_ *softPasskey, _ *options, body map[string]any) { body["credential"] = map[string]any{"id": 3} }, 400, "passkey_refused", false},
		{"no name", func(_ *softPasskey, _ *options, body map[string]any) { body["name"] = " " }, 422, "invalid", false},
		{"overlong name", func(_ *softPasskey, _ *options, body map[string]any) { body["name"] = strings.Repeat("é", 65) }, 422, "invalid", false},
		{"control character in name", func(_ *softPasskey, _ *options, body map[string]any) { body["name"] = "Télé\x1b[31mphone" }, 422, "invalid", false},
	}
	for _, tc := range regCases {
		checkErrResp(t, reg(tc.mut), tc.status, tc.code, "registration: "+tc.name)
	}
	// Unknown fields are refused too.
	checkErr(t, owner.do(t, http.MethodPost, "/api/v1/passkeys", map[string]any{"credential": map[string]any{}, "admin": true}), 400, "unknown_field", "unknown field")
	if l := owner.passkeys(t); len(l.Passkeys) != 0 {
		t.Fatalf("hostile registrations wrote %+v", l)
	}
	// A challenge answered twice: the second finds nothing.
	sp := newSoftPasskey(t, e, true)
	o := owner.options(t, "/api/v1/passkeys/options")
	body := map[string]any{"name": "Téléphone", "credential": sp.create(t, o)}
	want(t, owner.do(t, http.MethodPost, "/api/v1/passkeys", body), 201, "registration")
	checkErrResp(t, owner.do(t, http.MethodPost, "/api/v1/passkeys", body), 400, "passkey_expired", "registration replayed")
	// Another browser's session cannot answer this one's challenge.
	other := e.client()
	want(t, other.do(t, http.MethodPost, "/api/v1/signup", map[string]string{"identifier": "other.pk", "secret": secret}), 201, "signup")
	other.loginOwner(t, "other.pk", secret)
	other.reauth(t, secret)
	sp2 := newSoftPasskey(t, e, true)
	o = owner.options(t, "/api/v1/passkeys/options")
	checkErrResp(t, other.do(t, http.MethodPost, "/api/v1/passkeys", map[string]any{"name": "x", "credential": sp2.create(t, o)}), 400, "passkey_expired", "another session's challenge")
	// The same credential registered by another owner: conflict.
	o = other.options(t, "/api/v1/passkeys/options")
	stolen := *sp // the same credential id and key, for another account
	checkErrResp(t, other.do(t, http.MethodPost, "/api/v1/passkeys", map[string]any{"name": "x", "credential": stolen.create(t, o)}), 409, "conflict", "stolen credential id")
	if l := owner.passkeys(t); len(l.Passkeys) != 1 {
		t.Fatalf("passkeys = %+v", l)
	}
	if l := other.passkeys(t); len(l.Passkeys) != 0 {
		t.Fatalf("the other owner's passkeys = %+v", l)
	}
	// Give the passkey its wrap, then sign in once.
	o = owner.options(t, "/api/v1/passkeys/"+owner.passkeys(t).Passkeys[0].ID+"/unlock/options")
	want(t, owner.do(t, http.MethodPost, "/api/v1/passkeys/"+owner.passkeys(t).Passkeys[0].ID+"/unlock", map[string]any{"credential": sp.get(t, o)}), 200, "unlock")
	if r, lr := e.client().passkeyLogin(t, sp); r.status != 200 || lr.Status != "signed_in" {
		t.Fatalf("login: %d %s", r.status, r.body)
	}
	stored := owner.passkeys(t).Passkeys[0]

	login := func(mut func(sp *softPasskey, o *options) map[string]any) (resp, *client) {
		c := e.client()
		o := c.options(t, "/api/v1/passkeys/login/options")
		cred := mut(sp, &o)
		if cred == nil {
			cred = sp.get(t, o)
		}
		return c.do(t, http.MethodPost, "/api/v1/passkeys/login", map[string]any{"credential": cred}), c
	}
	restore := func(s *softPasskey) func() {
		origin, rpID, id, uh := s.origin, s.rpID, s.id, s.userHandle
		return func() { s.origin, s.rpID, s.id, s.userHandle, s.noUV = origin, rpID, id, uh, false }
	}
	var replay map[string]any
	var lastGood uint32
	loginCases := []struct {
		name   string
		mut    func(sp *softPasskey, o *options) map[string]any
		status int
		code   string
	}{
		{"wrong origin", func(sp *softPasskey, _ *options) map[string]any { sp.origin = "https://evil.example"; return nil }, 400, "passkey_refused"},
		{"wrong RP ID", func(sp *softPasskey, _ *options) map[string]any { sp.rpID = "evil.example"; return nil }, 400, "passkey_refused"},
		{"no user verification", func(sp *softPasskey, _ *options) map[string]any { sp.noUV = true; return nil }, 400, "passkey_refused"},
		{"unknown credential", func(sp *softPasskey, _ *options) map[string]any { sp.id = randBytes(16); return nil }, 401, "passkey_unknown"},
		{"oversized credential id", func(sp *softPasskey, _ *options) map[string]any { sp.id = randBytes(2000); return nil }, 401, "passkey_unknown"},
		{"another account's user handle", func(sp *softPasskey, _ *options) map[string]any { sp.userHandle = []byte("o:someone-else"); return nil }, 400, "passkey_refused"},
		{"bad signature", func(sp *softPasskey, o *options) map[string]any {
			c := sp.get(t, *o)
			c["response"].(map[string]any)["signature"] = b64.EncodeToString(randBytes(70))
			return c
		}, 400, "passkey_refused"},
		{"counter going back", func(sp *softPasskey, o *options) map[string]any {
			sp.count = lastGood - 1 // the answer carries the stored counter again
			return nil
		}, 401, "passkey_replay"},
		{"unknown challenge", func(sp *softPasskey, o *options) map[string]any {
			o.PublicKey.Challenge = b64.EncodeToString(randBytes(32))
			return nil
		}, 400, "passkey_expired"},
		{"replayed challenge", func(sp *softPasskey, o *options) map[string]any {
			if replay == nil {
				t.Fatal("no answer to replay")
			}
			return replay
		}, 400, "passkey_expired"},
		{"oversized body", func(sp *softPasskey, o *options) map[string]any {
			return map[string]any{"id": strings.Repeat("A", 70<<10)}
		}, 413, "too_large"},
		{"malformed", func(sp *softPasskey, o *options) map[string]any { return map[string]any{"response": "x"} }, 400, "passkey_refused"},
	}
	// An answer taken once, to replay.
	{
		c := e.client()
		o := c.options(t, "/api/v1/passkeys/login/options")
		replay = sp.get(t, o)
		want(t, c.do(t, http.MethodPost, "/api/v1/passkeys/login", map[string]any{"credential": replay}), 200, "login to replay")
		stored, lastGood = owner.passkeys(t).Passkeys[0], sp.count
	}
	e.clock.Advance(time.Minute) // a use written now would show

	for _, tc := range loginCases {
		back := restore(sp)
		r, c := login(tc.mut)
		back()
		checkErrResp(t, r, tc.status, tc.code, "sign-in: "+tc.name)
		if r.status == 200 {
			continue
		}
		checkErr(t, c.do(t, http.MethodGet, "/api/v1/session", nil), 401, "no_session", tc.name+": a session was opened")
		now := owner.passkeys(t).Passkeys[0]
		if *now.LastUsed != *stored.LastUsed {
			t.Errorf("%s: the passkey's last use moved", tc.name)
		}
	}
	// An answer to options another browser got: no ceremony cookie here.
	c := e.client()
	o = c.options(t, "/api/v1/passkeys/login/options")
	checkErrResp(t, e.client().do(t, http.MethodPost, "/api/v1/passkeys/login", map[string]any{"credential": sp.get(t, o)}), 400, "passkey_expired", "another browser's challenge")
	// Malformed tickets and secrets on the second step.
	for name, b := range map[string]map[string]string{
		"no ticket":      {"secret": secret},
		"short ticket":   {"ticket": "abc", "secret": secret},
		"unknown ticket": {"ticket": b64.EncodeToString(randBytes(32)), "secret": secret},
		"no secret":      {"ticket": b64.EncodeToString(randBytes(32))},
		"bad prf":        {"ticket": b64.EncodeToString(randBytes(32)), "secret": secret, "prf": "!!"},
	} {
		r := e.client().do(t, http.MethodPost, "/api/v1/passkeys/login/secret", b)
		if r.status != 422 && r.status != 400 {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
	}
	// Still the one passkey, as stored.
	if l := owner.passkeys(t); len(l.Passkeys) != 1 || !bytes.Equal([]byte(*l.Passkeys[0].LastUsed), []byte(*stored.LastUsed)) {
		t.Errorf("after the hostile sign-ins: %+v", l)
	}
}

// Workers add passkeys after confirming with their secret, and sign in
// with them to their own pages.
func TestWorkerPasskeyAPI(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits, named: true})
	const secret = "violon cerise tempete orange"
	e.worker("morel@ccas.test", "Mme Morel", secret)
	w := e.client()
	w.loginWorker(t, "morel@ccas.test", secret)
	checkErr(t, w.do(t, http.MethodPost, "/api/v1/passkeys/options", nil), 403, "reauth_required", "worker session alone")
	checkErr(t, w.do(t, http.MethodPost, "/api/v1/reauth", map[string]string{"recovery_code": "ABCD-EFGH"}), 422, "invalid", "worker recovery code")
	sp := newSoftPasskey(t, e, true)
	w.addPasskey(t, sp, secret, "Téléphone pro")
	c := e.client()
	r, lr := c.passkeyLogin(t, sp)
	if r.status != 200 || lr.Status != "signed_in" || lr.Session.Kind != "worker" || lr.Next != "/pro" {
		t.Fatalf("worker passkey login: %d %s", r.status, r.body)
	}
	want(t, c.get(t, "/pro/account"), 200, "worker account page")
	if page := string(c.get(t, "/pro/account").body); !strings.Contains(page, "Téléphone pro") || !strings.Contains(page, "Ouvre votre coffre, sans secret.") {
		t.Errorf("worker account page lacks the passkey")
	}
}

// With a public URL that is an address, there are no passkeys: the
// routes say so, and the sign-in page offers none.
func TestPasskeysOffOnAnAddress(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	c := e.client()
	checkErr(t, c.do(t, http.MethodPost, "/api/v1/passkeys/login/options", nil), 404, "passkeys_unavailable", "options on an address")
	if page := string(c.get(t, "/login").body); strings.Contains(page, "passkey-signin") || strings.Contains(page, "passkey.js") {
		t.Error("the sign-in page offers passkeys on an address")
	}
}
