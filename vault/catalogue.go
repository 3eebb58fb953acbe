package vault

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
)

// Category is a document category (identity, income, …).
type Category struct {
	ID string
	// Label by language ("fr", "en").
	Label map[string]string
}

// DocType is a common document type of the catalogue (carte-identite,
// bulletin-paie, …).
type DocType struct {
	ID string
	// Category is the id of the type's category.
	Category string
	// Label by language ("fr", "en"), in lower case as it reads mid-sentence
	// ("avis d'impôt").
	Label map[string]string
	// NoticeDays is how long before a paper's expiry the owner should be
	// told to renew it; 0 when such papers do not expire.
	NoticeDays int
	// RenewalURL is the official page to renew or fetch it again, if any.
	RenewalURL string
}

//go:embed catalogue.json
var catalogueJSON []byte

type catalogueData struct {
	Categories []struct {
		ID    string            `json:"id"`
		Label map[string]string `json:"label"`
	} `json:"categories"`
	Types []struct {
		ID         string            `json:"id"`
		Category   string            `json:"category"`
		Label      map[string]string `json:"label"`
		NoticeDays int               `json:"notice_days"`
		RenewalURL string            `json:"renewal_url"`
	} `json:"types"`
}

var catalogue = sync.OnceValues(loadCatalogue)

// loadCatalogue parses and checks the embedded catalogue.
func loadCatalogue() ([]Category, []DocType) {
	var d catalogueData
	if err := json.Unmarshal(catalogueJSON, &d); err != nil {
		panic(fmt.Sprintf("vault: embedded catalogue: %v", err))
	}
	cats := make([]Category, 0, len(d.Categories))
	seen := map[string]bool{}
	for _, c := range d.Categories {
		if !validCode(c.ID, maxCategoryLen, false) || seen[c.ID] || c.Label["fr"] == "" || c.Label["en"] == "" {
			panic(fmt.Sprintf("vault: embedded catalogue: bad category %q", c.ID))
		}
		seen[c.ID] = true
		cats = append(cats, Category{ID: c.ID, Label: c.Label})
	}
	types := make([]DocType, 0, len(d.Types))
	seenT := map[string]bool{}
	for _, t := range d.Types {
		if !validCode(t.ID, maxDocTypeLen, false) || seenT[t.ID] || !seen[t.Category] || t.Label["fr"] == "" || t.Label["en"] == "" || t.NoticeDays < 0 {
			panic(fmt.Sprintf("vault: embedded catalogue: bad type %q", t.ID))
		}
		seenT[t.ID] = true
		types = append(types, DocType{ID: t.ID, Category: t.Category, Label: t.Label, NoticeDays: t.NoticeDays, RenewalURL: t.RenewalURL})
	}
	return cats, types
}

// maxDocTypeLen bounds a document type id.
const maxDocTypeLen = 40

// Categories returns the document categories, in display order.
func Categories() []Category {
	cats, _ := catalogue()
	out := make([]Category, len(cats))
	for i, c := range cats {
		out[i] = Category{ID: c.ID, Label: cloneLabels(c.Label)}
	}
	return out
}

// DocTypes returns the catalogue's document types, grouped by category in
// display order.
func DocTypes() []DocType {
	_, types := catalogue()
	out := make([]DocType, len(types))
	for i, t := range types {
		out[i] = t
		out[i].Label = cloneLabels(t.Label)
	}
	return out
}

// DocTypeByID returns a document type of the catalogue.
func DocTypeByID(id string) (DocType, bool) {
	_, types := catalogue()
	i := slices.IndexFunc(types, func(t DocType) bool { return t.ID == id })
	if i < 0 {
		return DocType{}, false
	}
	t := types[i]
	t.Label = cloneLabels(t.Label)
	return t, true
}

// CategoryByID returns a category of the catalogue.
func CategoryByID(id string) (Category, bool) {
	cats, _ := catalogue()
	i := slices.IndexFunc(cats, func(c Category) bool { return c.ID == id })
	if i < 0 {
		return Category{}, false
	}
	return Category{ID: cats[i].ID, Label: cloneLabels(cats[i].Label)}, true
}

func cloneLabels(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
