package vault

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // the journal speaks French time wherever the server runs
)

// journalZone is the time zone of journal texts.
var journalZone = func() *time.Location {
	if loc, err := time.LoadLocation("Europe/Paris"); err == nil {
		return loc
	}
	return time.UTC
}()

// journalPhrase is how one kind of event is said: by someone else (third person,
// "%[1]s" the actor, "%[2]s" the document, "%[3]s" the detail, "%[4]s" the
// target) and by the owner themself.
type journalPhrase struct{ fr, frYou, en, enYou string }

var journalPhrases = map[string]journalPhrase{
	EventSignup: {"%[1]s a créé votre coffre avec vous", "Vous avez créé votre coffre",
		"%[1]s created your vault with you", "You created your vault"},
	EventLogin: {"%[1]s s'est connecté à votre coffre", "Vous vous êtes connecté",
		"%[1]s logged in to your vault", "You logged in"},
	EventPasskeyAdded: {"%[1]s a ajouté une clé d'accès", "Vous avez ajouté une clé d'accès (passkey)",
		"%[1]s added a passkey", "You added a passkey"},
	EventPasskeyRemoved: {"%[1]s a retiré une clé d'accès", "Vous avez retiré une clé d'accès (passkey)",
		"%[1]s removed a passkey", "You removed a passkey"},
	EventRecovery: {"%[1]s a retrouvé l'accès avec le code de secours", "Vous avez retrouvé l'accès avec votre code de secours",
		"%[1]s recovered access with the recovery code", "You recovered access with your recovery code"},
	EventAssistedRecovery: {"%[1]s a rétabli l'accès à votre coffre (récupération assistée)", "Votre accès a été rétabli (récupération assistée)",
		"%[1]s restored access to your vault (assisted recovery)", "Your access was restored (assisted recovery)"},
	EventSecretChanged: {"%[1]s a changé le secret", "Vous avez changé votre secret",
		"%[1]s changed the secret", "You changed your secret"},
	EventDocumentAdded: {"%[1]s a ajouté %[2]s", "Vous avez ajouté %[2]s",
		"%[1]s added %[2]s", "You added %[2]s"},
	EventUploadViaLink: {"%[1]s a déposé %[2]s par le lien « %[3]s »", "Vous avez déposé %[2]s par le lien « %[3]s »",
		"%[1]s dropped %[2]s through the link “%[3]s”", "You dropped %[2]s through the link “%[3]s”"},
	EventDocumentViewed: {"%[1]s a ouvert %[2]s", "Vous avez ouvert %[2]s",
		"%[1]s opened %[2]s", "You opened %[2]s"},
	EventDocumentDownload: {"%[1]s a téléchargé %[2]s", "Vous avez téléchargé %[2]s",
		"%[1]s downloaded %[2]s", "You downloaded %[2]s"},
	EventDocumentRenamed: {"%[1]s a renommé %[2]s", "Vous avez renommé %[2]s",
		"%[1]s renamed %[2]s", "You renamed %[2]s"},
	EventDocumentExpiry: {"%[1]s a changé la date de fin de validité pour %[2]s", "Vous avez changé la date de fin de validité pour %[2]s",
		"%[1]s changed the expiry date of %[2]s", "You changed the expiry date of %[2]s"},
	EventDocumentFiled: {"%[1]s a classé %[2]s", "Vous avez classé %[2]s",
		"%[1]s filed %[2]s", "You filed %[2]s"},
	EventDocumentDeleted: {"%[1]s a supprimé %[2]s", "Vous avez supprimé %[2]s",
		"%[1]s deleted %[2]s", "You deleted %[2]s"},
	EventConsentGranted: {"%[1]s a autorisé %[4]s à consulter des papiers (%[3]s)", "Vous avez autorisé %[4]s à consulter vos papiers (%[3]s)",
		"%[1]s allowed %[4]s to see papers (%[3]s)", "You allowed %[4]s to see your papers (%[3]s)"},
	EventConsentRevoked: {"%[1]s a retiré l'autorisation donnée à %[4]s", "Vous avez retiré l'autorisation donnée à %[4]s",
		"%[1]s withdrew the permission given to %[4]s", "You withdrew the permission given to %[4]s"},
	EventConsentExpired: {"L'autorisation donnée à %[4]s a pris fin", "L'autorisation donnée à %[4]s a pris fin",
		"The permission given to %[4]s ended", "The permission given to %[4]s ended"},
	EventLinkCreated: {"%[1]s a créé le lien d'envoi « %[3]s »", "Vous avez créé le lien d'envoi « %[3]s »",
		"%[1]s created the upload link “%[3]s”", "You created the upload link “%[3]s”"},
	EventLinkRevoked: {"%[1]s a désactivé le lien d'envoi « %[3]s »", "Vous avez désactivé le lien d'envoi « %[3]s »",
		"%[1]s disabled the upload link “%[3]s”", "You disabled the upload link “%[3]s”"},
	EventRequestReceived: {"%[1]s vous demande des papiers (%[3]s)", "Vous avez reçu une demande de papiers (%[3]s)",
		"%[1]s asks you for papers (%[3]s)", "You received a request for papers (%[3]s)"},
	EventRequestAccepted: {"%[1]s a accepté la demande de %[4]s", "Vous avez accepté la demande de %[4]s",
		"%[1]s accepted the request from %[4]s", "You accepted the request from %[4]s"},
	EventRequestDeclined: {"%[1]s a refusé la demande de %[4]s", "Vous avez refusé la demande de %[4]s",
		"%[1]s declined the request from %[4]s", "You declined the request from %[4]s"},
	"login-locked": {"Trop d'essais de secret : votre coffre est bloqué pour un moment", "Trop d'essais de secret : votre coffre est bloqué pour un moment",
		"Too many wrong secrets: your vault is locked for a while", "Too many wrong secrets: your vault is locked for a while"},
	"logout-everywhere": {"%[1]s a fermé toutes les sessions", "Vous vous êtes déconnecté partout",
		"%[1]s ended every session", "You logged out everywhere"},
	EventSessionsEnded: {"Vos autres sessions ont été fermées (nouveau secret, nouveau code de secours ou nouvelles clés)", "Vos autres sessions ont été fermées (nouveau secret, nouveau code de secours ou nouvelles clés)",
		"Your other sessions were ended (new secret, new recovery code or new keys)", "Your other sessions were ended (new secret, new recovery code or new keys)"},
	EventRecoveryCodeWithheld: {"Le coffre a été créé par %[1]s, qui n'a pas vu de code de secours : faites votre feuille de secours depuis votre compte", "Le coffre a été créé par %[1]s, qui n'a pas vu de code de secours : faites votre feuille de secours depuis votre compte",
		"The vault was created by %[1]s, who saw no recovery code: make your recovery sheet from your account", "The vault was created by %[1]s, who saw no recovery code: make your recovery sheet from your account"},
	EventKeysRotated: {"%[1]s a changé les clés du coffre : l'ancien secret, l'ancienne feuille de secours et les anciennes clés n'ouvrent plus rien", "Vous avez changé les clés de votre coffre : l'ancien secret, l'ancienne feuille de secours et les anciennes clés n'ouvrent plus rien",
		"%[1]s changed the vault's keys: the old secret, the old recovery sheet and the old keys open nothing any more", "You changed your vault's keys: the old secret, the old recovery sheet and the old keys open nothing any more"},
	"recovery-code-renewed": {"%[1]s a obtenu un nouveau code de secours", "Vous avez obtenu un nouveau code de secours",
		"%[1]s got a new recovery code", "You got a new recovery code"},
	"recovery-code-reissued": {"Un nouveau code de secours a été émis après la récupération : l'ancienne feuille de secours ne fonctionne plus", "Un nouveau code de secours a été émis après la récupération : l'ancienne feuille de secours ne fonctionne plus",
		"A new recovery code was issued after recovery: the old recovery sheet no longer works", "A new recovery code was issued after recovery: the old recovery sheet no longer works"},
	"recovery-code-revoked": {"Un nouveau code de secours a été émis après la récupération assistée : l'ancienne feuille ne fonctionne plus, imprimez-en une nouvelle depuis votre compte", "Un nouveau code de secours a été émis après la récupération assistée : l'ancienne feuille ne fonctionne plus, imprimez-en une nouvelle depuis votre compte",
		"A new recovery code was issued after the assisted recovery: the old sheet no longer works, print a new one from your account", "A new recovery code was issued after the assisted recovery: the old sheet no longer works, print a new one from your account"},
	"assisted-recovery-set": {"%[1]s a permis à %[4]s de rétablir l'accès", "Vous avez permis à %[4]s de rétablir votre accès si besoin",
		"%[1]s allowed %[4]s to restore access", "You allowed %[4]s to restore your access if needed"},
	"assisted-recovery-withdrawn": {"%[1]s a retiré la récupération assistée", "Vous avez retiré la récupération assistée",
		"%[1]s withdrew assisted recovery", "You withdrew assisted recovery"},
	EventStorageSet: {"%[1]s a choisi de ranger les papiers dans son propre espace de stockage (%[4]s)", "Vous avez choisi de ranger vos papiers dans votre propre espace de stockage (%[4]s)",
		"%[1]s chose to keep the papers in their own storage (%[4]s)", "You chose to keep your papers in your own storage (%[4]s)"},
	EventStorageCleared: {"%[1]s a remis les papiers dans le stockage de Coffre", "Vous avez remis vos papiers dans le stockage de Coffre",
		"%[1]s moved the papers back to Coffre's storage", "You moved your papers back to Coffre's storage"},
	EventExport: {"%[1]s a exporté votre coffre", "Vous avez exporté votre coffre",
		"%[1]s exported your vault", "You exported your vault"},
}

