package main

import (
	"bytes"
	"debug/elf"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/coffre/coffre/internal/testenv"
)

// The deployment files must agree with the binary: every COFFRE_* variable
// they set is one `coffre serve` knows, the resulting configuration passes
// its validation, and probes, ports, volumes and secret references line up.

func deployFile(t *testing.T, parts ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{testenv.RepoRoot()}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// yamlDocs decodes every document of a multi-document YAML file.
func yamlDocs(t *testing.T, b []byte) []map[string]any {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var docs []map[string]any
	for {
		var d map[string]any
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("YAML: %v", err)
		}
		if d != nil {
			docs = append(docs, d)
		}
	}
}

// dig walks nested maps and lists: keys are map keys, ints list indexes.
func dig(t *testing.T, v any, path ...any) any {
	t.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("at %v: not a map", path)
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				t.Fatalf("at %v: not a list of %d", path, k+1)
			}
			v = l[k]
		}
	}
	return v
}

func str(v any) string { s, _ := v.(string); return s }

// knownEnv is the set of COFFRE_* variables `coffre serve` accepts.
func knownEnv() map[string]bool {
	m := map[string]bool{}
	for _, s := range serveSettings(&serveConfig{}) {
		m[s.env] = true
	}
	return m
}

// checkServeEnv validates a COFFRE_* environment as `coffre serve` would.
func checkServeEnv(t *testing.T, where string, env map[string]string) *serveConfig {
	t.Helper()
	known := knownEnv()
	var environ []string
	for k, v := range env {
		if strings.HasPrefix(k, "COFFRE_") && !known[k] {
			t.Errorf("%s: %s is not a variable of coffre serve", where, k)
		}
		environ = append(environ, k+"="+v)
	}
	cfg, err := parseServeConfig(nil, environ, io.Discard)
	if err != nil {
		t.Fatalf("%s: coffre serve would refuse this configuration: %v", where, err)
	}
	return cfg
}

