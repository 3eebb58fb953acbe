package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coffre/coffre/internal/testenv"
	"github.com/coffre/coffre/vault"
)

// TestEndpointPolicy: owners' endpoints on loopback, private, link-local
// or carrier-grade NAT addresses are refused unless allow-listed; with a
// list, only listed hosts pass; names are checked by what they resolve to.
func TestEndpointPolicy(t *testing.T) {
	ctx := context.Background()
	fake := map[string][]net.IP{
		"bucket.example":  {net.ParseIP("151.101.2.10")},
		"rebind.example":  {net.ParseIP("151.101.2.11"), net.ParseIP("192.168.1.5")},
		"cloud.example":   {net.ParseIP("2a00:1450:4007:80e::2004")},
		"intranet.local":  {net.ParseIP("10.1.2.3")},
		"minio.internal":  {net.ParseIP("127.0.0.1")},
		"metadata.google": {net.ParseIP("169.254.169.254")},
	}
	policy := func(list string) *endpointPolicy {
		p, err := newEndpointPolicy(list)
		if err != nil {
			t.Fatal(err)
		}
		p.resolve = func(_ context.Context, host string) ([]net.IP, error) {
			if ips, ok := fake[host]; ok {
				return ips, nil
			}
			return nil, errors.New("no such host")
		}
		return p
	}
	cases := []struct {
		list, endpoint string
		ok             bool
	}{
		{"", "bucket.example:443", true},
		{"", "cloud.example", true},
		{"", "151.101.2.7:9000", true},
		{"", "127.0.0.1:9000", false},
		{"", "[::1]:9000", false},
		{"", "10.0.0.1", false},
		{"", "172.16.5.5:9000", false},
		{"", "192.168.0.10", false},
		{"", "100.64.0.1", false},
		{"", "169.254.169.254", false},
		{"", "0.0.0.0:9000", false},
		{"", "[fe80::1]:9000", false},
		{"", "intranet.local:9000", false},
		{"", "minio.internal:9000", false},
		{"", "metadata.google", false},
		{"", "rebind.example", false},
		{"", "unknown.example", false},
		{"127.0.0.1", "127.0.0.1:9000", true},
		{"127.0.0.1", "bucket.example", false},
		{"minio.internal", "minio.internal:9000", true},
		{"minio.internal", "127.0.0.1:9000", false},
		{"bucket.example, s3.example", "BUCKET.example", true},
	}
	for _, c := range cases {
		_, err := policy(c.list).check(ctx, c.endpoint)
		if (err == nil) != c.ok {
			t.Errorf("list %q, endpoint %q: err = %v, want ok=%v", c.list, c.endpoint, err, c.ok)
		}
		if err != nil && c.endpoint != "unknown.example" && !errors.Is(err, vault.ErrEndpointRefused) {
			t.Errorf("endpoint %q: err = %v, want ErrEndpointRefused", c.endpoint, err)
		}
	}
	for _, bad := range []string{"http://x", "a/b", "host:9000", "user@host"} {
		if _, err := parseHostList(bad); err == nil {
			t.Errorf("parseHostList(%q) accepted", bad)
		}
	}
	if _, err := parseServeConfig([]string{"--owner-bucket-hosts", "https://evil/"}, nil, io.Discard); !errors.Is(err, errUsage) {
		t.Errorf("bad --owner-bucket-hosts: err = %v", err)
	}
	cfg, err := parseServeConfig(nil, []string{"COFFRE_OWNER_BUCKETS=true", "COFFRE_OWNER_BUCKET_HOSTS=127.0.0.1,s3.example"}, io.Discard)
	if err != nil || !cfg.OwnerBuckets || cfg.OwnerBucketHosts != "127.0.0.1,s3.example" {
		t.Fatalf("owner bucket settings from the environment: %+v, %v", cfg, err)
	}
}

