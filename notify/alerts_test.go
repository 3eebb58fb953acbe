package notify_test

import (
	"strings"
	"testing"

	"github.com/coffre/coffre/vault"
)

// A new address for alerts, or titles turned on, reaches the addresses the
// owner already had (e-mail through a real SMTP server, Web Push through a
// real endpoint) and her inbox, naming the new address: a session thief's
// address is seen where she reads. (A principal from Login has just proved
// the secret; a resumed session has not: the api tests refuse it.)
func TestAlertsWidenedTellsHerAddresses(t *testing.T) {
	engines(t, func(t *testing.T, newWorld func(testing.TB) *world) {
		w := newWorld(t)
		in := w.open(t)
		o := in.owner(t, "fr", nil)
		ctx := testCtx(t)
		if err := in.v.AlertsWidened(ctx, o.p, vault.EventAlertContactAdded, "email voleur@example.net"); err != nil {
			t.Fatalf("AlertsWidened: %v", err)
		}
		if err := in.v.AlertsWidened(ctx, o.p, vault.EventAlertTitlesOn, ""); err != nil {
			t.Fatalf("AlertsWidened titles: %v", err)
		}
		in.round(t)
		if c := in.counts(t, o); c != [3]int{2, 2, 2} {
			t.Fatalf("(inbox, mail, push) = %v, want two of each", c)
		}
		var bodies []string
		for _, m := range w.mailsTo(o.email) {
			bodies = append(bodies, m.Subject+"\n"+m.Body)
		}
		all := strings.Join(bodies, "\n---\n")
		for _, want := range []string{"Une nouvelle adresse reçoit vos alertes", "L'adresse voleur@example.net a été ajoutée",
			"Vos alertes montrent maintenant le nom de vos papiers", "changez votre secret"} {
			if !strings.Contains(all, want) {
				t.Errorf("mails lack %q:\n%s", want, all)
			}
		}
		inbox := in.inbox(t, o.p)
		if len(inbox) != 2 || !strings.Contains(inbox[0].Body+inbox[1].Body, "voleur@example.net") {
			t.Errorf("inbox: %+v", inbox)
		}
	})
}
