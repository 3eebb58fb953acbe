package metrics

import (
	"strings"
	"testing"
	"time"
)

func TestConverterWaitExposition(t *testing.T) {
	r := New()
	r.ConverterWait(0)
	r.ConverterWait(2 * time.Second)
	var b strings.Builder
	if _, err := r.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, line := range []string{
		"# TYPE coffre_converter_wait_seconds histogram",
		`coffre_converter_wait_seconds_bucket{le="0.001"} 1`,
		`coffre_converter_wait_seconds_bucket{le="1"} 1`,
		`coffre_converter_wait_seconds_bucket{le="5"} 2`,
		`coffre_converter_wait_seconds_bucket{le="+Inf"} 2`,
		"coffre_converter_wait_seconds_sum 2",
		"coffre_converter_wait_seconds_count 2",
	} {
		if !strings.Contains(out, line+"\n") {
			t.Errorf("missing %q in:\n%s", line, out)
		}
	}
}
