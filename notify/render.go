package notify

import (
	"math"
	"strings"
	"time"
	"unicode"

	"github.com/coffre/coffre/api/i18n"
	"github.com/coffre/coffre/vault"
)

// Subjects of payloads besides the vault's journal event kinds.
const (
	subjectExpiry         = "expiry"
	subjectConsentEnding  = "consent-ending"
	subjectDocsArrived    = "documents-arrived"
	subjectSharingStopped = "sharing-stopped"
	subjectSharingStarted = "sharing-started"
)

// payload is what a queued notification holds (sealed to the server's
// notify identity): facts to render at send time in the recipient's
// language, never document content or a token, and a title only when the
// owner allowed titles when it was queued.
type payload struct {
	Subject string    `json:"s"`
	DocType string    `json:"dt,omitempty"`
	Title   string    `json:"ti,omitempty"`
	Expires time.Time `json:"ex,omitzero"`
	At      time.Time `json:"at,omitzero"`
	Actor   string    `json:"ac,omitempty"`
	Org     string    `json:"or,omitempty"`
	Target  string    `json:"tg,omitempty"`
	// Journal is the signed checkpoint of the owner's journal just after
	// the event (vault.Event.Checkpoint), quoted for the owner to keep.
	Journal string `json:"jc,omitempty"`
	// Group is shared by the events one message stands for: a worker's
	// reads of one paper in one (Paris) day ("" for none). The inbox shows
	// a group as one message with its count; the other channels send its
	// first event only.
	Group string `json:"gk,omitempty"`
}

// text is a rendered message. inbox is the body as the in-app inbox shows
// it: without the journal's proof (kept outside Coffre only, by e-mail or
// push, where the server cannot change it) and without the footers that
// point back to Coffre, where the person already is.
type text struct{ subject, body, link, inbox string }

// render says p in lang (a catalogue code: "fr", "en", …) at now, from the
// catalogue (package i18n, keys "notify.*"). count is how many events the
// message stands for (several reads of one paper by one worker in one day
// make one message: "… 3 fois aujourd'hui"); 1 for one.
func (s *Service) render(p payload, lang string, now time.Time, count int) text {
	c := i18n.Lang(lang)
	doc := docName(c, p.DocType, p.Title)
	who := actorName(c, p.Actor, p.Org)
	base := s.cfg.BaseURL
	var t text
	switch p.Subject {
	case subjectExpiry:
		dt, _ := vault.DocTypeByID(p.DocType)
		days := daysUntil(now, p.Expires)
		t.subject = c.T("notify.expiry.subject", capital(doc))
		t.body = c.T("notify.expiry.body", capital(doc), c.Date(p.Expires), inDays(c, days))
		if dt.RenewalURL != "" {
			t.body += "\n" + c.T("notify.expiry.renew", dt.RenewalURL)
			t.link = dt.RenewalURL
		} else {
			t.body += "\n" + c.T("notify.expiry.think")
		}
	case vault.EventDocumentViewed, vault.EventDocumentDownload:
		once, times := "notify.viewed.body", "notify.viewed.times"
		if p.Subject == vault.EventDocumentDownload {
			once, times = "notify.downloaded.body", "notify.downloaded.times"
		}
		t.subject = c.T("notify.access.subject")
		if count > 1 {
			t.body = c.T(times, count, who, doc, onDay(c, p.At, now))
		} else {
			t.body = c.T(once, who, doc, c.When(p.At, now))
		}
		t.body += "\n" + c.T("notify.access.stop")
	case vault.EventUploadViaLink:
		t.subject = c.T("notify.upload.subject")
		t.body = c.T("notify.upload.body", doc, c.When(p.At, now))
	case subjectConsentEnding:
		days := daysUntil(now, p.Expires)
		t.subject = c.T("notify.ending.subject")
		t.body = c.T("notify.ending.body", granteeText(c, p.Target), c.Date(p.Expires), inDays(c, days))
	case vault.EventConsentExpired:
		t.subject = c.T("notify.ended.subject")
		t.body = c.T("notify.ended.body", granteeText(c, p.Target), c.When(p.At, now))
	case vault.EventAlertContactAdded:
		_, addr, _ := strings.Cut(p.Target, " ")
		t.subject = c.T("notify.alertadded.subject")
		t.body = c.T("notify.alertadded.body", clean(addr), c.When(p.At, now))
		if base != "" {
			t.link = base + "/messages/settings"
		}
	case vault.EventAlertTitlesOn:
		t.subject = c.T("notify.titleson.subject")
		t.body = c.T("notify.titleson.body", c.When(p.At, now))
		if base != "" {
			t.link = base + "/messages/settings"
		}
	case vault.EventAssistedRecovery:
		t.subject = c.T("notify.restored.subject")
		t.body = c.T("notify.restored.body", who, c.When(p.At, now))
	case vault.EventRequestReceived, vault.EventRequestWaited:
		t.subject = c.T("notify.request.subject")
		t.body = c.T("notify.request.body", who, c.When(p.At, now))
		if base != "" {
			t.link = base + "/requests"
		}
	case subjectSharingStopped:
		name := clean(p.Actor)
		if name == "" {
			name = c.T("notify.aperson")
		}
		t.subject = c.T("notify.stopped.subject")
		t.body = c.T("notify.stopped.body", name, c.When(p.At, now))
		if base != "" {
			t.link = base + "/pro"
		}
	case subjectSharingStarted:
		// No name: a message may travel by e-mail; Coffre shows who.
		t.subject = c.T("notify.started.subject")
		t.body = c.T("notify.started.body", c.When(p.At, now))
		if base != "" {
			t.link = base + "/pro"
		}
	case vault.EventRedoAsked:
		t.subject = c.T("notify.redo.subject")
		t.body = c.T("notify.redo.body", who, docNeutral(c, p.DocType), c.When(p.At, now))
		if base != "" {
			t.link = base + "/papers"
		}
	case vault.EventRedoFailed:
		t.subject = c.T("notify.redofail.subject")
		t.body = c.T("notify.redofail.body", capital(docNeutral(c, p.DocType)), c.When(p.At, now))
		if base != "" {
			t.link = base + "/papers"
		}
	case vault.EventRedoForwarded, vault.EventRedoSelf:
		t.subject = c.T("notify.redofwd.subject")
		t.body = c.T("notify.redofwd.body", docNeutral(c, p.DocType), c.When(p.At, now))
		if base != "" {
			t.link = base + "/pro"
		}
	case vault.EventRedoClosed:
		t.subject = c.T("notify.redodone.subject")
		t.body = c.T("notify.redodone.body", capital(docNeutral(c, p.DocType)), c.When(p.At, now))
		if base != "" {
			t.link = base + "/pro"
		}
	case subjectDocsArrived:
		t.subject = c.T("notify.arrived.subject")
		t.body = c.T("notify.arrived.body", capital(docNeutral(c, p.DocType)), c.When(p.At, now))
	default:
		t.subject = c.T("notify.default.subject")
		t.body = c.T("notify.default.body")
	}
	t.inbox = t.body
	if n, fp, ok := vault.CheckpointSummary(p.Journal); ok {
		t.body += "\n\n" + c.T("notify.checkpoint", n, fp) + "\n" + strings.TrimRight(p.Journal, "\n")
	}
	if t.link == "" {
		t.link = base
	}
	if base != "" {
		t.body += "\n\n" + c.T("notify.footer.link", base)
	}
	t.body += "\n" + c.T("notify.footer.settings")
	return t
}