func port(t *testing.T, addr string) string {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestComposeAgreesWithBinary(t *testing.T) {
	raw := deployFile(t, "deploy", "compose.yaml")
	// Interpolate ${VAR:?msg} as compose would, with a test value.
	raw = regexp.MustCompile(`\$\{[A-Z_]+:\?[^}]*\}`).ReplaceAll(raw, []byte("test-password"))
	docs := yamlDocs(t, raw)
	if len(docs) != 1 {
		t.Fatalf("%d YAML documents", len(docs))
	}
	c := docs[0]
	services, _ := c["services"].(map[string]any)
	for _, name := range []string{"coffre-a", "coffre-b", "proxy", "minio", "postgres", "pepper-init"} {
		if services[name] == nil {
			t.Fatalf("service %s missing", name)
		}
	}
	topSecrets, _ := c["secrets"].(map[string]any)
	topVolumes, _ := c["volumes"].(map[string]any)
	caddy := string(deployFile(t, "deploy", "Caddyfile"))
	for _, name := range []string{"coffre-a", "coffre-b"} {
		svc := services[name].(map[string]any)
		env := map[string]string{}
		for k, v := range svc["environment"].(map[string]any) {
			env[k] = str(v)
		}
		cfg := checkServeEnv(t, name, env)
		if !strings.HasPrefix(cfg.DatabaseURL, "postgres://") || cfg.S3Endpoint == "" {
			t.Errorf("%s: two instances need PostgreSQL and S3, got %q and %q", name, cfg.DatabaseURL, cfg.S3Endpoint)
		}
		if !strings.Contains(caddy, name+":"+port(t, cfg.Addr)) {
			t.Errorf("Caddyfile does not proxy to %s:%s", name, port(t, cfg.Addr))
		}
		if svc["read_only"] != true {
			t.Errorf("%s: root filesystem not read-only", name)
		}
		if hc := dig(t, svc, "healthcheck", "test"); !strings.Contains(strings.Join(toStrings(hc), " "), "/coffre healthcheck") {
			t.Errorf("%s: healthcheck %v", name, hc)
		}
		for _, s := range svc["secrets"].([]any) {
			if _, ok := topSecrets[str(s)]; !ok {
				t.Errorf("%s: secret %v not declared", name, s)
			}
			if p := "/run/secrets/" + str(s); p != cfg.S3SecretKeyFile {
				t.Errorf("%s: secret mounted at %s, COFFRE_S3_SECRET_KEY_FILE is %s", name, p, cfg.S3SecretKeyFile)
			}
		}
		pepperMounted := false
		for _, v := range svc["volumes"].([]any) {
			if s, ok := v.(string); ok {
				vol, target, _ := strings.Cut(s, ":")
				if _, ok := topVolumes[vol]; !ok && !strings.HasPrefix(vol, ".") {
					t.Errorf("%s: volume %s not declared", name, vol)
				}
				target, _, _ = strings.Cut(target, ":")
				if strings.HasPrefix(cfg.PepperFile, target+"/") {
					pepperMounted = true
				}
			}
		}
		if !pepperMounted {
			t.Errorf("%s: COFFRE_PEPPER_FILE %s is on no volume", name, cfg.PepperFile)
		}
		init := toStrings(dig(t, services, "pepper-init", "command"))
		if strings.Join(init, " ") != "init-pepper --pepper-file "+cfg.PepperFile {
			t.Errorf("pepper-init command %v does not create %s", init, cfg.PepperFile)
		}
	}
	for name, s := range services {
		img := str(s.(map[string]any)["image"])
		if img == "" || strings.HasSuffix(img, ":latest") || !strings.Contains(img, ":") {
			t.Errorf("service %s: image %q is not pinned", name, img)
		}
	}
}

func toStrings(v any) []string {
	l, _ := v.([]any)
	out := make([]string, len(l))
	for i, x := range l {
		out[i] = str(x)
	}
	return out
}

func TestKubernetesAgreesWithBinary(t *testing.T) {
	byKind := map[string]map[string]any{}
	kust := yamlDocs(t, deployFile(t, "deploy", "kubernetes", "kustomization.yaml"))[0]
	files := append(toStrings(kust["resources"]), "secret.example.yaml")
	for _, f := range files {
		for _, d := range yamlDocs(t, deployFile(t, "deploy", "kubernetes", f)) {
			byKind[str(d["kind"])] = d
		}
	}
	for _, k := range []string{"Deployment", "Service", "PodDisruptionBudget", "ConfigMap", "Secret"} {
		if byKind[k] == nil {
			t.Fatalf("no %s in deploy/kubernetes", k)
		}
	}
	dep, cm, secret := byKind["Deployment"], byKind["ConfigMap"], byKind["Secret"]
	if r, _ := dig(t, dep, "spec", "replicas").(int); r < 2 {
		t.Errorf("replicas = %v, want ≥ 2", r)
	}
	secretKeys, _ := secret["stringData"].(map[string]any)
	pod := dig(t, dep, "spec", "template", "spec").(map[string]any)
	ctr := dig(t, pod, "containers", 0).(map[string]any)

	env := map[string]string{}
	for k, v := range cm["data"].(map[string]any) {
		env[k] = str(v)
	}
	for _, e := range ctr["env"].([]any) {
		e := e.(map[string]any)
		name := str(e["name"])
		if ref, ok := dig(t, e, "valueFrom").(map[string]any); ok {
			key := str(dig(t, ref, "secretKeyRef", "key"))
			if secretKeys[key] == nil {
				t.Errorf("env %s: secret key %q not in the secret", name, key)
			}
			env[name] = "postgres://u:p@db:5432/coffre"
			if name != "COFFRE_DATABASE_URL" {
				env[name] = "from-secret"
			}
			continue
		}
		env[name] = str(e["value"])
	}
	// Unless the pod opts out, Kubernetes injects docker-link variables for
	// every Service of the namespace: for the Service "coffre" they are
	// COFFRE_PORT, COFFRE_SERVICE_HOST… which serve refuses as unknown
	// settings, so new pods would never start.
	if pod["enableServiceLinks"] != false {
		for _, d := range yamlDocs(t, deployFile(t, "deploy", "kubernetes", "service.yaml")) {
			svc := strings.ToUpper(strings.ReplaceAll(str(dig(t, d, "metadata", "name")), "-", "_"))
			p := strconv.Itoa(dig(t, d, "spec", "ports", 0, "port").(int))
			for _, k := range []string{"_SERVICE_HOST", "_SERVICE_PORT", "_PORT", "_PORT_" + p + "_TCP", "_PORT_" + p + "_TCP_PORT"} {
				env[svc+k] = "10.0.0.1"
			}
		}
	}
	cfg := checkServeEnv(t, "Deployment", env)

	// Ports and probes.
	cport, _ := dig(t, ctr, "ports", 0, "containerPort").(int)
	if p := port(t, cfg.Addr); p != strconv.Itoa(cport) {
		t.Errorf("containerPort %d, COFFRE_ADDR port %s", cport, p)
	}
	portName := str(dig(t, ctr, "ports", 0, "name"))
	for probe, path := range map[string]string{"livenessProbe": "/healthz", "readinessProbe": "/readyz", "startupProbe": "/healthz"} {
		if got := str(dig(t, ctr, probe, "httpGet", "path")); got != path {
			t.Errorf("%s path %q, want %q", probe, got, path)
		}
		if got := str(dig(t, ctr, probe, "httpGet", "port")); got != portName {
			t.Errorf("%s port %q, want %q", probe, got, portName)
		}
	}
	if got := str(dig(t, byKind["Service"], "spec", "ports", 0, "targetPort")); got != portName {
		t.Errorf("Service targetPort %q, want %q", got, portName)
	}
	// Security and limits.
	if dig(t, ctr, "securityContext", "readOnlyRootFilesystem") != true || dig(t, pod, "securityContext", "runAsNonRoot") != true {
		t.Error("want a read-only root filesystem and a non-root user")
	}
	if dig(t, ctr, "resources", "limits", "memory") == nil {
		t.Error("no memory limit")
	}
	// Files: the pepper and the S3 key come from the secret volume, the data
	// dir is a writable volume (the root filesystem is read-only).
	mounts := map[string]string{}
	for _, m := range ctr["volumeMounts"].([]any) {
		m := m.(map[string]any)
		mounts[str(m["name"])] = str(m["mountPath"])
	}
	items := map[string]string{}
	var secretVolume string
	for _, v := range pod["volumes"].([]any) {
		v := v.(map[string]any)
		if s, ok := v["secret"].(map[string]any); ok {
			secretVolume = str(v["name"])
			for _, it := range s["items"].([]any) {
				it := it.(map[string]any)
				if secretKeys[str(it["key"])] == nil {
					t.Errorf("secret volume item %q not in the secret", it["key"])
				}
				items[mounts[secretVolume]+"/"+str(it["path"])] = str(it["key"])
			}
		}
	}
	for what, path := range map[string]string{"COFFRE_PEPPER_FILE": cfg.PepperFile, "COFFRE_S3_SECRET_KEY_FILE": cfg.S3SecretKeyFile} {
		if items[path] == "" {
			t.Errorf("%s %s is not a file of the secret volume %s", what, path, secretVolume)
		}
	}
	dataMounted := false
	for _, p := range mounts {
		if p == cfg.DataDir {
			dataMounted = true
		}
	}
	if !dataMounted {
		t.Errorf("COFFRE_DATA_DIR %s is not a mounted volume", cfg.DataDir)
	}
	// The disruption budget and the service select the deployment's pods.
	labels := dig(t, dep, "spec", "template", "metadata", "labels").(map[string]any)
	for _, sel := range []any{dig(t, byKind["PodDisruptionBudget"], "spec", "selector", "matchLabels"), dig(t, byKind["Service"], "spec", "selector")} {
		for k, v := range sel.(map[string]any) {
			if labels[k] != v {
				t.Errorf("selector %s=%v does not match the pod labels", k, v)
			}
		}
	}
}

func TestDockerfileAgreesWithBinary(t *testing.T) {
	df := string(deployFile(t, "Dockerfile"))
	for _, want := range []string{
		`CGO_ENABLED=0`, `-tags nodynamic`, `HEALTHCHECK`, `CMD ["/coffre", "healthcheck"]`, `USER 65532:65532`, `EXPOSE 8080`,
		`COFFRE_ADDR=0.0.0.0:8080`,
	} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
}

// The image copies one static binary into a distroless base: a build with
// CGO_ENABLED=0 and -tags nodynamic, as the Dockerfile does it, must have no
// dynamic loader and no shared libraries (without nodynamic the HEIC
// decoder's purego support asks for one).
func TestStaticBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	out := filepath.Join(t.TempDir(), "coffre")
	cmd := exec.Command("go", "build", "-tags", "nodynamic", "-ldflags", "-s -w", "-o", out, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatal("the binary asks for a dynamic loader: not static")
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Fatalf("the binary needs shared libraries %v (err %v)", libs, err)
	}
	st, _ := os.Stat(out)
	t.Logf("static binary: %d bytes", st.Size())
	if b, err := exec.Command(out, "version").CombinedOutput(); err != nil || !strings.HasPrefix(string(b), "coffre ") {
		t.Fatalf("the static binary does not run: %v %s", err, b)
	}
}
