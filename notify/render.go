package notify

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode"

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
}

// text is a rendered message.
type text struct{ subject, body, link string }

// render says p in lang ("fr" or "en") at now.
func (s *Service) render(p payload, lang string, now time.Time) text {
	en := lang == "en"
	say := func(english, french string) string {
		if en {
			return english
		}
		return french
	}
	doc := docName(p.DocType, p.Title, en)
	who := actorName(p.Actor, p.Org, en)
	base := s.cfg.BaseURL
	var t text
	switch p.Subject {
	case subjectExpiry:
		dt, _ := vault.DocTypeByID(p.DocType)
		days := daysUntil(now, p.Expires)
		t.subject = say(capital(doc)+" expires soon", capital(doc)+" arrive à expiration")
		t.body = say(
			fmt.Sprintf("%s is valid until %s (%s).", capital(doc), dateText(p.Expires, true), inDays(days, true)),
			fmt.Sprintf("%s est valable jusqu'au %s (%s).", capital(doc), dateText(p.Expires, false), inDays(days, false)))
		if dt.RenewalURL != "" {
			t.body += "\n" + say("To renew it: ", "Pour le renouveler : ") + dt.RenewalURL
			t.link = dt.RenewalURL
		} else {
			t.body += "\n" + say("Think of renewing it in time.", "Pensez à le renouveler à temps.")
		}
	case vault.EventDocumentViewed, vault.EventDocumentDownload:
		verb := say("opened", "a ouvert")
		if p.Subject == vault.EventDocumentDownload {
			verb = say("downloaded", "a téléchargé")
		}
		t.subject = say("Someone opened one of your papers", "Un de vos papiers a été consulté")
		t.body = say(
			fmt.Sprintf("%s %s %s on %s.", who, verb, doc, whenText(p.At, true)),
			fmt.Sprintf("%s %s %s, le %s.", who, verb, doc, whenText(p.At, false))) + "\n" +
			say("If you did not expect it, withdraw the permission in Coffre.",
				"Si vous ne vous y attendiez pas, retirez l'autorisation dans Coffre.")
	case vault.EventUploadViaLink:
		t.subject = say("A paper arrived in your vault", "Un papier est arrivé dans votre coffre")
		t.body = say(
			fmt.Sprintf("Someone used one of your upload links: %s was added on %s.", doc, whenText(p.At, true)),
			fmt.Sprintf("Quelqu'un a utilisé un de vos liens d'envoi : %s a été ajouté le %s.", doc, whenText(p.At, false)))
	case subjectConsentEnding:
		days := daysUntil(now, p.Expires)
		t.subject = say("A permission you gave ends soon", "Une autorisation que vous avez donnée prend fin bientôt")
		t.body = say(
			fmt.Sprintf("The permission given to %s ends on %s (%s). Renew it in Coffre if needed.", granteeText(p.Target, true), dateText(p.Expires, true), inDays(days, true)),
			fmt.Sprintf("L'autorisation donnée à %s prend fin le %s (%s). Renouvelez-la dans Coffre si besoin.", granteeText(p.Target, false), dateText(p.Expires, false), inDays(days, false)))
	case vault.EventConsentExpired:
		t.subject = say("A permission you gave has ended", "Une autorisation que vous avez donnée a pris fin")
		t.body = say(
			fmt.Sprintf("The permission given to %s ended on %s: they no longer see your papers.", granteeText(p.Target, true), whenText(p.At, true)),
			fmt.Sprintf("L'autorisation donnée à %s a pris fin le %s : cette personne ne voit plus vos papiers.", granteeText(p.Target, false), whenText(p.At, false)))
	case vault.EventAssistedRecovery:
		t.subject = say("Access to your vault was restored", "L'accès à votre coffre a été rétabli")
		t.body = say(
			fmt.Sprintf("%s restored access to your vault (assisted recovery) on %s. If it was not with you, contact them at once.", who, whenText(p.At, true)),
			fmt.Sprintf("%s a rétabli l'accès à votre coffre (récupération assistée) le %s. Si ce n'était pas avec vous, contactez-les tout de suite.", who, whenText(p.At, false)))
	case vault.EventRequestReceived, vault.EventRequestWaited:
		t.subject = say("Someone asks you for papers", "On vous demande des papiers")
		t.body = say(
			fmt.Sprintf("%s asked you for papers on %s. Open Coffre to answer: you choose what you share.", who, whenText(p.At, true)),
			fmt.Sprintf("%s vous a demandé des papiers le %s. Ouvrez Coffre pour répondre : vous choisissez ce que vous partagez.", who, whenText(p.At, false)))
		if base != "" {
			t.link = base + "/requests"
		}
	case subjectSharingStopped:
		name := clean(p.Actor)
		if name == "" {
			name = say("A person", "Une personne")
		}
		t.subject = say("A person stopped sharing with you", "Une personne a arrêté de partager avec vous")
		t.body = say(
			fmt.Sprintf("%s stopped sharing papers with you on %s: you no longer see them.", name, whenText(p.At, true)),
			fmt.Sprintf("%s a arrêté de partager ses papiers avec vous le %s : vous ne les voyez plus.", name, whenText(p.At, false)))
		if base != "" {
			t.link = base + "/pro"
		}
	case subjectSharingStarted:
		// No name: a message may travel by e-mail; Coffre shows who.
		t.subject = say("A person shared papers with you", "Une personne a partagé des papiers avec vous")
		t.body = say(
			fmt.Sprintf("A person shared papers with you on %s: open Coffre to see who and what.", whenText(p.At, true)),
			fmt.Sprintf("Une personne a partagé des papiers avec vous le %s : ouvrez Coffre pour voir qui et quoi.", whenText(p.At, false)))
		if base != "" {
			t.link = base + "/pro"
		}
	case subjectDocsArrived:
		t.subject = say("A paper you can see arrived", "Un papier que vous pouvez consulter est arrivé")
		t.body = say(
			fmt.Sprintf("%s arrived on %s in the file of a person who gave you access.", capital(docNeutral(p.DocType, true)), whenText(p.At, true)),
			fmt.Sprintf("%s est arrivé le %s dans le dossier d'une personne qui vous a donné accès.", capital(docNeutral(p.DocType, false)), whenText(p.At, false)))
	default:
		t.subject = say("News from your vault", "Du nouveau dans votre coffre")
		t.body = say("Open Coffre to see it.", "Ouvrez Coffre pour le voir.")
	}
	if n, fp, ok := vault.CheckpointSummary(p.Journal); ok {
		t.body += "\n\n" + say(
			fmt.Sprintf("Your journal now has %d entries (fingerprint %s). Proof to keep, which shows if entries are ever erased:", n, fp),
			fmt.Sprintf("Votre journal compte maintenant %d lignes (empreinte %s). Preuve à garder, qui montre si des lignes sont un jour effacées :", n, fp)) +
			"\n" + strings.TrimRight(p.Journal, "\n")
	}
	if t.link == "" {
		t.link = base
	}
	if base != "" {
		t.body += "\n\n" + say("Coffre: ", "Coffre : ") + base
	}
	t.body += "\n" + say("You can choose which messages you get in Coffre's settings.",
		"Vous pouvez choisir les messages que vous recevez dans les réglages de Coffre.")
	return t
}

