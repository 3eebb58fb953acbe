package api_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

type redoOutJSON struct {
	ID            string `json:"id"`
	RequestID     string `json:"request_id"`
	WorkerName    string `json:"worker_name"`
	DocumentID    string `json:"document_id"`
	DocType       string `json:"doc_type"`
	Reason        string `json:"reason"`
	Note          string `json:"note"`
	Status        string `json:"status"`
	LinkID        string `json:"link_id"`
	ReplacementID string `json:"replacement_id"`
}

// redoWorld is an owner who shared her tax notice with a worker, for the
// worker's request (and the tax notices she adds until it ends).
type redoWorld struct {
	e                     *env
	owner, worker, other  *client
	ownerID, reqID, docID string
}

func newRedoWorld(t *testing.T) *redoWorld {
	t.Helper()
	e := newEnv(t, envOptions{rateLimits: highLimits})
	w := &redoWorld{e: e, owner: e.client(), worker: e.client(), other: e.client()}
	w.owner.lang, w.worker.lang = "fr", "fr"
	signUpOwner(t, w.owner, "refaire.titulaire", "pomme radis ballon hibou")
	var me session
	want(t, w.owner.get(t, "/api/v1/session"), 200, "session").json(t, &me)
	w.ownerID = me.ID
	e.worker("morel@ccas.example", "Mme Morel", "tulipe mouette sirop gravier")
	w.worker.loginWorker(t, "morel@ccas.example", "tulipe mouette sirop gravier")
	e.worker("autre@ccas.example", "M. Autre", "girafe cobalt loutre sirop")
	w.other.loginWorker(t, "autre@ccas.example", "girafe cobalt loutre sirop")
	var up struct {
		Document struct {
			ID string `json:"id"`
		} `json:"document"`
	}
	want(t, w.owner.upload(t, "/api/v1/documents", field("type", "avis-impot"), page(photo(t, 900, 1200, 4))), 201, "tax notice").json(t, &up)
	w.docID = up.Document.ID
	var rq struct {
		ID string `json:"id"`
	}
	want(t, w.worker.do(t, "POST", "/api/v1/requests", map[string]any{
		"owner_id": w.ownerID, "purpose": "Dossier RSA", "types": []string{"avis-impot"}, "days": 31,
	}), 201, "request").json(t, &rq)
	w.reqID = rq.ID
	w.owner.reauth(t, "pomme radis ballon hibou")
	want(t, w.owner.do(t, "POST", "/api/v1/requests/"+rq.ID+"/accept", map[string]any{
		"documents": []string{w.docID}, "future_types": []string{"avis-impot"},
	}), 201, "accept")
	e.clock.Advance(time.Minute) // papers added from now on are "later" papers
	return w
}

// helperSends sends one photo through a drop link as the helper's page does.
func (w *redoWorld) helperSends(t *testing.T, token string, img []byte) {
	t.Helper()
	helper := w.e.client()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	k := base64.RawURLEncoding.EncodeToString(key)
	want(t, helper.send(t, request{method: "PUT", path: "/d/" + token + "/pages/1", body: bytes.NewReader(img),
		contentType: "image/jpeg", header: map[string]string{"X-Upload-Key": k}}), 201, "page")
	want(t, helper.do(t, "POST", "/d/"+token+"/send", map[string]any{"key": k, "pages": []int{1}, "type": "avis-impot"}), 201, "send")
}

func (w *redoWorld) redos(t *testing.T, c *client) []redoOutJSON {
	t.Helper()
	var out struct {
		Redos []redoOutJSON `json:"redos"`
	}
	want(t, c.get(t, "/api/v1/redos"), 200, "redos").json(t, &out)
	return out.Redos
}

type forwardOut struct {
	Token string `json:"token"`
	URL   string `json:"url"`
	Link  struct {
		ID        string   `json:"id"`
		Label     string   `json:"label"`
		Requested []string `json:"requested"`
		MaxUses   int      `json:"max_uses"`
	} `json:"link"`
}

