package api

import (
	"slices"
	"strings"
	"time"

	"github.com/coffre/coffre/vault"
)

// The journal in plain words. The vault records codes and names
// (vault.Event); the page and the API say them from the catalogue:
// "ev.<kind>" is the event told by someone else, "ev.<kind>.you" the same
// done by the owner (when it reads differently), with {0} who did it, {1}
// the paper, {2} the detail (a link's label, a purpose, a date) and {3}
// the other party. The phrases never put a name right after "de", "à" or
// "que" ("de Le Relais", "à un travailleur social" would need a
// contraction), and the line ends with when it happened
// ("journal.line": "{0}, le {1}").

// EventText says e in l's language at now: "CCAS de Roubaix — Mme Morel
// a ouvert votre avis d'impôt, le 3 mars à 14 h 02" (the year is given
// when it is not now's).
func (l loc) EventText(e vault.Event, now time.Time) string {
	key := "ev." + e.Kind
	if !l.c.Has(key) {
		return l.T("journal.line", l.T("ev.unknown", l.eventActor(e), e.Kind), l.c.When(e.At, now))
	}
	if e.ActorKind == vault.ActorOwner && l.c.Has(key+".you") {
		key += ".you"
	}
	s := l.T(key, l.eventActor(e), l.eventPaper(e), l.eventDetail(e), l.eventTarget(e))
	if n := strings.TrimSpace(e.ShownName); n != "" && e.Kind == vault.EventConsentGranted {
		// The name the worker sees her by, as she chose it.
		s = l.T("ev.shownname", s, n)
	}
	return l.T("journal.line", s, l.c.When(e.At, now))
}

// eventActor names who did it.
func (l loc) eventActor(e vault.Event) string {
	name := strings.TrimSpace(e.ActorName)
	org := strings.TrimSpace(e.OrgName)
	switch {
	case name != "" && org != "":
		return l.T("ev.actor.named", org, name)
	case name != "":
		return name
	case org != "":
		return org
	}
	switch e.ActorKind {
	case vault.ActorWorker, vault.ActorSystem, vault.ActorOwner:
		return l.T("ev.actor." + e.ActorKind)
	}
	return l.T("ev.actor.helper")
}

// eventPaper names the paper: by its type ("votre avis d'impôt"), with its
// title when the owner gave another one, else by its title, else
// generically.
func (l loc) eventPaper(e vault.Event) string {
	title := strings.TrimSpace(e.DocumentTitle)
	if key, ok := defaultTitleKey(title); ok {
		// A title Coffre gave, in the reader's language (newcomer's
		// review: the Arabic journal read "Papier reçu par un lien").
		title = l.T(key)
	}
	if label := l.typeLabel(e.DocumentType); label != "" && e.DocumentType != "other" {
		if title != "" && !l.isTypeLabel(e.DocumentType, title) {
			return l.T("ev.paper.typedtitled", label, title)
		}
		return l.T("ev.paper.typed", label)
	}
	if title != "" {
		return l.T("ev.paper.titled", title)
	}
	return l.T("ev.paper.none")
}

// eventDetail is the free text of the event, or what stands for it.
func (l loc) eventDetail(e vault.Event) string {
	d := strings.TrimSpace(e.Detail)
	if e.Kind == vault.EventDocumentExpiry {
		if t, err := time.Parse(dateLayout, d); err == nil {
			return l.Date(t)
		}
		return l.T("ev.nodate")
	}
	switch e.Kind {
	case vault.EventRedoAsked, vault.EventRedoForwarded, vault.EventRedoSelf, vault.EventRedoClosed, vault.EventRedoFailed:
		// The reason's code, in words.
		if slices.Contains(vault.RedoReasons, d) {
			return l.T("redo.reason." + d)
		}
	case vault.EventConsentGranted:
		if d == "" { // no purpose typed: the default, in the reader's language
			return l.T("share.defaultpurpose")
		}
	case vault.EventAlertContactAdded:
		// "email awa@example.org": the address, then the channel in words.
		if ch, addr, ok := strings.Cut(d, " "); ok && l.c.Has("notifset.channel."+ch) {
			return l.T("ev.alertaddress", addr, l.T("notifset.channel."+ch))
		}
	}
	if d != "" {
		return d
	}
	return l.T("ev.nodetail")
}

// eventTarget names the other party.
func (l loc) eventTarget(e vault.Event) string {
	if t := strings.TrimSpace(e.Target); t != "" {
		return t
	}
	if o := strings.TrimSpace(e.OrgName); o != "" && e.ActorKind == vault.ActorOwner {
		return o
	}
	return l.T("ev.someworker")
}

// typeLabel is a paper type's name as it reads mid-sentence ("avis
// d'impôt"), "" for an unknown type.
func (l loc) typeLabel(id string) string {
	if id == "" {
		return ""
	}
	if s, ok := l.c.Own("type." + id); ok {
		return l.c.MidSentence(s)
	}
	if t, ok := vault.DocTypeByID(id); ok {
		return t.Label[l.domainLang()]
	}
	return ""
}

// isTypeLabel reports whether title is only the type's name, in any
// language (a helper's paper is titled so).
func (l loc) isTypeLabel(id, title string) bool {
	if strings.EqualFold(title, l.typeLabel(id)) {
		return true
	}
	if t, ok := vault.DocTypeByID(id); ok {
		for _, lab := range t.Label {
			if strings.EqualFold(lab, title) {
				return true
			}
		}
	}
	return false
}
