package main

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testPhoto writes a small synthetic photo of a page and returns its path.
func testPhoto(t *testing.T, dir, name string) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 300, 400))
	for y := 0; y < 400; y++ {
		for x := 0; x < 300; x++ {
			c := color.RGBA{90, 60, 40, 255}
			if x > 30 && x < 270 && y > 30 && y < 370 {
				c = color.RGBA{235, 235, 230, 255}
				if y%20 < 4 && x > 50 && x < 250 {
					c = color.RGBA{20, 20, 20, 255}
				}
			}
			img.SetRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRunConvert(t *testing.T) {
	dir := t.TempDir()
	photo := testPhoto(t, dir, "page.jpg")
	text := filepath.Join(dir, "notes.jpg")
	if err := os.WriteFile(text, []byte("just some text\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.pdf")
	for _, tc := range []struct {
		name       string
		args       []string
		code       int
		stdout     []string // substrings expected on stdout
		stderr     []string // substrings expected on stderr
		wantOutput bool
	}{
		{"one photo", []string{"-o", out, photo}, 0, []string{"1 page(s)", "KB", "profile generic"}, nil, true},
		{"two photos with progress", []string{"--mode", "gray", "-o", out, photo, photo}, 0,
			[]string{"[1/2]", "[2/2]", "page 2, gray", "2 page(s)"}, nil, true},
		{"profile and kind", []string{"--profile", "dossierfacile", "--kind", "tax", "-o", out, photo}, 0, []string{"profile dossierfacile"}, nil, true},
		{"no output flag", []string{photo}, 2, nil, []string{"need -o"}, false},
		{"no inputs", []string{"-o", out}, 2, nil, []string{"need -o"}, false},
		{"bad mode", []string{"--mode", "sepia", "-o", out, photo}, 2, nil, []string{"unknown mode"}, false},
		{"bad profile", []string{"--profile", "nope", "-o", out, photo}, 2, nil, []string{"unknown profile"}, false},
		{"bad flag", []string{"--nope"}, 2, nil, nil, false},
		{"text named .jpg", []string{"-o", out, text}, 3, nil, []string{"unsupported file type: detected text", "notes.jpg"}, false},
		{"too many pages", []string{"--profile", "dossierfacile", "--kind", "id", "-o", out, photo, photo, photo, photo, photo, photo}, 4,
			nil, []string{"6 pages", "split"}, false},
		{"french explanation", []string{"--lang", "fr", "-o", out, text}, 3, nil, []string{"n'est ni une photo ni un PDF"}, false},
		{"missing file", []string{"-o", out, filepath.Join(dir, "absent.jpg")}, 1, nil, []string{"absent.jpg"}, false},
		{"list profiles", []string{"--list-profiles"}, 0, []string{"generic", "dossierfacile", "unverified", "source:"}, nil, false},
		{"help", []string{"-h"}, 0, nil, []string{"Exit codes", "-profile"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.Remove(out)
			var stdout, stderr bytes.Buffer
			code := runConvert(context.Background(), tc.args, &stdout, &stderr)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, &stdout, &stderr)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(stdout.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, &stdout)
				}
			}
			for _, s := range tc.stderr {
				if !strings.Contains(stderr.String(), s) {
					t.Errorf("stderr lacks %q:\n%s", s, &stderr)
				}
			}
			data, err := os.ReadFile(out)
			if tc.wantOutput {
				if err != nil || !bytes.HasPrefix(data, []byte("%PDF-")) {
					t.Fatalf("no PDF written: %v", err)
				}
				if st, _ := os.Stat(out); st.Mode().Perm() != 0o600 {
					t.Errorf("output mode %v", st.Mode().Perm())
				}
			} else if err == nil {
				t.Errorf("output written on failure")
			}
		})
	}
}

func TestRunConvertStdout(t *testing.T) {
	photo := testPhoto(t, t.TempDir(), "p.jpg")
	var stdout, stderr bytes.Buffer
	if code := runConvert(context.Background(), []string{"-o", "-", photo}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, &stderr)
	}
	if !bytes.HasPrefix(stdout.Bytes(), []byte("%PDF-")) || !strings.Contains(stderr.String(), "1 page(s)") {
		t.Fatalf("stdout %q…, stderr %q", stdout.Bytes()[:min(10, stdout.Len())], &stderr)
	}
}
