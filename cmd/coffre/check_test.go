package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coffre/coffre/internal/photogen"
)

// writePhotogen draws a 3 MP photo of the first sample paper under o and
// writes it as JPEG.
func writePhotogen(t *testing.T, dir, name string, o photogen.Options) string {
	t.Helper()
	o.Width, o.Height = 1500, 2000
	data, err := photogen.Photo(photogen.Documents()[0], o)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// bombPNG is a valid PNG header claiming 100000×100000 pixels.
func bombPNG() []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], 100000)
	binary.BigEndian.PutUint32(ihdr[4:], 100000)
	ihdr[8], ihdr[9] = 8, 2
	chunk := append([]byte("IHDR"), ihdr...)
	_ = binary.Write(&b, binary.BigEndian, uint32(13))
	b.Write(chunk)
	_ = binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

func TestRunCheck(t *testing.T) {
	dir := t.TempDir()
	clean := writePhotogen(t, dir, "clean.jpg", photogen.Options{Seed: 3, Angle: 2})
	blurred := writePhotogen(t, dir, "blurred.jpg", photogen.Options{Seed: 4, Blur: 4})

	t.Run("json", func(t *testing.T) {
		var out, errb bytes.Buffer
		code := run(context.Background(), []string{"check", "--json", clean, blurred}, nil, &out, &errb)
		if code != 0 {
			t.Fatalf("exit %d, stderr %s", code, errb.String())
		}
		var rep struct {
			Pages []struct {
				File     string `json:"file"`
				Page     int    `json:"page"`
				Verdict  string `json:"verdict"`
				Findings []struct {
					Code  string  `json:"code"`
					Score float64 `json:"score"`
				} `json:"findings"`
			} `json:"pages"`
		}
		raw := out.String()
		dec := json.NewDecoder(strings.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rep); err != nil {
			t.Fatalf("%v in %s", err, out.String())
		}
		if len(rep.Pages) != 2 {
			t.Fatalf("pages %+v", rep.Pages)
		}
		if p := rep.Pages[0]; p.File != clean || p.Page != 1 || p.Verdict != "ok" || p.Findings == nil || len(p.Findings) != 0 {
			t.Errorf("clean photo: %+v", p)
		}
		p := rep.Pages[1]
		if p.File != blurred || p.Verdict != "retake" || len(p.Findings) == 0 || p.Findings[0].Code != "blurry" || p.Findings[0].Score < 0.5 || p.Findings[0].Score > 1 {
			t.Errorf("blurred photo: %+v", p)
		}
		if !strings.Contains(raw, `"findings":[]`) {
			t.Errorf("no finding is not an empty list: %s", raw)
		}
	})

	t.Run("text", func(t *testing.T) {
		var out, errb bytes.Buffer
		code := run(context.Background(), []string{"check", clean, blurred}, nil, &out, &errb)
		if code != 0 {
			t.Fatalf("exit %d, stderr %s", code, errb.String())
		}
		for _, want := range []string{clean + " page 1: ok\n", blurred + " page 1: retake (blurry "} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("stdout %q lacks %q", out.String(), want)
			}
		}
	})

	t.Run("convert warns", func(t *testing.T) {
		var out, errb bytes.Buffer
		code := run(context.Background(), []string{"convert", "-o", filepath.Join(dir, "out.pdf"), clean, blurred}, nil, &out, &errb)
		if code != 0 {
			t.Fatalf("exit %d, stderr %s", code, errb.String())
		}
		if !strings.Contains(errb.String(), "warning: "+blurred+" page 2: retake (blurry ") || strings.Contains(errb.String(), clean) {
			t.Errorf("stderr %q", errb.String())
		}
	})

	text := filepath.Join(dir, "notes.jpg")
	bomb := filepath.Join(dir, "bomb.png")
	if err := os.WriteFile(text, []byte("just some text\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bomb, bombPNG(), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr []string
	}{
		{"missing file", []string{"check", filepath.Join(dir, "nope.jpg")}, exitFailure, []string{"nope.jpg", "no such file"}},
		{"not an image", []string{"check", "--lang", "en", text}, exitBadInput, []string{"notes.jpg", "text"}},
		{"hostile image", []string{"check", "--lang", "en", bomb}, exitBadInput, []string{"bomb.png", "pixels"}},
		{"unknown profile", []string{"check", "--profile", "nope", clean}, exitUsage, []string{"nope"}},
		{"no file", []string{"check"}, exitUsage, []string{"need at least one file"}},
		{"bad one among good", []string{"check", clean, text}, exitBadInput, []string{"notes.jpg"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), tc.args, nil, &out, &errb)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr %s", code, tc.code, errb.String())
			}
			for _, want := range tc.stderr {
				if !strings.Contains(strings.ToLower(errb.String()), strings.ToLower(want)) {
					t.Errorf("stderr %q lacks %q", errb.String(), want)
				}
			}
			if tc.name == "bad one among good" && !strings.Contains(out.String(), clean+" page 1: ok") {
				t.Errorf("the good file's verdict is lost: %q", out.String())
			}
		})
	}
}
