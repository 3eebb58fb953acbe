package notify_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coffre/coffre/internal/testenv"
	"github.com/coffre/coffre/notify"
	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/blob/local"
	"github.com/coffre/coffre/vault/meta"
	"github.com/coffre/coffre/vault/seal"
)

// One PostgreSQL server serves the package's tests.
func TestMain(m *testing.M) { os.Exit(testenv.PostgresMain(m)) }

var (
	testPepper = bytes.Repeat([]byte{0x42}, 32)
	weakScrypt = seal.ScryptParams{LogN: 10, AllowWeak: true}
	seq        atomic.Int64
)

const goodSecret = "jardin violon tempete cerise"

// clock is a settable test clock.
type clock struct {
	mu   sync.Mutex
	t    time.Time
	wall bool // follow the real clock
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.wall {
		return time.Now()
	}
	return c.t
}

// Wall makes the clock follow the real one.
func (c *clock) Wall() {
	c.mu.Lock()
	c.wall = true
	c.mu.Unlock()
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// world is one data directory (SQLite file, blobs, pepper) with a real
// SMTP server and a real push endpoint; instances open it like separate
// Coffre processes.
type world struct {
	pg    string // PostgreSQL database URL; "" keeps metadata in SQLite
	dir   string
	clock *clock
	mail  *smtpd
	push  *pushd
	vapid notify.VAPIDKey
}

// noon on a Tuesday in Paris: outside default quiet hours.
var noon = time.Date(2026, 3, 3, 11, 0, 0, 0, time.UTC)

func newWorld(t testing.TB) *world {
	t.Helper()
	key, err := notify.GenerateVAPIDKey()
	if err != nil {
		t.Fatal(err)
	}
	return &world{
		dir: t.TempDir(), clock: &clock{t: noon},
		mail: newSMTPD(t), push: newPushd(t, key.Public), vapid: key,
	}
}

// inst is one Coffre process on the world's data.
// metaDB is a metadata store of either engine.
type metaDB interface {
	vault.MetaStore
	notify.Store
	Close() error
}

type inst struct {
	w    *world
	db   metaDB
	v    *vault.Service
	n    *notify.Service
	mu   sync.Mutex
	errs []error
}

func (in *inst) errors() []error {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]error(nil), in.errs...)
}

type option func(*notify.Config)

func (w *world) open(t testing.TB, opts ...option) *inst {
	t.Helper()
	ctx := context.Background()
	var db metaDB
	var err error
	if w.pg != "" {
		db, err = meta.OpenPostgres(ctx, w.pg, vault.RowKeyOption(testPepper))
	} else {
		db, err = meta.OpenSQLite(ctx, filepath.Join(w.dir, "coffre.db"), vault.RowKeyOption(testPepper))
	}
	if err != nil {
		t.Fatalf("open metadata: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	bs, err := local.New(filepath.Join(w.dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := vault.New(vault.Config{Meta: db, Blobs: bs, Pepper: testPepper, Scrypt: weakScrypt, Now: w.clock.Now})
	if err != nil {
		t.Fatalf("vault.New: %v", err)
	}
	mail, err := notify.NewSMTP(notify.SMTPConfig{
		Host: "127.0.0.1", Port: w.mail.port(), Security: notify.SMTPPlain,
		Username: w.mail.user, Password: w.mail.pass, From: "Coffre <no-reply@coffre.test>",
	})
	if err != nil {
		t.Fatal(err)
	}
	push, err := notify.NewWebPush(notify.WebPushConfig{
		Key: w.vapid, Subscriber: "mailto:ops@coffre.test", AllowedHosts: []string{"127.0.0.1"},
		Client: w.push.srv.Client(),
	})
	if err != nil {
		t.Fatal(err)
	}
	in := &inst{w: w, db: db, v: v}
	cfg := notify.Config{
		Vault: v, Store: db, BaseURL: "https://coffre.test",
		Channels: map[notify.Channel]notify.Notifier{notify.ChannelEmail: mail, notify.ChannelPush: push},
		Now:      w.clock.Now, RetryBase: time.Minute, RetryMax: time.Hour,
		OnError: func(err error) {
			in.mu.Lock()
			in.errs = append(in.errs, err)
			in.mu.Unlock()
		},
	}
	for _, o := range opts {
		o(&cfg)
	}
	n, err := notify.New(cfg)
	if err != nil {
		t.Fatalf("notify.New: %v", err)
	}
	v.SetEventSink(n)
	in.n = n
	return in
}

// engines runs a test on SQLite and on PostgreSQL (testenv: Missing, a
// failure under CI, when PostgreSQL is not installed).
func engines(t *testing.T, fn func(t *testing.T, newWorld func(testing.TB) *world)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, newWorld) })
	t.Run("postgres", func(t *testing.T) {
		fn(t, func(t testing.TB) *world {
			w := newWorld(t)
			w.pg = testenv.Postgres(t).NewDatabase(t)
			return w
		})
	})
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// person is an owner with an e-mail address and a push subscription.
type person struct {
	p     *vault.Principal
	email string
	subID string
}