// typeLabel is a paper type's name as it reads mid-sentence, in c's
// language: the vault's catalogue has French and English, the language
// catalogues the others ("type.<id>", the same names as the pages); a
// French variant (easy-read) takes the French; English only when the type
// has no name in the language. "" for none.
func typeLabel(c *i18n.Catalogue, docType string) string {
	dt, ok := vault.DocTypeByID(docType)
	if !ok || docType == "other" {
		return ""
	}
	if l := dt.Label[c.Code]; l != "" {
		return l
	}
	if l, ok := c.Own("type." + docType); ok && l != "" {
		return c.MidSentence(l)
	}
	if base, _, _ := strings.Cut(c.Code, "-"); dt.Label[base] != "" {
		return dt.Label[base]
	}
	return dt.Label["en"]
}

// docName names the owner's paper: "votre titre de séjour", with the title
// only when given (allowed).
func docName(c *i18n.Catalogue, docType, title string) string {
	label := typeLabel(c, docType)
	title = clean(title)
	switch {
	case label != "" && title != "":
		return c.T("ev.paper.typedtitled", label, title)
	case label != "":
		return c.T("ev.paper.typed", label)
	case title != "":
		return c.T("ev.paper.titled", title)
	}
	return c.T("notify.paper.none")
}

// docNeutral names a paper for a worker, by its type only.
func docNeutral(c *i18n.Catalogue, docType string) string {
	if label := typeLabel(c, docType); label != "" {
		return c.T("notify.neutral.typed", label)
	}
	return c.T("ev.paper.none")
}

func actorName(c *i18n.Catalogue, name, org string) string {
	name, org = clean(name), clean(org)
	switch {
	case name != "" && org != "":
		return c.T("ev.actor.named", org, name)
	case name+org != "":
		return name + org
	}
	return c.T("ev.actor.worker")
}

func granteeText(c *i18n.Catalogue, g string) string {
	if g = clean(g); g != "" {
		return g
	}
	return c.T("ev.someworker")
}

// clean drops control characters (no header or line injection through a
// name) and bounds the length.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > 100 {
		s = string(r[:100]) + "…"
	}
	return s
}

func capital(s string) string {
	r := []rune(s)
	if len(r) == 0 {
		return s
	}
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

// onDay is "aujourd'hui" for a time of now's day (Paris), else "le 3
// mars".
func onDay(c *i18n.Catalogue, at, now time.Time) string {
	if dayKey(at) == dayKey(now) {
		return c.T("notify.today")
	}
	return c.T("notify.onday", c.When(at, now))
}

// dayKey is the Paris date of t (YYYY-MM-DD).
func dayKey(t time.Time) string { return t.In(paris).Format("2006-01-02") }

// daysUntil counts whole days from now to t, rounded up (0 when past).
func daysUntil(now, t time.Time) int {
	d := t.Sub(now).Hours() / 24
	if d <= 0 {
		return 0
	}
	return int(math.Ceil(d))
}

func inDays(c *i18n.Catalogue, n int) string {
	switch {
	case n <= 0:
		return c.T("notify.today")
	case n == 1:
		return c.T("notify.tomorrow")
	}
	return c.T("notify.indays", n)
}
