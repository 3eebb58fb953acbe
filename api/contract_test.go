package api_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/coffre/coffre/api"
)

// TestOpenAPIDocumentsEveryRoute: openapi.yaml (served at
// /api/v1/openapi.yaml) is valid YAML, OpenAPI 3.1, and documents every
// route of the JSON API with its method; it documents no route that does
// not exist.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	e := newEnv(t, envOptions{})
	body := want(t, e.client().get(t, "/api/v1/openapi.yaml"), 200, "openapi.yaml").body
	var doc struct {
		OpenAPI string                    `yaml:"openapi"`
		Paths   map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(body, &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi = %q", doc.OpenAPI)
	}
	documented := map[string]bool{}
	param := regexp.MustCompile(`\{([a-z]+)\}`)
	for p, ops := range doc.Paths {
		for m, op := range ops {
			if m == "parameters" {
				continue
			}
			documented[strings.ToUpper(m)+" /api/v1"+param.ReplaceAllString(p, ":$1")] = true
			if o, _ := op.(map[string]any); o["responses"] == nil {
				t.Errorf("%s %s has no responses", m, p)
			}
		}
	}
	routes := map[string]bool{}
	for _, r := range e.apiRoutes() {
		if strings.HasPrefix(r, "GET /healthz") || strings.HasPrefix(r, "GET /readyz") {
			continue
		}
		routes[r] = true
		if !documented[r] {
			t.Errorf("route %s is not in openapi.yaml", r)
		}
	}
	if len(routes) < 35 {
		t.Fatalf("only %d routes found", len(routes))
	}
	for r := range documented {
		if !routes[r] {
			t.Errorf("openapi.yaml documents %s, which does not exist", r)
		}
	}
}

// TestSessionCookie: HttpOnly, SameSite=Lax, Path=/; on https also Secure
// and named __Host-coffre. Unknown routes and methods answer JSON errors.
func TestSessionCookie(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	const ident, secret = "biscuit.cookie", "grenouille tapis horloge prune"
	r := want(t, e.client().do(t, "POST", "/api/v1/signup", map[string]string{"identifier": ident, "secret": secret}), 201, "signup")
	ck := r.header.Get("Set-Cookie")
	for _, attr := range []string{"coffre=", "Path=/", "HttpOnly", "SameSite=Lax", "Max-Age="} {
		if !strings.Contains(ck, attr) {
			t.Errorf("Set-Cookie %q lacks %s", ck, attr)
		}
	}
	if strings.Contains(ck, "Secure") || strings.Contains(ck, "Domain") {
		t.Errorf("Set-Cookie on http: %q", ck)
	}

	h, err := api.New(api.Config{Vault: e.v, BaseURL: "https://coffre.example"})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("POST", "https://coffre.example/api/v1/login", strings.NewReader(`{"identifier":"`+ident+`","secret":"`+secret+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "https://coffre.example")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("https login: %d %s", rec.Code, rec.Body)
	}
	ck = rec.Header().Get("Set-Cookie")
	for _, attr := range []string{"__Host-coffre=", "Path=/", "HttpOnly", "SameSite=Lax", "Secure"} {
		if !strings.Contains(ck, attr) {
			t.Errorf("https Set-Cookie %q lacks %s", ck, attr)
		}
	}
	// TLS ends at a proxy in front of an https base URL: HSTS all the same.
	if got := rec.Header().Get("Strict-Transport-Security"); !strings.Contains(got, "max-age=63072000") {
		t.Errorf("https base URL: HSTS = %q", got)
	}
	// A cookie from the http name is not read on https, and vice versa.
	req = httptest.NewRequest("GET", "https://coffre.example/api/v1/session", nil)
	req.AddCookie(&http.Cookie{Name: "coffre", Value: strings.TrimPrefix(strings.Split(ck, ";")[0], "__Host-coffre=")})
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 401 {
		t.Errorf("session under the http cookie name on https: %d", rec.Code)
	}

	cl := e.client()
	checkErr(t, cl.get(t, "/api/v1/nothing-here"), 404, "not_found", "unknown route")
	checkErr(t, cl.send(t, request{method: "PUT", path: "/api/v1/catalogue"}), 405, "method_not_allowed", "wrong method")
	if got := cl.get(t, "/api/v1/catalogue").header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q", got)
	}
}
