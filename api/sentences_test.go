package api

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// No sentence for people is written in Go: every word a person reads is in
// the catalogue (api/i18n), and the domain packages return codes. This
// test fails on a string literal that looks like a sentence in the
// non-test Go files of api, vault, notify and converter (and their
// sub-packages).
//
// The heuristic: a literal with at least three words (two letters or more,
// space-separated; "Sec-Fetch-Site" is one token, not a word), that starts with a capital letter, or holds a letter with an
// accent, or ends with sentence punctuation (. ! ? :), or holds a French
// apostrophe word ("n'est", "l'accès"). Not flagged, because people do not
// read them as such:
//   - the text of errors (fmt.Errorf, errors.New, Permanent, Temporary,
//     panic) and of log lines (Error, Warn, Info, Debug, Printf, Fprintf):
//     for operators and programs, never shown on a page;
//   - SQL (a literal starting with SELECT, INSERT, UPDATE, DELETE, CREATE,
//     ALTER, WITH or DROP, or holding an upper-case FROM, WHERE, AND, OR,
//     ORDER BY, JOIN, CASE WHEN, THEN, LIMIT, IS NOT NULL or COALESCE);
//   - the converter's error constructors (unsupported, FormatError…) and
//     the folders of test helpers and of the vendored decoders
//     (testdata, metatest, blobtest, webtest, internal);
//   - error texts built elsewhere ("vault: secret too weak: "): a literal
//     starting with a lower-case "package: ";
//   - struct tags, and the allowlist below, each with its reason.
var sentenceAllow = map[string]string{
	// The converter's names of file kinds it refuses ("ZIP archive (or
	// Office document)"), for error strings and logs only: people are
	// told "not a photo or a PDF" from the catalogue (convert.unsupported).
	"converter/sniff.go": "file kinds for error strings",
}

var (
	sentenceWord = regexp.MustCompile(`^\p{L}{2,}[,.;:!?]?$`)
	sqlWord      = regexp.MustCompile(`\b(?:FROM|WHERE|AND|OR|ORDER BY|JOIN|CASE WHEN|THEN|LIMIT|IS NOT NULL|COALESCE)\b`)
	accented     = regexp.MustCompile(`[àâäéèêëîïôöûüùçœÀÂÉÈÊÎÔÛÇ]`)
	frenchElided = regexp.MustCompile(`(?i)\b(?:n|l|d|qu|j|s|c)'\p{L}`)
	errPrefix    = regexp.MustCompile(`^[a-z]+: `)
	sqlStart     = regexp.MustCompile(`^\s*(?:SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|WITH|DROP)\b`)
	quietCalls   = map[string]bool{"Errorf": true, "New": true, "Permanent": true, "Temporary": true, "panic": true,
		"Error": true, "Warn": true, "Info": true, "Debug": true, "Printf": true, "Fprintf": true, "Fatalf": true,
		"unsupported": true, "FormatError": true, "UnsupportedError": true}
)

func looksLikeSentence(s string) bool {
	words := 0
	for _, w := range strings.Fields(s) {
		if sentenceWord.MatchString(w) || frenchElided.MatchString(w) {
			words++
		}
	}
	if words < 3 || sqlStart.MatchString(s) || sqlWord.MatchString(s) || errPrefix.MatchString(s) {
		return false
	}
	t := strings.TrimSpace(s)
	first := []rune(t)[0]
	return (first >= 'A' && first <= 'Z') || accented.MatchString(t) || frenchElided.MatchString(t) ||
		strings.HasSuffix(t, ".") || strings.HasSuffix(t, "!") || strings.HasSuffix(t, "?") || strings.HasSuffix(t, ":")
}

func TestNoSentencesInGo(t *testing.T) {
	if !looksLikeSentence("Ce papier est trop grand.") || !looksLikeSentence("the file is damaged, try again.") ||
		looksLikeSentence("SELECT id FROM documents WHERE owner_id = ?") || looksLikeSentence("vault: export") {
		t.Fatal("the heuristic itself is broken")
	}
	fset := token.NewFileSet()
	scanned := 0
	for _, root := range []string{".", "../vault", "../notify", "../converter"} {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				// Test helpers and data hold no words for people.
				switch d.Name() {
				case "testdata", "metatest", "webtest", "blobtest", "internal", "profiles":
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return nil
			}
			rel := strings.TrimPrefix(filepath.ToSlash(filepath.Clean(p)), "../")
			if root == "." {
				rel = "api/" + rel
			}
			if _, ok := sentenceAllow[rel]; ok {
				return nil
			}
			af, err := parser.ParseFile(fset, p, nil, 0)
			if err != nil {
				return err
			}
			scanned++
			quiet := map[*ast.BasicLit]bool{}
			ast.Inspect(af, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				name := ""
				switch fn := call.Fun.(type) {
				case *ast.Ident:
					name = fn.Name
				case *ast.SelectorExpr:
					name = fn.Sel.Name
				}
				if quietCalls[name] {
					for _, a := range call.Args {
						ast.Inspect(a, func(m ast.Node) bool {
							if lit, ok := m.(*ast.BasicLit); ok {
								quiet[lit] = true
							}
							return true
						})
					}
				}
				return true
			})
			ast.Inspect(af, func(n ast.Node) bool {
				if f, ok := n.(*ast.Field); ok && f.Tag != nil {
					quiet[f.Tag] = true
				}
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING || quiet[lit] {
					return true
				}
				s, err := strconv.Unquote(lit.Value)
				if err == nil && looksLikeSentence(s) {
					t.Errorf("%s: a sentence in Go, not in the catalogue: %q", fset.Position(lit.Pos()), s)
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if scanned < 100 {
		t.Fatalf("scanned only %d files: the walk is broken", scanned)
	}
}

// No word for people is written in a template either: text between tags
// and the attributes people read (alt, title, placeholder, aria-label)
// come from the catalogue. "Coffre", the service's name, is allowed.
func TestNoWordsInTemplates(t *testing.T) {
	action := regexp.MustCompile(`(?s)\{\{.*?\}\}`)
	tag := regexp.MustCompile(`(?s)<[^>]*>`)
	readAttr := regexp.MustCompile(`\b(?:alt|title|placeholder|aria-label)="([^"]*)"`)
	letters := regexp.MustCompile(`\p{L}{2,}`)
	n := 0
	err := fs.WalkDir(templatesFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(templatesFS, p)
		if err != nil {
			return err
		}
		n++
		src := action.ReplaceAllString(string(b), "")
		for _, m := range readAttr.FindAllStringSubmatch(src, -1) {
			if w := letters.FindString(m[1]); w != "" {
				t.Errorf("%s: attribute %q holds words not from the catalogue", p, m[0])
			}
		}
		text := tag.ReplaceAllString(src, " ")
		text = strings.ReplaceAll(text, "Coffre", "")
		text = regexp.MustCompile(`&[a-z]+;|&#[0-9]+;`).ReplaceAllString(text, "")
		if w := letters.FindAllString(text, -1); len(w) > 0 {
			t.Errorf("%s: words outside the catalogue: %q", p, w)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 20 {
		t.Fatalf("only %d templates", n)
	}
}
