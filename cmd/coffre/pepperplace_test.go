package main

import (
	"context"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestServeWarnsPepperInsideDataDir: `coffre serve` with PostgreSQL or S3
// configured (several instances) and the pepper left at its default,
// <data-dir>/pepper.key, warns the operator at start; with the pepper
// elsewhere, or in the embedded single-directory setup, it does not.
func TestServeWarnsPepperInsideDataDir(t *testing.T) {
	const warning = "the server pepper lies inside the data directory"
	// A PostgreSQL URL nobody listens on: serve warns, then fails to connect.
	unreachablePG := "postgres://coffre@127.0.0.1:1/coffre?sslmode=disable&connect_timeout=2"
	start := func(args ...string) string {
		t.Helper()
		var errOut strings.Builder
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		code := runServe(ctx, append([]string{"--addr", "127.0.0.1:0"}, args...), nil, io.Discard, &errOut)
		if code == 0 {
			t.Fatalf("serve %v started against an unreachable database", args)
		}
		return errOut.String()
	}
	dir := filepath.Join(t.TempDir(), "data")
	if log := start("--data-dir", dir, "--database-url", unreachablePG); !strings.Contains(log, warning) {
		t.Errorf("pepper in %s with PostgreSQL: no warning in\n%s", dir, log)
	}
	inside := filepath.Join(dir, "secrets", "pepper.key")
	if log := start("--data-dir", dir, "--pepper-file", inside, "--database-url", unreachablePG); !strings.Contains(log, warning) {
		t.Errorf("pepper in a subdirectory of the data: no warning in\n%s", log)
	}
	apart := filepath.Join(t.TempDir(), "pepper.key")
	if log := start("--data-dir", dir, "--pepper-file", apart, "--database-url", unreachablePG); strings.Contains(log, warning) {
		t.Errorf("pepper apart from the data: warned anyway:\n%s", log)
	}
	// Same directory prefix, another directory: not inside.
	if log := start("--data-dir", dir, "--pepper-file", dir+"-pepper/pepper.key", "--database-url", unreachablePG); strings.Contains(log, warning) {
		t.Errorf("pepper in %s-pepper: warned anyway:\n%s", dir, log)
	}
	// The embedded default keeps everything in one directory on purpose.
	for _, c := range []struct {
		cfg  serveConfig
		want bool
	}{
		{serveConfig{DataDir: "/data", PepperFile: "/data/pepper.key", DatabaseURL: "sqlite:/data/coffre.db"}, false},
		{serveConfig{DataDir: "/data", PepperFile: "/data/pepper.key", DatabaseURL: "sqlite:/data/coffre.db", S3Endpoint: "minio:9000"}, true},
		{serveConfig{DataDir: "/data", PepperFile: "/data/pepper.key", DatabaseURL: "postgresql://x/y"}, true},
		{serveConfig{DataDir: "/data", PepperFile: "/pepper/pepper.key", DatabaseURL: "postgresql://x/y"}, false},
		{serveConfig{DataDir: "/data/", PepperFile: "/data/../pepper.key", DatabaseURL: "postgresql://x/y"}, false},
	} {
		if got := pepperInsideDataDir(&c.cfg); got != c.want {
			t.Errorf("%+v: pepperInsideDataDir = %v", c.cfg, got)
		}
	}
}

// TestContainerPepperApartFromData: the image, the compose file and the
// Kubernetes manifests put the pepper outside the data directory, so one
// backup of the data never holds both.
func TestContainerPepperApartFromData(t *testing.T) {
	// Dockerfile: the ENV line.
	env := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^ENV (.*)$`).FindAllStringSubmatch(string(deployFile(t, "Dockerfile")), -1) {
		for _, kv := range strings.Fields(m[1]) {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
	}
	cfg := checkServeEnv(t, "Dockerfile", env)
	cfg.S3Endpoint = "minio:9000" // as in every several-instance deployment
	if pepperInsideDataDir(cfg) || env["COFFRE_PEPPER_FILE"] == "" {
		t.Errorf("Dockerfile: pepper %s inside the data directory %s", cfg.PepperFile, cfg.DataDir)
	}
	if df := string(deployFile(t, "Dockerfile")); !strings.Contains(df, `"`+filepath.Dir(cfg.PepperFile)+`"`) {
		t.Errorf("Dockerfile: the pepper's directory %s is no volume of its own", filepath.Dir(cfg.PepperFile))
	}
	// Compose: every instance.
	raw := regexp.MustCompile(`\$\{[A-Z_]+:\?[^}]*\}`).ReplaceAll(deployFile(t, "deploy", "compose.yaml"), []byte("x"))
	services := dig(t, yamlDocs(t, raw)[0], "services").(map[string]any)
	for _, name := range []string{"coffre-a", "coffre-b"} {
		env := map[string]string{}
		for k, v := range dig(t, services, name, "environment").(map[string]any) {
			env[k] = str(v)
		}
		if cfg := checkServeEnv(t, name, env); pepperInsideDataDir(cfg) {
			t.Errorf("compose %s: pepper %s inside the data directory %s", name, cfg.PepperFile, cfg.DataDir)
		}
	}
	// Kubernetes: the ConfigMap.
	cm := yamlDocs(t, deployFile(t, "deploy", "kubernetes", "configmap.yaml"))[0]
	kenv := map[string]string{}
	for k, v := range dig(t, cm, "data").(map[string]any) {
		kenv[k] = str(v)
	}
	kenv["COFFRE_DATABASE_URL"] = "postgres://x/y" // from the Secret
	kenv["COFFRE_S3_ACCESS_KEY"] = "x"             // from the Secret
	if cfg := checkServeEnv(t, "configmap", kenv); pepperInsideDataDir(cfg) {
		t.Errorf("Kubernetes: pepper %s inside the data directory %s", cfg.PepperFile, cfg.DataDir)
	}
}