// TestRedoLoop (issue 17): the worker marks the tax notice "page missing";
// the owner sees it in plain words and forwards it to her helper as a
// one-item link labelled with the reason; a blurred replacement kept
// anyway leaves it open; a readable one closes it, and the worker reads
// it. Every step is in the owner's journal and notified.
func TestRedoLoop(t *testing.T) {
	w := newRedoWorld(t)
	clean, blurred := capturePhotos(t)

	var r redoOutJSON
	want(t, w.worker.do(t, "POST", "/api/v1/requests/"+w.reqID+"/redos", map[string]any{
		"document_id": w.docID, "reason": "page_missing",
	}), 201, "ask redo").json(t, &r)
	if r.Status != "open" || r.Reason != "page_missing" || r.DocType != "avis-impot" || r.DocumentID != w.docID {
		t.Fatalf("redo = %+v", r)
	}
	// One at a time per request item.
	if res := w.worker.do(t, "POST", "/api/v1/requests/"+w.reqID+"/redos", map[string]any{"document_id": w.docID, "reason": "expired"}); res.status != http.StatusConflict || !strings.Contains(res.errMessage(t), "déjà à refaire") {
		t.Errorf("a second redo: %d %s", res.status, truncate(res.body))
	}

	// The owner sees it, in plain words, on top of her papers.
	rs := w.redos(t, w.owner)
	if len(rs) != 1 || rs[0].ID != r.ID || rs[0].WorkerName != "Mme Morel" {
		t.Fatalf("owner's redos = %+v", rs)
	}
	page := string(want(t, w.owner.get(t, "/papers"), 200, "papers").body)
	for _, s := range []string{"Papier à refaire : Avis d&#39;impôt", "Il manque une page. Demandé par Mme Morel", "Demander à mon aide de le refaire"} {
		if !strings.Contains(page, s) {
			t.Errorf("the owner's papers do not say %q", s)
		}
	}
	// Only she forwards it.
	if res := w.worker.do(t, "POST", "/api/v1/redos/"+r.ID+"/forward", map[string]any{}); res.status != http.StatusForbidden {
		t.Errorf("the worker forwards: %d", res.status)
	}
	var fw forwardOut
	want(t, w.owner.do(t, "POST", "/api/v1/redos/"+r.ID+"/forward", map[string]any{}), 201, "forward").json(t, &fw)
	if fw.Link.Label != "À refaire : Avis d'impôt (page manquante)" || len(fw.Link.Requested) != 1 || fw.Link.Requested[0] != "avis-impot" || fw.Link.MaxUses != 1 {
		t.Fatalf("forwarded link = %+v", fw.Link)
	}
	if !strings.HasSuffix(fw.URL, "/d/"+fw.Token) {
		t.Errorf("link URL %q", fw.URL)
	}
	var info struct {
		Label string `json:"label"`
	}
	helper := w.e.client()
	want(t, helper.get(t, "/api/v1/drop/"+fw.Token), 200, "helper opens the link").json(t, &info)
	if info.Label != fw.Link.Label {
		t.Errorf("the helper reads %q", info.Label)
	}
	if rs := w.redos(t, w.worker); len(rs) != 1 || rs[0].Status != "forwarded" {
		t.Errorf("the worker's redo after forwarding: %+v", rs)
	}

	// A blurred photo kept anyway: stored, but the redo stays to do.
	w.helperSends(t, fw.Token, blurred)
	if rs := w.redos(t, w.owner); len(rs) != 1 || rs[0].Status != "open" || rs[0].ReplacementID != "" {
		t.Fatalf("after an unreadable replacement: %+v", rs)
	}
	// The used link takes nothing more; she makes a new one.
	if res := helper.get(t, "/api/v1/drop/"+fw.Token); res.status != http.StatusNotFound {
		t.Errorf("the used link: %d", res.status)
	}
	var fw2 forwardOut
	want(t, w.owner.do(t, "POST", "/api/v1/redos/"+r.ID+"/forward", map[string]any{}), 201, "forward again").json(t, &fw2)
	w.helperSends(t, fw2.Token, clean)
	rs = w.redos(t, w.worker)
	if len(rs) != 1 || rs[0].Status != "closed" || rs[0].ReplacementID == "" {
		t.Fatalf("after a readable replacement: %+v", rs)
	}
	// The worker reads the replacement (the request shares tax notices she adds).
	want(t, w.worker.get(t, "/api/v1/documents/"+rs[0].ReplacementID+"/content"), 200, "the worker reads the replacement")
	// Closed: no new link.
	if res := w.owner.do(t, "POST", "/api/v1/redos/"+r.ID+"/forward", map[string]any{}); res.status != http.StatusConflict {
		t.Errorf("forwarding a closed redo: %d", res.status)
	}
	if page := string(want(t, w.owner.get(t, "/papers"), 200, "papers").body); strings.Contains(page, "Papier à refaire") {
		t.Errorf("a closed redo still on top of her papers")
	}
	// A new redo of the same item may follow.
	want(t, w.worker.do(t, "POST", "/api/v1/requests/"+w.reqID+"/redos", map[string]any{
		"document_id": rs[0].ReplacementID, "reason": "other", "note": "Il manque la signature",
	}), 201, "another redo")

	// Every step is in her journal, in plain words.
	var j struct {
		Events []struct {
			Kind string `json:"kind"`
			Text string `json:"text"`
		} `json:"events"`
	}
	want(t, w.owner.get(t, "/api/v1/journal"), 200, "journal").json(t, &j)
	texts := map[string][]string{}
	for _, ev := range j.Events {
		texts[ev.Kind] = append(texts[ev.Kind], ev.Text)
	}
	for kind, n := range map[string]int{"redo-asked": 2, "redo-forwarded": 2, "redo-failed": 1, "redo-closed": 1} {
		if len(texts[kind]) != n {
			t.Errorf("journal: %d %s, want %d (%v)", len(texts[kind]), kind, n, texts[kind])
		}
	}
	if got := strings.Join(texts["redo-asked"], "|"); !strings.Contains(got, "Mme Morel demande de refaire votre avis d'impôt : page manquante") ||
		!strings.Contains(got, "autre raison") {
		t.Errorf("journal, redo asked: %q", got)
	}
	if got := strings.Join(texts["redo-forwarded"], "|"); !strings.Contains(got, "Vous avez demandé à votre aide de refaire votre avis d'impôt (page manquante)") {
		t.Errorf("journal, forwarded: %q", got)
	}
	// Notified: the owner when asked and when the replacement is still
	// unreadable; the worker when it is on its way and when it arrived.
	inbox := func(c *client) string {
		var in struct {
			Items []struct{ Subject, Body string } `json:"items"`
		}
		want(t, c.get(t, "/api/v1/inbox"), 200, "inbox").json(t, &in)
		var b strings.Builder
		for _, it := range in.Items {
			b.WriteString(it.Subject + ": " + it.Body + "\n")
		}
		return b.String()
	}
	if _, err := w.e.notify.RunOnce(testCtx(t)); err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	oi, wi := inbox(w.owner), inbox(w.worker)
	for _, s := range []string{"On vous demande de refaire un papier", "Mme Morel vous demande de refaire un papier (avis d'impôt)", "Le papier reçu n'est toujours pas lisible"} {
		if !strings.Contains(oi, s) {
			t.Errorf("the owner's inbox lacks %q:\n%s", s, oi)
		}
	}
	for _, s := range []string{"Un papier à refaire est en route", "Le papier à refaire est arrivé"} {
		if !strings.Contains(wi, s) {
			t.Errorf("the worker's inbox lacks %q:\n%s", s, wi)
		}
	}
	if strings.Contains(wi, "refaire.titulaire") {
		t.Errorf("the worker's messages name the person:\n%s", wi)
	}
}

