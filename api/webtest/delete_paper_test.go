package webtest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/coffre/coffre/vault"
)

// TestDeletePaperAsksTheSecret: deleting a paper is final, so on a phone
// signed in but not confirmed (a session alone: what a thief of the cookie
// has) the question "delete this paper?" asks for her secret. Tapped with a
// wrong one, the page says so beside the field, the cursor there, and the
// paper stays; with hers, it is gone and her list says so. (An attacker's
// review deleted a paper with the session alone.)
func TestDeletePaperAsksTheSecret(t *testing.T) {
	srv := newServer(t)
	b := newBrowser(t)
	const ident, secret = "0677889933", "hibou sapin cerise lampe"
	ownerID, doc := ownerWithRIB(t, srv, ident, secret)
	o := b.hand("owner")
	o.signIn(srv.URL, "/lang?to=fr&back=/login", map[string]string{"#identifier": ident, "#secret": secret})
	o.open(srv.URL + "/papers/" + doc.ID)
	o.tapTo(`a[href$="/delete"]`)
	if !eval[bool](o.person, `!!document.getElementById('confirm-delete-paper')`) {
		t.Fatalf("the delete page does not ask for the secret: %s", o.seen())
	}
	o.typeIn("#confirm-delete-paper", "pas le bon secret")
	o.tapTo("form.form button[type=submit]")
	if got := o.text("#confirm-delete-paper-error"); got != "Ce n'est pas votre secret. Réessayez." {
		t.Errorf("beside the secret field: %q (%s)", got, o.seen())
	}
	if !eval[bool](o.person, `document.activeElement && document.activeElement.id === 'confirm-delete-paper'`) {
		t.Error("the cursor is not in the secret field")
	}
	ctx := context.Background()
	owner, err := srv.v.Unlock(ctx, ownerID, []byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.v.Document(ctx, owner, doc.ID); err != nil {
		t.Fatalf("the paper went with a wrong secret: %v", err)
	}
	o.axe("delete a paper, wrong secret")
	o.typeIn("#confirm-delete-paper", secret)
	o.tapTo("form.form button[type=submit]")
	if got := o.text(".notice"); !strings.Contains(got, "supprimé") {
		t.Errorf("after deleting with her secret: %q (%s)", got, o.seen())
	}
	if _, err := srv.v.Document(ctx, owner, doc.ID); !errors.Is(err, vault.ErrNoAccess) {
		t.Fatalf("the paper is still there: %v", err)
	}
}