// owner signs up an owner, registers their e-mail and push subscription,
// and sets their preferences (quiet hours off unless quiet is set).
func (in *inst) owner(t testing.TB, lang string, st *notify.Settings) person {
	t.Helper()
	ctx := testCtx(t)
	ident := fmt.Sprintf("owner-%d", seq.Add(1))
	if _, _, err := in.v.SignUp(ctx, vault.NewOwner{Identifier: ident, Secret: []byte(goodSecret), Lang: lang}, nil); err != nil {
		t.Fatalf("SignUp: %v", err)
	}
	p, err := in.v.Login(ctx, ident, []byte(goodSecret), "192.0.2.1")
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	r := notify.Recipient{Kind: vault.KindOwner, ID: p.ID()}
	email := ident + "@example.org"
	if _, err := in.n.AddContact(ctx, r, notify.ChannelEmail, email); err != nil {
		t.Fatalf("AddContact email: %v", err)
	}
	sub, subJSON := in.w.push.subscribe(t)
	if _, err := in.n.AddContact(ctx, r, notify.ChannelPush, subJSON); err != nil {
		t.Fatalf("AddContact push: %v", err)
	}
	settings := notify.DefaultSettings()
	settings.Quiet = notify.QuietHours{}
	if st != nil {
		settings = *st
	}
	if err := in.n.SetSettings(ctx, r, settings); err != nil {
		t.Fatalf("SetSettings: %v", err)
	}
	return person{p: p, email: email, subID: sub}
}

// worker creates an organisation member, logged in, with its e-mail.
func (in *inst) worker(t testing.TB, name string) (*vault.Principal, string) {
	t.Helper()
	ctx := testCtx(t)
	org, key, err := in.v.CreateOrganisation(ctx, "CCAS de Roubaix")
	if err != nil {
		t.Fatalf("CreateOrganisation: %v", err)
	}
	email := fmt.Sprintf("worker%d@ccas.example.org", seq.Add(1))
	if _, _, err := in.v.AddWorker(ctx, org.ID, email, name, []byte(goodSecret), false); err != nil {
		t.Fatalf("AddWorker: %v", err)
	}
	if _, err := in.v.ActivateMembers(ctx, org.ID, key); err != nil {
		t.Fatalf("ActivateMembers: %v", err)
	}
	w, err := in.v.LoginWorker(ctx, email, []byte(goodSecret), "", "192.0.2.9")
	if err != nil {
		t.Fatalf("LoginWorker: %v", err)
	}
	if err := in.n.SetSettings(ctx, notify.Recipient{Kind: vault.KindWorker, ID: w.ID()},
		notify.Settings{}); err != nil {
		t.Fatal(err)
	}
	return w, email
}

// add stores a document of a type with a title, content and expiry.
func (in *inst) add(t testing.TB, ownerID, typ, title, content string, expires time.Time) vault.Document {
	t.Helper()
	d, err := in.v.AddDocument(testCtx(t), ownerID, vault.NewDocument{Type: typ, Title: title, Pages: 1, Expires: expires},
		strings.NewReader(content))
	if err != nil {
		t.Fatalf("AddDocument: %v", err)
	}
	return d
}

// round plans and sends once, failing the test on a bookkeeping error.
func (in *inst) round(t testing.TB) int {
	t.Helper()
	ctx := testCtx(t)
	if err := in.n.ScanOnce(ctx); err != nil {
		t.Fatalf("ScanOnce: %v", err)
	}
	n, err := in.n.RunOnce(ctx)
	if err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	return n
}

// mailsTo, pushesTo count what the real servers received for someone.
func (w *world) mailsTo(addr string) []mailMsg {
	var out []mailMsg
	for _, m := range w.mail.messages() {
		if m.To == addr {
			out = append(out, m)
		}
	}
	return out
}

func (w *world) pushesTo(sub string) []pushGot {
	var out []pushGot
	for _, g := range w.push.received() {
		if g.Sub == sub {
			out = append(out, g)
		}
	}
	return out
}

func (in *inst) inbox(t testing.TB, p *vault.Principal) []notify.InboxItem {
	t.Helper()
	items, err := in.n.Inbox(testCtx(t), p, 0)
	if err != nil {
		t.Fatalf("Inbox: %v", err)
	}
	return items
}

// counts is (inbox, e-mail, push) for an owner.
func (in *inst) counts(t testing.TB, o person) [3]int {
	t.Helper()
	return [3]int{len(in.inbox(t, o.p)), len(in.w.mailsTo(o.email)), len(in.w.pushesTo(o.subID))}
}