// TestRedoRefused: hostile and mistaken redos are refused with a clear
// message, nothing recorded: an unknown reason, "other" without words,
// words too long or with control characters, a paper not received for
// the request, another worker's request, an owner asking, malformed ids
// and bodies; a redo is forwarded only by its owner.
func TestRedoRefused(t *testing.T) {
	w := newRedoWorld(t)
	path := "/api/v1/requests/" + w.reqID + "/redos"
	var other struct {
		Document struct {
			ID string `json:"id"`
		} `json:"document"`
	}
	want(t, w.owner.upload(t, "/api/v1/documents", field("type", "rib"), page(photo(t, 600, 800, 5))), 201, "a RIB").json(t, &other)
	for _, tc := range []struct {
		name   string
		c      *client
		path   string
		body   any
		status int
		msg    string
	}{
		{"unknown reason", w.worker, path, map[string]any{"document_id": w.docID, "reason": "ugly"}, 422, "Choisissez une raison"},
		{"other without words", w.worker, path, map[string]any{"document_id": w.docID, "reason": "other", "note": "  "}, 422, "en quelques mots"},
		{"words too long", w.worker, path, map[string]any{"document_id": w.docID, "reason": "other", "note": strings.Repeat("é", 150)}, 422, "200 caractères"},
		{"control characters", w.worker, path, map[string]any{"document_id": w.docID, "reason": "other", "note": "a\x1b[31mb"}, 422, "Choisissez une raison"},
		{"not a string", w.worker, path, map[string]any{"document_id": 7, "reason": "expired"}, 400, ""},
		{"paper not asked for", w.worker, path, map[string]any{"document_id": other.Document.ID, "reason": "expired"}, 404, ""},
		{"made-up paper", w.worker, path, map[string]any{"document_id": strings.Repeat("a", 32), "reason": "expired"}, 404, ""},
		{"hostile id", w.worker, path, map[string]any{"document_id": "../../etc/passwd", "reason": "expired"}, 404, ""},
		{"another worker", w.other, path, map[string]any{"document_id": w.docID, "reason": "expired"}, 404, ""},
		{"made-up request", w.worker, "/api/v1/requests/" + strings.Repeat("b", 32) + "/redos", map[string]any{"document_id": w.docID, "reason": "expired"}, 404, ""},
		{"hostile request id", w.worker, "/api/v1/requests/" + url.PathEscape("<script>") + "/redos", map[string]any{"document_id": w.docID, "reason": "expired"}, 404, ""},
		{"the owner", w.owner, path, map[string]any{"document_id": w.docID, "reason": "expired"}, 403, ""},
		{"forward a made-up redo", w.owner, "/api/v1/redos/" + strings.Repeat("c", 32) + "/forward", map[string]any{}, 404, ""},
		{"forward, unknown field", w.owner, "/api/v1/redos/" + strings.Repeat("c", 32) + "/forward", map[string]any{"label": "x"}, 400, ""},
	} {
		res := tc.c.do(t, "POST", tc.path, tc.body)
		if res.status != tc.status {
			t.Errorf("%s: status %d, want %d; %s", tc.name, res.status, tc.status, truncate(res.body))
			continue
		}
		if tc.msg != "" && !strings.Contains(res.errMessage(t), tc.msg) {
			t.Errorf("%s: message %q, want %q", tc.name, res.errMessage(t), tc.msg)
		}
	}
	if rs := w.redos(t, w.worker); len(rs) != 0 {
		t.Fatalf("refused redos recorded: %+v", rs)
	}
	// Oversized body.
	big := bytes.Repeat([]byte("a"), 2<<20)
	if res := w.worker.send(t, request{method: "POST", path: path, body: bytes.NewReader(append(append([]byte(`{"document_id":"`), big...), `"}`...)), contentType: "application/json"}); res.status != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized: %d", res.status)
	}
	// A real one, then forwarded by someone else: refused.
	var r redoOutJSON
	want(t, w.worker.do(t, "POST", path, map[string]any{"document_id": w.docID, "reason": "other", "note": "Ce n'est pas <b>lisible</b>"}), 201, "redo").json(t, &r)
	intruder := w.e.client()
	signUpOwner(t, intruder, "refaire.intrus", "citron balcon otarie fanfare")
	if res := intruder.do(t, "POST", "/api/v1/redos/"+r.ID+"/forward", map[string]any{}); res.status != http.StatusNotFound {
		t.Errorf("another owner forwards: %d", res.status)
	}
	if rs := w.redos(t, intruder); len(rs) != 0 {
		t.Errorf("another owner sees %+v", rs)
	}
	// The note is shown as text, never as markup.
	page := string(want(t, w.owner.get(t, "/papers"), 200, "papers").body)
	if strings.Contains(page, "<b>lisible</b>") || !strings.Contains(page, "&lt;b&gt;lisible&lt;/b&gt;") {
		t.Errorf("the note is not escaped on the owner's page")
	}
}