var journalMonthsFR = [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
	"septembre", "octobre", "novembre", "décembre"}

// Text says the event in plain language, lang "fr" (the default) or "en":
// "CCAS de Roubaix — Mme Morel a ouvert votre avis d'impôt, le 3 mars à
// 14 h 02". The year is given when it is not the current one.
func (e Event) Text(lang string) string {
	en := lang == "en"
	ph, ok := journalPhrases[e.Kind]
	if !ok {
		ph = journalPhrase{"%[1]s : " + e.Kind, "Vous : " + e.Kind, "%[1]s: " + e.Kind, "You: " + e.Kind}
	}
	tmpl := ph.fr
	switch {
	case en && e.ActorKind == ActorOwner:
		tmpl = ph.enYou
	case en:
		tmpl = ph.en
	case e.ActorKind == ActorOwner:
		tmpl = ph.frYou
	}
	s := strings.NewReplacer(
		"%[1]s", e.actorText(en), "%[2]s", e.documentText(en),
		"%[3]s", e.detailText(en), "%[4]s", e.targetText(en),
	).Replace(tmpl)
	return s + ", " + whenText(e.At, time.Now(), en)
}

// actorText names who did it.
func (e Event) actorText(en bool) string {
	name := strings.TrimSpace(e.ActorName)
	org := strings.TrimSpace(e.OrgName)
	switch {
	case name != "" && org != "":
		return org + " — " + name
	case name != "":
		return name
	case org != "":
		return org
	}
	switch e.ActorKind {
	case ActorHelper:
		return inLang(en, "Someone", "Quelqu'un")
	case ActorWorker:
		return inLang(en, "A social worker", "Un travailleur social")
	case ActorSystem:
		return "Coffre"
	case ActorOwner:
		return inLang(en, "You", "Vous")
	}
	return inLang(en, "Someone", "Quelqu'un")
}

