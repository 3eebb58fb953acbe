package api_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/coffre/coffre/api"
	"github.com/coffre/coffre/converter"
)

// TestExplainUnsupportedVariant (attacker's review): an arithmetic-coded
// or 12-bit JPEG is a photo Coffre cannot read, not "no photo": the person
// is told to take it again with the camera button, in her language.
func TestExplainUnsupportedVariant(t *testing.T) {
	for _, name := range []string{"arith_sof9.jpg", "prec12_sof1.jpg"} {
		data, err := os.ReadFile("../converter/testdata/hostile/" + name)
		if err != nil {
			t.Fatal(err)
		}
		var c converter.Converter
		_, err = c.Convert(context.Background(), []converter.Input{{Name: name, Data: data}}, converter.Options{}, &bytes.Buffer{})
		if !errors.Is(err, converter.ErrUnsupportedVariant) || !errors.Is(err, converter.ErrUnsupported) {
			t.Fatalf("%s: %v, want ErrUnsupportedVariant (an ErrUnsupported)", name, err)
		}
		for lang, want := range map[string]string{
			"fr":        "format que Coffre ne sait pas lire",
			"en":        "format Coffre cannot read",
			"fr-x-falc": "Coffre ne sait pas lire",
			"ar":        "لا يستطيع Coffre قراءتها",
		} {
			got := api.ExplainConversion(err, lang)
			if !strings.Contains(got, want) || strings.Contains(got, "ni une photo") || strings.Contains(got, "not a photo") {
				t.Errorf("%s in %s: %q, want it to say %q", name, lang, got, want)
			}
		}
	}
}