// TestRedoWebForms: the pages' forms refuse what the API refuses, with the
// message in a page: an unknown reason, "other" without words, no CSRF
// token, a made-up redo to forward; a good one goes back to the person's
// page, whose paper then says it waits.
func TestRedoWebForms(t *testing.T) {
	w := newRedoWorld(t)
	form := "/pro/people/" + w.ownerID + "/papers/" + w.docID + "/redo"
	for _, tc := range []struct {
		name   string
		v      url.Values
		status int
		msg    string
	}{
		{"unknown reason", url.Values{"request": {w.reqID}, "reason": {"ugly"}}, 422, "Choisissez une raison"},
		{"other without words", url.Values{"request": {w.reqID}, "reason": {"other"}}, 422, "Dites en quelques mots"},
		{"another request", url.Values{"request": {strings.Repeat("d", 32)}, "reason": {"expired"}}, 404, "Introuvable"},
	} {
		res := w.worker.postForm(t, form, tc.v)
		if res.status != tc.status || !strings.Contains(string(res.body), tc.msg) {
			t.Errorf("%s: %d, want %d with %q", tc.name, res.status, tc.status, tc.msg)
		}
	}
	noCSRF := w.worker.send(t, request{method: "POST", path: form, body: strings.NewReader("reason=expired&request=" + w.reqID),
		contentType: "application/x-www-form-urlencoded", noCSRF: true})
	if noCSRF.status != http.StatusForbidden {
		t.Errorf("without the CSRF token: %d", noCSRF.status)
	}
	if rs := w.redos(t, w.worker); len(rs) != 0 {
		t.Fatalf("refused forms recorded %+v", rs)
	}
	ok := w.worker.postForm(t, form, url.Values{"request": {w.reqID}, "reason": {"wrong_period"}})
	if ok.status != 200 || !strings.Contains(string(ok.body), "La personne verra votre demande") || !strings.Contains(string(ok.body), "À refaire (pas la bonne période)") {
		t.Errorf("a good redo: %d %s", ok.status, truncate(ok.body))
	}
	if res := w.owner.postForm(t, "/redos/"+strings.Repeat("e", 32)+"/forward", url.Values{}); res.status != http.StatusNotFound {
		t.Errorf("forwarding a made-up redo: %d", res.status)
	}
	rs := w.redos(t, w.owner)
	if len(rs) != 1 {
		t.Fatalf("owner's redos = %+v", rs)
	}
	// The owner's button: the new link's page, as for any link she makes.
	res := w.owner.postForm(t, "/redos/"+rs[0].ID+"/forward", url.Values{})
	if res.status != 200 || !strings.Contains(string(res.body), "À refaire : Avis d&#39;impôt (pas la bonne période)") || !strings.Contains(string(res.body), `id="url"`) {
		t.Errorf("forwarding from the page: %d %s", res.status, truncate(res.body))
	}
}