// documentText names the document: by its type ("votre avis d'impôt"),
// else by its title, else generically.
func (e Event) documentText(en bool) string {
	if l := docTypeLabel(e.DocumentType, inLang(en, "en", "fr")); l != "" && e.DocumentType != "other" {
		if e.DocumentTitle != "" && !strings.EqualFold(e.DocumentTitle, l) {
			return inLang(en, "your "+l+" “"+e.DocumentTitle+"”", "votre "+l+" « "+e.DocumentTitle+" »")
		}
		return inLang(en, "your ", "votre ") + l
	}
	if e.DocumentTitle != "" {
		return inLang(en, "the paper “"+e.DocumentTitle+"”", "le papier « "+e.DocumentTitle+" »")
	}
	return inLang(en, "a paper", "un papier")
}

func (e Event) detailText(en bool) string {
	if d := strings.TrimSpace(e.Detail); d != "" {
		return d
	}
	return inLang(en, "no details", "sans précision")
}

func (e Event) targetText(en bool) string {
	if t := strings.TrimSpace(e.Target); t != "" {
		return t
	}
	if o := strings.TrimSpace(e.OrgName); o != "" && e.ActorKind == ActorOwner {
		return o
	}
	return inLang(en, "a social worker", "un travailleur social")
}

// whenText says a time in Paris time: "le 3 mars à 14 h 02" / "on 3 March
// at 14:02", with the year when it is not now's.
func whenText(at, now time.Time, en bool) string {
	return whenTextIn(at.In(journalZone), now.In(journalZone), en)
}

func whenTextIn(t, now time.Time, en bool) string {
	year := ""
	if t.Year() != now.Year() {
		year = fmt.Sprintf(" %d", t.Year())
	}
	if en {
		return fmt.Sprintf("on %d %s%s at %02d:%02d", t.Day(), t.Month(), year, t.Hour(), t.Minute())
	}
	day := fmt.Sprint(t.Day())
	if t.Day() == 1 {
		day = "1er"
	}
	return fmt.Sprintf("le %s %s%s à %d h %02d", day, journalMonthsFR[t.Month()-1], year, t.Hour(), t.Minute())
}

func inLang(en bool, english, french string) string {
	if en {
		return english
	}
	return french
}