// TestOwnerBucketEndpointPolicyWired: the binary's vault refuses an
// owner's bucket on 127.0.0.1 unless the operator lists it.
func TestOwnerBucketEndpointPolicyWired(t *testing.T) {
	ctx := context.Background()
	srv := testenv.MinIO(t)
	st := vault.StorageSettings{Endpoint: srv.Endpoint, Bucket: srv.NewBucket(t), AccessKey: srv.AccessKey, SecretKey: srv.SecretKey}
	for _, c := range []struct {
		hosts string
		ok    bool
	}{{"", false}, {"127.0.0.1", true}} {
		dir := t.TempDir()
		cfg, err := parseServeConfig([]string{"--data-dir", dir, "--scrypt-log-n", "15", "--owner-buckets",
			"--owner-bucket-hosts", c.hosts}, nil, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		w, err := openVault(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		id, _, err := w.Vault.CreateOwner(ctx, []byte("correct horse battery"))
		if err != nil {
			t.Fatal(err)
		}
		p, err := w.Vault.Unlock(ctx, id, []byte("correct horse battery"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = w.Vault.SetOwnerStorage(ctx, p, st)
		if c.ok && err != nil || !c.ok && !errors.Is(err, vault.ErrEndpointRefused) {
			t.Errorf("hosts %q: SetOwnerStorage err = %v, want ok=%v", c.hosts, err, c.ok)
		}
		_ = w.Close()
	}
}

// TestAdminStorage: the operator points an organisation at its bucket,
// watches the move, and moves back; keys come from files or environment
// variables only; malformed, oversized and hostile input is refused with
// nothing saved.
func TestAdminStorage(t *testing.T) {
	ctx := context.Background()
	srv := testenv.MinIO(t)
	dir := filepath.Join(t.TempDir(), "data")
	code, out, errs := admin(t, dir, "", "create-org", "CCAS de Roubaix")
	if code != 0 {
		t.Fatalf("create-org = %d: %s", code, errs)
	}
	org := regexp.MustCompile(`organisation: (\S+)`).FindStringSubmatch(out)[1]

	// An owner who entrusted the organisation, with two documents.
	cfg, err := parseServeConfig([]string{"--data-dir", dir, "--scrypt-log-n", "15"}, nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	w, err := openVault(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	id, _, err := w.Vault.CreateOwner(ctx, []byte("correct horse battery"))
	if err != nil {
		t.Fatal(err)
	}
	owner, err := w.Vault.Unlock(ctx, id, []byte("correct horse battery"))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Vault.SetAssistedRecovery(ctx, owner, org); err != nil {
		t.Fatal(err)
	}
	contents := map[string][]byte{}
	for i := 0; i < 2; i++ {
		c := bytes.Repeat([]byte{byte('a' + i)}, 50_000+i)
		d, err := w.Vault.AddDocument(ctx, id, vault.NewDocument{Category: "income", Title: "paie"}, bytes.NewReader(c))
		if err != nil {
			t.Fatal(err)
		}
		contents[d.ID] = c
	}
	_ = w.Close()

	keys := t.TempDir()
	akFile, skFile := filepath.Join(keys, "ak"), filepath.Join(keys, "sk")
	if err := os.WriteFile(akFile, []byte(srv.AccessKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(skFile, []byte(srv.SecretKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bucket := srv.NewBucket(t)
	base := []string{"storage", "set", "--org", org, "--endpoint", srv.Endpoint, "--bucket", bucket}
	long := strings.Repeat("x", 5000)
	refused := []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"no verb", []string{"storage"}, nil, "want set, show, clear or move"},
		{"unknown verb", []string{"storage", "drop"}, nil, "unknown storage verb"},
		{"key on the command line", append(append([]string{}, base...), "--access-key-file", akFile, "--secret-key-file", skFile, srv.SecretKey), nil, "never given on the command line"},
		{"unknown flag", append(append([]string{}, base...), "--secret-key", srv.SecretKey), nil, "flag provided but not defined"},
		{"no keys", base, nil, "--access-key-file or --access-key-env is required"},
		{"file and env", append(append([]string{}, base...), "--access-key-file", akFile, "--access-key-env", "AK", "--secret-key-file", skFile), nil, "not both"},
		{"env unset", append(append([]string{}, base...), "--access-key-env", "AK", "--secret-key-file", skFile), nil, `variable "AK" is not set`},
		{"missing file", append(append([]string{}, base...), "--access-key-file", "/nonexistent", "--secret-key-file", skFile), nil, "--access-key-file"},
		{"no org", []string{"storage", "set", "--endpoint", srv.Endpoint, "--bucket", bucket}, nil, "are required"},
		{"bad endpoint", []string{"storage", "set", "--org", org, "--endpoint", "http://" + srv.Endpoint + "/x", "--bucket", bucket, "--access-key-file", akFile, "--secret-key-file", skFile}, nil, "--endpoint is not valid"},
		{"oversized bucket", []string{"storage", "set", "--org", org, "--endpoint", srv.Endpoint, "--bucket", long, "--access-key-file", akFile, "--secret-key-file", skFile}, nil, "--bucket is not valid"},
		{"hostile prefix", append(append([]string{}, base...), "--prefix", "../../etc", "--access-key-file", akFile, "--secret-key-file", skFile), nil, "--prefix is not valid"},
		{"unknown org", []string{"storage", "set", "--org", "nosuchorg", "--endpoint", srv.Endpoint, "--bucket", bucket, "--access-key-file", akFile, "--secret-key-file", skFile}, nil, "no such organisation"},
		{"oversized org", []string{"storage", "show", "--org", long}, nil, "not an organisation id"},
		{"show without org", []string{"storage", "show"}, nil, "--org is required"},
		{"extra argument", []string{"storage", "clear", "--org", org, "now"}, nil, "unexpected argument"},
		{"wrong secret", append(append([]string{}, base...), "--access-key-env", "AK", "--secret-key-env", "SK"), []string{"AK=" + srv.AccessKey, "SK=wrong-secret-key-123"}, "failed the probe"},
	}
	for _, c := range refused {
		code, _, errs := adminEnv(t, dir, c.env, c.args...)
		if code == 0 || !strings.Contains(errs, c.want) {
			t.Errorf("%s: exit %d, stderr %q; want failure with %q", c.name, code, errs, c.want)
		}
		if strings.Contains(errs, "wrong-secret-key-123") || strings.Contains(errs, srv.SecretKey) {
			t.Errorf("%s: stderr shows a key", c.name)
		}
	}
	if code, out, _ := admin(t, dir, "", "storage", "show", "--org", org); code != 0 || !strings.Contains(out, "bucket: none") {
		t.Fatalf("something was saved: %s", out)
	}

	// Keys from the environment.
	start := time.Now()
	code, out, errs = adminEnv(t, dir, []string{"AK=" + srv.AccessKey, "SK=" + srv.SecretKey},
		append(append([]string{}, base...), "--prefix", "coffre", "--access-key-env", "AK", "--secret-key-env", "SK")...)
	if code != 0 || !strings.Contains(out, "probe passed") {
		t.Fatalf("storage set = %d\n%s%s", code, out, errs)
	}
	if code, out, _ = admin(t, dir, "", "storage", "show", "--org", org); code != 0 || !strings.Contains(out, "bucket: "+bucket) ||
		!strings.Contains(out, "documents in place: 0 of 2") || strings.Contains(out, srv.SecretKey) {
		t.Fatalf("storage show:\n%s", out)
	}
	if code, out, errs = admin(t, dir, "", "storage", "move", "--org", org); code != 0 || !strings.Contains(out, "moved: 2") ||
		!strings.Contains(out, "documents in place: 2 of 2") || !strings.Contains(out, "done") {
		t.Fatalf("storage move = %d\n%s%s", code, out, errs)
	}
	t.Logf("set + move of 2 documents to the organisation's bucket: %v", time.Since(start))
	if n := countFiles(t, filepath.Join(dir, "blobs", "doc")); n != 0 {
		t.Fatalf("%d payloads left in the local store", n)
	}
	if code, out, errs = admin(t, dir, "", "storage", "clear", "--org", org); code != 0 {
		t.Fatalf("storage clear = %d\n%s%s", code, out, errs)
	}
	if code, out, errs = admin(t, dir, "", "storage", "move"); code != 0 || !strings.Contains(out, "moved: 2") {
		t.Fatalf("storage move (all) = %d\n%s%s", code, out, errs)
	}
	if n := countFiles(t, filepath.Join(dir, "blobs", "doc")); n != 2 {
		t.Fatalf("%d payloads back in the local store, want 2", n)
	}
	// Both documents read back byte-identical.
	w, err = openVault(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	owner, err = w.Vault.Unlock(ctx, id, []byte("correct horse battery"))
	if err != nil {
		t.Fatal(err)
	}
	for docID, want := range contents {
		rc, _, err := w.Vault.OpenDocument(ctx, owner, docID)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		_ = rc.Close()
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("document %s after the round trip: %v", docID, err)
		}
	}
}

// adminEnv is admin with an environment (the variables --*-key-env name).
func adminEnv(t *testing.T, dir string, environ []string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	all := append([]string{"--data-dir", dir, "--scrypt-log-n", "15"}, args...)
	code := runAdmin(context.Background(), all, environ, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if !fi.IsDir() {
			n++
		}
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return n
}

// TestMaintenanceMovesDocuments: the maintenance sweep moves documents to
// an organisation's new bucket and logs counts only (never the bucket).
func TestMaintenanceMovesDocuments(t *testing.T) {
	ctx := context.Background()
	srv := testenv.MinIO(t)
	cfg, err := parseServeConfig([]string{"--data-dir", t.TempDir(), "--scrypt-log-n", "15"}, nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	w, err := openVault(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	v := w.Vault
	org, _, err := v.CreateOrganisation(ctx, "France Services")
	if err != nil {
		t.Fatal(err)
	}
	id, _, err := v.CreateOwner(ctx, []byte("correct horse battery"))
	if err != nil {
		t.Fatal(err)
	}
	owner, err := v.Unlock(ctx, id, []byte("correct horse battery"))
	if err != nil {
		t.Fatal(err)
	}
	if err := v.SetAssistedRecovery(ctx, owner, org.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := v.AddDocument(ctx, id, vault.NewDocument{Category: "income"}, strings.NewReader("payslip bytes")); err != nil {
		t.Fatal(err)
	}
	bucket := srv.NewBucket(t)
	if _, err := v.SetOrganisationStorage(ctx, org.ID, vault.StorageSettings{Endpoint: srv.Endpoint, Bucket: bucket,
		AccessKey: srv.AccessKey, SecretKey: srv.SecretKey}); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	sweepStorage(ctx, v, newLogger(cfg, &logs))
	info, err := v.OrganisationStorage(ctx, org.ID)
	if err != nil || !info.Progress.Done || info.Progress.Placed != 1 {
		t.Fatalf("after the sweep: %+v, %v", info.Progress, err)
	}
	if !strings.Contains(logs.String(), "moved=1") || strings.Contains(logs.String(), bucket) || strings.Contains(logs.String(), srv.Endpoint) {
		t.Fatalf("log:\n%s", logs.String())
	}
}