// TestRedoForwardedInParallel: the owner's Send tapped several times at
// once (or on two phones): of the links made, only the last forward's
// stays live; every other one takes nothing (attacker's review: all but
// one stayed live, the previous link being read before the transaction
// that replaced it).
func TestRedoForwardedInParallel(t *testing.T) {
	w := newRedoWorld(t)
	var r redoOutJSON
	want(t, w.worker.do(t, "POST", "/api/v1/requests/"+w.reqID+"/redos", map[string]any{
		"document_id": w.docID, "reason": "page_missing",
	}), 201, "ask redo").json(t, &r)
	const n = 8
	tokens := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := w.owner.do(t, "POST", "/api/v1/redos/"+r.ID+"/forward", map[string]any{})
			if res.status != http.StatusCreated {
				t.Errorf("forward %d: %d %s", i, res.status, truncate(res.body))
				return
			}
			var fw forwardOut
			res.json(t, &fw)
			tokens[i] = fw.Token
		}()
	}
	wg.Wait()
	helper := w.e.client()
	live := 0
	for _, tok := range tokens {
		if tok != "" && helper.get(t, "/api/v1/drop/"+tok).status == http.StatusOK {
			live++
		}
	}
	if live != 1 {
		t.Fatalf("%d of %d forwarded links live, want 1", live, n)
	}
}