// docName names the owner's document: "your residence permit", with the
// title only when given (allowed).
func docName(docType, title string, en bool) string {
	label := ""
	if dt, ok := vault.DocTypeByID(docType); ok && docType != "other" {
		label = dt.Label[map[bool]string{true: "en", false: "fr"}[en]]
	}
	title = clean(title)
	switch {
	case label != "" && title != "":
		if en {
			return "your " + label + " “" + title + "”"
		}
		return "votre " + label + " « " + title + " »"
	case label != "":
		if en {
			return "your " + label
		}
		return "votre " + label
	case title != "":
		if en {
			return "your paper “" + title + "”"
		}
		return "votre papier « " + title + " »"
	}
	if en {
		return "one of your papers"
	}
	return "un de vos papiers"
}

// docNeutral names a document for a worker, by its type only.
func docNeutral(docType string, en bool) string {
	if dt, ok := vault.DocTypeByID(docType); ok && docType != "other" {
		if en {
			return "a paper (" + dt.Label["en"] + ")"
		}
		return "un papier (" + dt.Label["fr"] + ")"
	}
	if en {
		return "a paper"
	}
	return "un papier"
}

func actorName(name, org string, en bool) string {
	name, org = clean(name), clean(org)
	switch {
	case name != "" && org != "":
		return org + " — " + name
	case name+org != "":
		return name + org
	case en:
		return "A social worker"
	}
	return "Un travailleur social"
}

func granteeText(g string, en bool) string {
	if g = clean(g); g != "" {
		return g
	}
	if en {
		return "a social worker"
	}
	return "un travailleur social"
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

var monthsFR = [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
	"septembre", "octobre", "novembre", "décembre"}

// dateText is a calendar date in Paris: "12 juin 2026" / "12 June 2026".
func dateText(t time.Time, en bool) string {
	lt := t.In(paris)
	if en {
		return lt.Format("2 January 2006")
	}
	d := fmt.Sprint(lt.Day())
	if lt.Day() == 1 {
		d = "1er"
	}
	return fmt.Sprintf("%s %s %d", d, monthsFR[lt.Month()-1], lt.Year())
}

// whenText is a date and time in Paris: "3 mars à 14 h 02" / "3 March at 14:02".
func whenText(t time.Time, en bool) string {
	lt := t.In(paris)
	if en {
		return lt.Format("2 January at 15:04")
	}
	return fmt.Sprintf("%d %s à %d h %02d", lt.Day(), monthsFR[lt.Month()-1], lt.Hour(), lt.Minute())
}

// daysUntil counts whole days from now to t, rounded up (0 when past).
func daysUntil(now, t time.Time) int {
	d := t.Sub(now).Hours() / 24
	if d <= 0 {
		return 0
	}
	return int(math.Ceil(d))
}

func inDays(n int, en bool) string {
	switch {
	case n <= 0 && en:
		return "today"
	case n <= 0:
		return "aujourd'hui"
	case n == 1 && en:
		return "tomorrow"
	case n == 1:
		return "demain"
	case en:
		return fmt.Sprintf("in %d days", n)
	}
	return fmt.Sprintf("dans %d jours", n)
}
