package integration

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
)

// seen collects the secrets and personal values the tests' clients send to
// or receive from the instances (session cookies, CSRF tokens, drop-link
// tokens, identifiers, secrets, e-mail addresses, names, titles, labels,
// purposes), so that scanLogs can look for each of them in what the real
// `coffre serve` processes wrote to stderr at debug level.
var seen = &secretSet{values: map[string]bool{}}

type secretSet struct {
	mu     sync.Mutex
	values map[string]bool
}

// minSecret keeps short common words out of the scan.
const minSecret = 8

func (s *secretSet) add(v string) {
	if len(v) < minSecret {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.values[v] = true
}

// personalKeys are the request fields whose values are secret or personal.
var personalKeys = map[string]bool{
	"identifier": true, "secret": true, "new_secret": true, "code": true, "email": true,
	"label": true, "title": true, "purpose": true, "name": true, "display_name": true, "phone": true,
}

func (s *secretSet) addJSON(b []byte) {
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return
	}
	for k, v := range m {
		if str, ok := v.(string); ok && personalKeys[k] {
			s.add(str)
		}
	}
}

func (s *secretSet) snapshot() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.values))
	for v := range s.values {
		out = append(out, v)
	}
	return out
}

// scanLogs fails t if any instance's stderr holds a collected value; it
// also checks that the instances did log (a silent server proves nothing).
func scanLogs(t *testing.T, ins ...*instance) {
	t.Helper()
	values := seen.snapshot()
	if len(values) < 10 {
		t.Fatalf("only %d values collected: the scan would prove nothing", len(values))
	}
	total := 0
	for _, in := range ins {
		log := in.Stderr.String()
		total += len(log)
		if !strings.Contains(log, "msg=request") && !strings.Contains(log, `"msg":"request"`) {
			t.Errorf("%s logged no request line: logging off?", in.Name)
		}
		for _, v := range values {
			if strings.Contains(log, v) {
				t.Errorf("%s's log holds a secret or personal value (%d bytes, starts %q)", in.Name, len(v), v[:4])
			}
		}
	}
	t.Logf("log scan: %d values sent or received, none in %d bytes of the instances' logs", len(values), total)
}
