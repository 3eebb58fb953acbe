package keyboard

import "testing"

func TestASCII(t *testing.T) {
	for in, want := range map[string]string{
		"۰۷۹۹ ۱۲ ۳۴ ۵۶": "0799 12 34 56",
		"٠٦١٢٣٤٥٦٧٨":    "0612345678",
		"０６ １２ ３４":      "06 12 34",
		"ＡＢＣＤ－ｅｆ９８":     "ABCD-ef98",
		"d۸gh":          "d8gh",
		"मरियम ०१२":     "मरियम 012",
		"Awa 06 12":     "Awa 06 12",
		"مریم":          "مریم",
		"":              "",
		"\u3000٠":       " 0",
	} {
		if got := String(in); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzString(f *testing.F) {
	f.Add("۰۷۹۹")
	f.Add("ＡＢＣ")
	f.Fuzz(func(t *testing.T, s string) {
		out := String(s)
		if String(out) != out {
			t.Fatalf("String is not idempotent on %q", s)
		}
	})
}
