package vault_test

import (
	"errors"
	"testing"

	"golang.org/x/text/unicode/norm"

	"github.com/coffre/coffre/internal/testenv"
	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/seal"
)

// The keyboard variants of one letter fold to one; distinct letters stay
// distinct.
func TestFoldSecret(t *testing.T) {
	same := []struct{ name, a, b string }{
		{"Persian and Arabic yeh, keheh and kaf", "کیک یاسمن", "كيك ياسمن"},
		{"alef maksura", "موسى", "موسي"},
		{"heh and teh marbuta", "ستاره پنجره", "ستارة پنجرہ"},
		{"alef with hamza", "أرز إبرة آب", "ارز ابرة اب"},
		{"Persian digits", "باغ ۱۲۳۴۵۶۷۸۹۰", "باغ 1234567890"},
		{"Arabic-Indic digits", "باغ ٠١٢٣٤٥٦٧٨٩", "باغ 0123456789"},
		{"tatweel", "كـتـاب", "كتاب"},
		{"harakat", "كِتَابٌ مُدَرِّسَة", "كتاب مدرسة"},
		{"zero-width non-joiner and direction marks", "می\u200cخواهم \u200fباغ\u200e", "میخواهم باغ"},
		{"isolates and overrides copied from a right-to-left page", "\u2068prune chorale\u2069 \u202bduvet\u202c", "prune chorale duvet"},
		{"Ukrainian apostrophes", "м’ята сім'я", "мʼята сім‘я"},
		{"Romanian cedilla and comma", "şură ţară ŞŢ", "șură țară ȘȚ"},
		{"NFD", "cafe\u0301", "café"},
	}
	for _, c := range same {
		if a, b := vault.FoldSecret(c.a), vault.FoldSecret(c.b); a != b {
			t.Errorf("%s: %q → %q, %q → %q", c.name, c.a, a, c.b, b)
		}
	}
	differ := []struct{ name, a, b string }{
		{"Latin accents stay", "café", "cafe"},
		{"case stays", "Jardin", "jardin"},
		{"ya and waw", "بيت", "بوت"},
		{"ghayn and ayn", "غين", "عين"},
		{"Cyrillic i and yi", "їжак", "іжак"},
		{"spaces stay", "a b", "ab"},
	}
	for _, c := range differ {
		if a, b := vault.FoldSecret(c.a), vault.FoldSecret(c.b); a == b {
			t.Errorf("%s: %q and %q both fold to %q", c.name, c.a, c.b, a)
		}
	}
	if got := vault.FoldSecret("correct horse battery staple"); got != "correct horse battery staple" {
		t.Errorf("ASCII changed: %q", got)
	}
}

// A Dari (Persian keyboard) secret and the same words typed on an Arabic
// keyboard, with either script's digits.
const (
	dariSecret   = "کیک یاسمن ستاره پنجره ۴۲"
	arabicSecret = "كيك ياسمن ستاره پنجره ٤٢"
	asciiDigits  = "كيك ياسمن ستاره پنجره 42"
	decorated    = "كـيك يَاسمن ستارہ پنجرة ۴۲"
)

// keyboardBackends are the metadata stores the keyboard tests run on:
// SQLite, and PostgreSQL when the test environment has it.
func keyboardBackends(t *testing.T) map[string]func(*testing.T) backend {
	return map[string]func(*testing.T) backend{
		"sqlite":   func(*testing.T) backend { return localBackend },
		"postgres": func(t *testing.T) backend { return withPostgres(testenv.Postgres(t), localBackend) },
	}
}

// TestKeyboardVariantsOpen: a secret set on one keyboard opens the vault
// typed on another (Persian or Arabic letters, either digits, tatweel,
// harakat); an account whose wrap was made before the fold (with the
// bytes as typed) still opens with exactly what its owner typed, and one
// such login is one attempt for the throttle; neither form of the secret
// is stored anywhere.
func TestKeyboardVariantsOpen(t *testing.T) {
	for name, mk := range keyboardBackends(t) {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, mk(t), nil, nil)
			ctx := testCtx(t)
			signUp := func(ident, secret string) (string, seal.RecoveryCode) {
				t.Helper()
				id, code, err := e.svc.SignUp(ctx, vault.NewOwner{Identifier: ident, Secret: []byte(secret)}, nil)
				if err != nil {
					t.Fatalf("SignUp(%s): %v", ident, err)
				}
				return id, code
			}
			login := func(ident, secret string) error {
				t.Helper()
				_, err := e.svc.Login(ctx, ident, []byte(secret), "192.0.2.7")
				return err
			}

			signUp("dari.keyboard", dariSecret)
			signUp("arabic.keyboard", arabicSecret)
			for _, ident := range []string{"dari.keyboard", "arabic.keyboard"} {
				for _, typed := range []string{dariSecret, arabicSecret, asciiDigits, decorated} {
					if err := login(ident, typed); err != nil {
						t.Errorf("%s typed %q: %v", ident, typed, err)
					}
				}
				if err := login(ident, "كيك ياسمن ستاره پنجره 43"); !errors.Is(err, vault.ErrWrongSecret) {
					t.Errorf("%s with another number: %v", ident, err)
				}
			}

			signUp("ukrainian", "м’ята сонях вишня груша")
			for _, typed := range []string{"м'ята сонях вишня груша", "мʼята сонях вишня груша"} {
				if err := login("ukrainian", typed); err != nil {
					t.Errorf("ukrainian typed %q: %v", typed, err)
				}
			}

			// An account from before the fold: its wrap holds the secret
			// as typed (NFC), with Persian letters and digits.
			id, code := signUp("before.fold", asciiDigits)
			o, err := e.meta.Owner(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			identity, err := seal.UnwrapWithRecoveryCode(o.IdentityByRecovery, code)
			if err != nil {
				t.Fatal(err)
			}
			old, err := seal.WrapWithSecret(identity, norm.NFC.Bytes([]byte(dariSecret)), testPepper, weakScrypt)
			if err != nil {
				t.Fatal(err)
			}
			if err := e.meta.SetOwnerIdentityBySecret(ctx, id, old); err != nil {
				t.Fatal(err)
			}
			if err := login("before.fold", dariSecret); err != nil {
				t.Fatalf("the old account with its own secret: %v", err)
			}
			if _, err := e.svc.Unlock(ctx, id, []byte(dariSecret)); err != nil {
				t.Fatalf("Unlock of the old account: %v", err)
			}
			// The other keyboard's form was never its secret.
			if _, err := e.svc.Unlock(ctx, id, []byte(arabicSecret)); !errors.Is(err, vault.ErrWrongSecret) {
				t.Errorf("the old account with Arabic letters: %v", err)
			}
			// A wrong secret that folding changes is tried twice but
			// counted once: the five free attempts stay five.
			for i := range 5 {
				err := login("before.fold", "كيك ياسمن غلط ۹۹ پنجره")
				if !errors.Is(err, vault.ErrWrongSecret) || errors.Is(err, vault.ErrThrottled) {
					t.Fatalf("wrong attempt %d: %v", i+1, err)
				}
			}
			if err := login("before.fold", dariSecret); !errors.Is(err, vault.ErrThrottled) {
				t.Errorf("after 5 failures: %v, want throttled", err)
			}

			for _, secret := range []string{dariSecret, arabicSecret, vault.FoldSecret(dariSecret)} {
				if files, hits := scan(t, e.dirs, markerForms(secret)); files == 0 || len(hits) > 0 {
					t.Errorf("secret %q at rest: %d files, %v", secret, files, hits)
				}
			}
		})
	}
}
