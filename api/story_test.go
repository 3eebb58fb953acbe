package api_test

import (
	"bytes"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coffre/coffre/internal/testenv"
)

type docJSON struct {
	ID       string `json:"id"`
	OwnerID  string `json:"owner_id"`
	Category string `json:"category"`
	Type     string `json:"type"`
	Title    string `json:"title"`
	Pages    int    `json:"pages"`
	Size     int64  `json:"size"`
	Expires  string `json:"expires"`
	// New and Hints: arrived from a helper, not opened yet (kinds_test.go).
	New   bool     `json:"new"`
	Hints []string `json:"hints"`
}

type docList struct {
	Documents []docJSON `json:"documents"`
}

type eventList struct {
	Events []struct {
		Seq        int64     `json:"seq"`
		At         time.Time `json:"at"`
		Kind       string    `json:"kind"`
		ActorKind  string    `json:"actor_kind"`
		ActorName  string    `json:"actor_name"`
		DocumentID string    `json:"document_id"`
		Text       string    `json:"text"`
	} `json:"events"`
}

// TestStoryEndToEnd walks the first acceptance point of issue 3 over real
// HTTP, real SQLite, real MinIO and the real converter, asserting at each
// step; then checks that the server's logs hold none of the story's
// tokens, secrets, identifiers or titles.
func TestStoryEndToEnd(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	const (
		workerEmail  = "c.morel@ccas-roubaix.example"
		workerName   = "Claire Morel"
		workerSecret = "tisane cerise parapluie volcan"
		phone        = "06 12 34 56 78"
		phoneNorm    = "+33612345678"
		personName   = "Awa Diallo"
		ownerSecret  = "girafe orange bateau lumière"
		ownSecret    = "lanterne prairie corail mouette"
		newSecret    = "moulin violet fromage tempête"
		linkLabel    = "Bulletins de paie pour la CAF"
		taxTitle     = "Avis d'impôt 2025 de Awa"
	)
	workerID := e.worker(workerEmail, workerName, workerSecret)
	secrets := map[string]string{
		"worker email": workerEmail, "worker name": workerName, "worker secret": workerSecret,
		"phone": phone, "normalized phone": phoneNorm, "person name": personName,
		"owner secret": ownerSecret, "own secret": ownSecret, "new secret": newSecret, "link label": linkLabel, "tax title": taxTitle,
		"org recovery key": e.orgKey,
	}

	// 1. The worker logs in and creates a vault for the person present.
	worker := e.client()
	ws := worker.loginWorker(t, workerEmail, workerSecret)
	if ws.Kind != "worker" || ws.ID != workerID || ws.CSRFToken == "" {
		t.Fatalf("worker session = %+v", ws)
	}
	secrets["worker csrf"] = ws.CSRFToken
	var su struct {
		OwnerID       string `json:"owner_id"`
		Identifier    string `json:"identifier"`
		RecoveryCode  string `json:"recovery_code"`
		RecoverySheet *struct{ Method, URL string }
		Session       *session `json:"session"`
		SheetDue      bool     `json:"recovery_sheet_due"`
	}
	want(t, worker.do(t, "POST", "/api/v1/signup", map[string]any{
		"identifier": phone, "secret": ownerSecret, "lang": "fr", "display_name": personName,
	}), 201, "worker signs the person up").json(t, &su)
	// The worker never sees the person's recovery code.
	if su.OwnerID == "" || su.Identifier != phoneNorm || su.RecoveryCode != "" || su.RecoverySheet != nil || su.Session != nil || !su.SheetDue {
		t.Fatalf("sign-up response = %+v", su)
	}
	var still session
	want(t, worker.get(t, "/api/v1/session"), 200, "worker session after sign-up").json(t, &still)
	if still.Kind != "worker" || still.ID != workerID {
		t.Fatalf("the worker's session became %+v", still)
	}

	// 2. The person logs in on their own phone and is asked to make the
	// recovery sheet: the secret again, then the code, printed at once.
	owner := e.client()
	os1 := owner.loginOwner(t, phone, ownerSecret)
	if os1.Kind != "owner" || os1.ID != su.OwnerID {
		t.Fatalf("owner session = %+v", os1)
	}
	secrets["owner csrf"] = os1.CSRFToken
	var due struct {
		RecoverySheetDue bool `json:"recovery_sheet_due"`
	}
	want(t, owner.get(t, "/api/v1/session"), 200, "owner session").json(t, &due)
	if !due.RecoverySheetDue {
		t.Fatal("the person is not asked to make the recovery sheet")
	}
	// The worker was there when the secret was typed: a new one first.
	checkErr(t, owner.do(t, "POST", "/api/v1/reauth", map[string]string{"secret": ownerSecret}), 403, "secret_change_required", "anything before a new secret")
	want(t, owner.do(t, "POST", "/api/v1/secret", map[string]string{"current_secret": ownerSecret, "new_secret": ownSecret}), 204, "her own secret")
	want(t, owner.do(t, "POST", "/api/v1/reauth", map[string]string{"secret": ownSecret}), 200, "the secret again")
	want(t, owner.do(t, "POST", "/api/v1/recovery-code", nil), 200, "the person's recovery code").json(t, &su)
	if su.RecoveryCode == "" {
		t.Fatal("no recovery code for the person")
	}
	secrets["recovery code"] = su.RecoveryCode
	secrets["recovery code (bare)"] = strings.ReplaceAll(su.RecoveryCode, "-", "")
	secrets["owner id"] = su.OwnerID
	sheet := want(t, owner.do(t, "POST", "/api/v1/recovery-sheet", map[string]string{
		"identifier": su.Identifier, "recovery_code": su.RecoveryCode,
	}), 200, "recovery sheet")
	if ct := sheet.header.Get("Content-Type"); ct != "application/pdf" || !strings.HasPrefix(sheet.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("sheet headers: %v", sheet.header)
	}
	if n := pdfPages(t, sheet.body); n != 1 {
		t.Fatalf("recovery sheet has %d pages", n)
	}
	if tool := testenv.LookTool("pdftotext"); tool != "" {
		f := filepath.Join(t.TempDir(), "sheet.pdf")
		if err := os.WriteFile(f, sheet.body, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(tool, f, "-").Output()
		if err != nil {
			t.Fatalf("pdftotext: %v", err)
		}
		text := strings.Join(strings.Fields(string(out)), "")
		if !strings.Contains(strings.ReplaceAll(text, "-", ""), secrets["recovery code (bare)"]) {
			t.Errorf("the sheet does not show the recovery code; text: %q", out)
		}
	}

	// 3. The person makes a drop link.
	var link struct {
		Link struct {
			ID        string   `json:"id"`
			Label     string   `json:"label"`
			Requested []string `json:"requested"`
			MaxUses   int      `json:"max_uses"`
		} `json:"link"`
		Token string `json:"token"`
		URL   string `json:"url"`
		API   string `json:"api"`
		QRPNG string `json:"qr_png"`
		QRSVG string `json:"qr_svg"`
	}
	want(t, owner.do(t, "POST", "/api/v1/droplinks", map[string]any{
		"label": linkLabel, "requested": []string{"bulletin-paie"}, "ttl_hours": 48,
	}), 201, "owner creates a drop link").json(t, &link)
	if link.Token == "" || link.Link.MaxUses != 1 || !strings.HasSuffix(link.URL, "/d/"+link.Token) || link.Link.Label != linkLabel {
		t.Fatalf("drop link = %+v", link)
	}
	secrets["drop token"] = link.Token
	qr := want(t, owner.get(t, link.QRPNG), 200, "QR PNG")
	if img, err := png.Decode(bytes.NewReader(qr.body)); err != nil || img.Bounds().Dx() < 200 {
		t.Fatalf("QR PNG: %v", err)
	}
	svg := want(t, owner.get(t, link.QRSVG), 200, "QR SVG")
	if !bytes.HasPrefix(svg.body, []byte("<svg")) || svg.header.Get("Content-Type") != "image/svg+xml" {
		t.Fatalf("QR SVG: %q", truncate(svg.body))
	}

	// 4. A helper, with no account, opens the link and sends three photos.
	helper := e.client()
	var info map[string]any
	want(t, helper.get(t, link.API), 200, "helper opens the link").json(t, &info)
	keys := make([]string, 0, len(info))
	for k := range info {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"expires", "label", "limits", "requested", "uses_left"}) || info["label"] != linkLabel {
		t.Fatalf("the helper learns %v", info)
	}
	photos := [][]byte{photo(t, 900, 1200, 1), photo(t, 900, 1200, 2), photo(t, 900, 1200, 3)}
	rc := want(t, helper.upload(t, link.API+"/pages", field("type", "bulletin-paie"),
		page(photos[0]), page(photos[1]), page(photos[2])), 201, "helper uploads three photos")
	var receipt struct {
		Label    string    `json:"label"`
		Received time.Time `json:"received"`
		Pages    int       `json:"pages"`
		Size     int64     `json:"size"`
	}
	rc.json(t, &receipt)
	if receipt.Pages != 3 || receipt.Size <= 0 || receipt.Received.IsZero() {
		t.Fatalf("receipt = %+v", receipt)
	}
	want(t, helper.get(t, link.API), 404, "the used-up link")
	want(t, helper.upload(t, link.API+"/pages", page(photos[0])), 404, "a second upload through a single-use link")

	// 5. The owner sees one 3-page PDF.
	var docs docList
	want(t, owner.get(t, "/api/v1/documents"), 200, "owner lists").json(t, &docs)
	if len(docs.Documents) != 1 || docs.Documents[0].Pages != 3 || docs.Documents[0].Type != "bulletin-paie" || docs.Documents[0].Category != "income" {
		t.Fatalf("owner's documents = %+v", docs)
	}
	payslip := docs.Documents[0]
	if bytes.Contains(rc.body, []byte(payslip.ID)) {
		t.Fatal("the receipt names the document id")
	}
	secrets["payslip id"] = payslip.ID
	pdf1 := want(t, owner.get(t, "/api/v1/documents/"+payslip.ID+"/content"), 200, "owner downloads")
	if n := pdfPages(t, pdf1.body); n != 3 || int64(len(pdf1.body)) != payslip.Size {
		t.Fatalf("downloaded %d pages, %d bytes; listed %d bytes", n, len(pdf1.body), payslip.Size)
	}
	// Re-fitted to the CAF portal's profile.
	caf := want(t, owner.get(t, "/api/v1/documents/"+payslip.ID+"/content?profile=caf"), 200, "download for the CAF")
	if n := pdfPages(t, caf.body); n != 3 {
		t.Fatalf("CAF version has %d pages", n)
	}

	// The owner adds a tax notice themselves.
	var up struct {
		Document docJSON `json:"document"`
	}
	want(t, owner.upload(t, "/api/v1/documents", field("type", "avis-impot"), field("title", taxTitle),
		page(photo(t, 900, 1200, 4))), 201, "owner uploads a tax notice").json(t, &up)
	tax := up.Document
	if tax.Pages != 1 || tax.Title != taxTitle || tax.Category != "tax" {
		t.Fatalf("tax notice = %+v", tax)
	}
	secrets["tax id"] = tax.ID

	// 6. The worker asks for two documents.
	var rq struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	want(t, worker.do(t, "POST", "/api/v1/requests", map[string]any{
		"owner_id": su.OwnerID, "purpose": "Dossier RSA", "types": []string{"bulletin-paie", "avis-impot"}, "days": 31,
	}), 201, "worker requests two documents").json(t, &rq)
	if rq.Status != "pending" {
		t.Fatalf("request = %+v", rq)
	}
	want(t, worker.get(t, "/api/v1/documents/"+payslip.ID+"/content"), 404, "worker before consent")

	// 7. The owner sees it and consents for 31 days.
	var rqs struct {
		Requests []struct {
			ID, Status, WorkerName, Purpose string
			Types                           []string
		} `json:"requests"`
	}
	want(t, owner.get(t, "/api/v1/requests"), 200, "owner's requests").json(t, &rqs)
	if len(rqs.Requests) != 1 || rqs.Requests[0].ID != rq.ID || rqs.Requests[0].Status != "pending" {
		t.Fatalf("owner's requests = %+v", rqs)
	}
	var consent struct {
		ID      string    `json:"id"`
		Expires time.Time `json:"expires"`
		Live    bool      `json:"live"`
	}
	want(t, owner.do(t, "POST", "/api/v1/requests/"+rq.ID+"/accept", map[string]any{
		"documents": []string{payslip.ID, tax.ID},
	}), 201, "owner accepts for 31 days").json(t, &consent)
	if d := consent.Expires.Sub(e.clock.Now()); !consent.Live || d < 30*24*time.Hour || d > 32*24*time.Hour {
		t.Fatalf("consent = %+v (expires in %v)", consent, d)
	}

	// 8. The worker downloads both.
	var wdocs docList
	want(t, worker.get(t, "/api/v1/documents"), 200, "worker lists").json(t, &wdocs)
	if len(wdocs.Documents) != 2 {
		t.Fatalf("worker sees %+v", wdocs)
	}
	got := want(t, worker.get(t, "/api/v1/documents/"+payslip.ID+"/content"), 200, "worker downloads the payslips")
	if !bytes.Equal(got.body, pdf1.body) {
		t.Fatal("the worker's copy differs from the owner's")
	}
	want(t, worker.get(t, "/api/v1/documents/"+tax.ID+"/content"), 200, "worker downloads the tax notice")
	if cd := got.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") {
		t.Fatalf("Content-Disposition = %q", cd)
	}

	// 9. The owner revokes; the worker's next download is refused.
	want(t, owner.do(t, "DELETE", "/api/v1/consents/"+consent.ID, nil), 204, "owner revokes")
	refused := want(t, worker.get(t, "/api/v1/documents/"+tax.ID+"/content"), 404, "worker after revocation")
	if bytes.Contains(refused.body, []byte(tax.ID)) || bytes.Contains(refused.body, []byte(taxTitle)) {
		t.Fatal("the refusal leaks the document")
	}
	want(t, worker.get(t, "/api/v1/documents"), 200, "worker lists after revocation").json(t, &wdocs)
	if len(wdocs.Documents) != 0 {
		t.Fatalf("worker still sees %+v", wdocs)
	}

	// 10. The journal shows every step, in order.
	var j eventList
	want(t, owner.get(t, "/api/v1/journal"), 200, "journal").json(t, &j)
	kinds := make([]string, len(j.Events))
	for i, ev := range j.Events {
		kinds[i] = ev.Kind
		if ev.Text == "" {
			t.Errorf("event %d (%s) has no text", i, ev.Kind)
		}
		if i > 0 && (ev.Seq <= j.Events[i-1].Seq || ev.At.Before(j.Events[i-1].At)) {
			t.Errorf("event %d out of order", i)
		}
	}
	steps := []string{"signup", "login", "link-created", "upload-via-link",
		"request-received", "consent-granted", "document-downloaded", "document-downloaded", "consent-revoked"}
	if !isSubsequence(steps, kinds) {
		t.Fatalf("journal kinds %v lack, in order, %v", kinds, steps)
	}
	var byWorker []string
	for _, ev := range j.Events {
		if ev.Kind == "document-downloaded" && ev.ActorKind == "worker" {
			byWorker = append(byWorker, ev.DocumentID)
			if !strings.Contains(ev.Text, workerName) {
				t.Errorf("download event does not name the worker: %q", ev.Text)
			}
		}
	}
	if !slices.Contains(byWorker, payslip.ID) || !slices.Contains(byWorker, tax.ID) {
		t.Fatalf("worker downloads journaled for %v", byWorker)
	}

	// 11. The owner forgets the secret and recovers with the code.
	phone2 := e.client()
	want(t, phone2.do(t, "POST", "/api/v1/login", map[string]string{"identifier": phone, "secret": "je ne sais plus"}), 401, "forgotten secret")
	var rs session
	rr := want(t, phone2.do(t, "POST", "/api/v1/recover", map[string]string{
		"identifier": phone, "recovery_code": strings.ToLower(su.RecoveryCode), "new_secret": newSecret,
	}), 200, "recovery")
	rr.json(t, &rs)
	phone2.csrf = rs.CSRFToken
	if rs.Kind != "owner" || rs.ID != su.OwnerID {
		t.Fatalf("recovered session = %+v", rs)
	}
	// The used sheet is replaced: the answer holds the new code, once.
	var newCode struct {
		RecoveryCode string `json:"recovery_code"`
	}
	rr.json(t, &newCode)
	if newCode.RecoveryCode == "" || newCode.RecoveryCode == su.RecoveryCode {
		t.Fatalf("recovery answered no new code: %q", newCode.RecoveryCode)
	}
	secrets["new recovery code"] = newCode.RecoveryCode
	secrets["new recovery code (bare)"] = strings.ReplaceAll(newCode.RecoveryCode, "-", "")
	want(t, e.client().do(t, "POST", "/api/v1/recover", map[string]string{
		"identifier": phone, "recovery_code": su.RecoveryCode, "new_secret": ownerSecret,
	}), 401, "the used recovery code, replayed")
	want(t, phone2.get(t, "/api/v1/documents"), 200, "documents after recovery").json(t, &docs)
	if len(docs.Documents) != 2 {
		t.Fatalf("after recovery: %+v", docs)
	}
	again := want(t, phone2.get(t, "/api/v1/documents/"+payslip.ID+"/content"), 200, "download after recovery")
	if !bytes.Equal(again.body, pdf1.body) {
		t.Fatal("the document changed across recovery")
	}
	want(t, e.client().do(t, "POST", "/api/v1/login", map[string]string{"identifier": phone, "secret": ownSecret}), 401, "old secret")
	want(t, owner.get(t, "/api/v1/documents"), 401, "a session opened before recovery")
	other := e.client()
	other.loginOwner(t, phoneNorm, newSecret)
	want(t, phone2.get(t, "/api/v1/journal"), 200, "journal after recovery").json(t, &j)
	if last := j.Events[len(j.Events)-1].Kind; !slices.Contains([]string{"recovery", "recovery-code-reissued", "login"}, last) {
		t.Errorf("last journal event = %s", last)
	}

	// Logout ends the session; logout everywhere ends the others too.
	want(t, phone2.do(t, "POST", "/api/v1/logout", nil), 204, "logout")
	want(t, phone2.get(t, "/api/v1/documents"), 401, "after logout")
	third := e.client()
	third.loginOwner(t, phoneNorm, newSecret)
	want(t, other.do(t, "POST", "/api/v1/logout-everywhere", nil), 204, "logout everywhere")
	want(t, other.get(t, "/api/v1/documents"), 401, "after logout everywhere")
	want(t, third.get(t, "/api/v1/documents"), 401, "another device after logout everywhere")

	t.Run("logs hold no token, secret, identifier or title", func(t *testing.T) {
		logs := e.logs.String()
		if !strings.Contains(logs, `"route":"/api/v1/drop/:token/pages"`) {
			t.Fatalf("the access log lacks the drop route template:\n%s", logs)
		}
		secrets["payslip title"] = payslip.Title
		secrets["request id"] = rq.ID
		secrets["consent id"] = consent.ID
		secrets["link id"] = link.Link.ID
		secrets["worker id"] = workerID
		for _, ck := range append(worker.hc.Jar.Cookies(mustURL(e.srv.URL)), phone2.hc.Jar.Cookies(mustURL(e.srv.URL))...) {
			secrets["cookie "+ck.Name] = ck.Value
		}
		secrets["recovered csrf"] = rs.CSRFToken
		if what, found := containsAny(logs, secrets); found {
			t.Fatalf("the logs contain the %s", what)
		}
	})
}

// isSubsequence reports whether want appears in got in order.
func isSubsequence(want, got []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}
