package converter

import (
	"embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Profiles: the rules of each administration's portal, from the embedded
// data file profiles/profiles.json.

//go:embed profiles/profiles.json
var profilesFS embed.FS

// GenericProfileID is the profile used when none is named: the strictest
// known rules (PDF, 2 MB, A4 at 150 DPI).
const GenericProfileID = "generic"

// ColorPolicy says how a portal wants colours.
type ColorPolicy string

const (
	// ColorAny: text pages in grey or black and white, photos in colour.
	ColorAny ColorPolicy = "any"
	// ColorRequired: keep colour on every page, even when the size cap is
	// tight (the fit-to-size steps never drop to grey).
	ColorRequired ColorPolicy = "color"
)

// Profile is one portal's rules, with the effective values the converter
// applies. An unverified size or page limit only applies when it is
// stricter than the generic profile's; other unverified values apply as
// recorded. Facts lists every recorded value with its source.
type Profile struct {
	ID   string
	Name string
	// Formats the portal accepts for upload ("pdf", "jpeg", "png").
	Formats []string
	// MaxBytes is the cap per file, in bytes.
	MaxBytes int64
	// MaxPages is the page limit per file (0: none).
	MaxPages int
	// MaxPagesByKind refines MaxPages per document kind (Options.Kind),
	// e.g. "id": 5, "tax": 10.
	MaxPagesByKind map[string]int
	// Color is the colour policy.
	Color ColorPolicy
	// DPI is the output resolution of photographed pages.
	DPI int
	// CardOnA4 places ID-card-sized pages at their real size on an A4 page;
	// false makes the page the card's size.
	CardOnA4 bool
	// Facts are the recorded values, in file order.
	Facts []Fact
}

// Fact is one recorded rule of a profile.
type Fact struct {
	Field    string // "max_bytes", "max_pages", "max_pages_by_kind", "formats", "color", "dpi", "card_on_a4"
	Value    string // the recorded value, as JSON
	Source   string // URL or text
	Verified bool   // checked against the portal
	Applied  bool   // false when an unverified limit was replaced by the generic one
}

// MaxPagesFor returns the page limit for a document kind ("" for none).
func (p Profile) MaxPagesFor(kind string) int {
	if n, ok := p.MaxPagesByKind[kind]; ok && n > 0 {
		return n
	}
	return p.MaxPages
}

type factJSON struct {
	Value    json.RawMessage `json:"value"`
	Source   string          `json:"source"`
	Verified bool            `json:"verified"`
}

type profileJSON struct {
	ID     string              `json:"id"`
	Name   string              `json:"name"`
	Values map[string]factJSON `json:"values"`
}

var fieldOrder = []string{"formats", "max_bytes", "max_pages", "max_pages_by_kind", "color", "dpi", "card_on_a4"}

var loadProfiles = sync.OnceValues(func() ([]Profile, error) {
	data, err := profilesFS.ReadFile("profiles/profiles.json")
	if err != nil {
		return nil, err
	}
	return parseProfiles(data)
})

// parseProfiles reads the profiles file; the generic profile must come first
// and be fully verified.
func parseProfiles(data []byte) ([]Profile, error) {
	var file struct {
		Profiles []profileJSON `json:"profiles"`
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	if err := dec.Decode(&file); err != nil {
		return nil, fmt.Errorf("converter: profiles: %w", err)
	}
	if len(file.Profiles) == 0 || file.Profiles[0].ID != GenericProfileID {
		return nil, fmt.Errorf("converter: profiles: the first profile must be %q", GenericProfileID)
	}
	var out []Profile
	var generic *Profile
	seen := map[string]bool{}
	for _, pj := range file.Profiles {
		if pj.ID == "" || seen[pj.ID] {
			return nil, fmt.Errorf("converter: profiles: missing or duplicate id %q", pj.ID)
		}
		seen[pj.ID] = true
		for k := range pj.Values {
			if !slices.Contains(fieldOrder, k) {
				return nil, fmt.Errorf("converter: profile %s: unknown field %q", pj.ID, k)
			}
		}
		p := Profile{ID: pj.ID, Name: pj.Name}
		if generic != nil {
			p = *generic
			p.ID, p.Name, p.Facts = pj.ID, pj.Name, nil
			p.Formats = slices.Clone(generic.Formats)
			p.MaxPagesByKind = nil
		}
		for _, field := range fieldOrder {
			f, ok := pj.Values[field]
			if !ok {
				if generic == nil {
					if field == "max_pages_by_kind" {
						continue
					}
					return nil, fmt.Errorf("converter: profile generic: missing %s", field)
				}
				continue
			}
			if generic == nil && !f.Verified {
				return nil, fmt.Errorf("converter: profile generic: %s must be verified", field)
			}
			applied, err := p.apply(field, f, generic)
			if err != nil {
				return nil, fmt.Errorf("converter: profile %s: %s: %w", pj.ID, field, err)
			}
			p.Facts = append(p.Facts, Fact{Field: field, Value: string(f.Value), Source: f.Source, Verified: f.Verified, Applied: applied})
		}
		if p.DPI < 72 || p.DPI > 600 || p.MaxBytes < 100_000 {
			return nil, fmt.Errorf("converter: profile %s: DPI %d or max_bytes %d out of range", p.ID, p.DPI, p.MaxBytes)
		}
		out = append(out, p)
		if generic == nil {
			generic = &out[0]
		}
	}
	return out, nil
}

// apply sets one field from a recorded fact and reports whether the fact's
// value is the one in force.
func (p *Profile) apply(field string, f factJSON, generic *Profile) (bool, error) {
	// stricter reports whether an unverified limit may apply.
	stricter := func(claimed, current int64) bool {
		return f.Verified || generic == nil || current <= 0 || (claimed > 0 && claimed <= current)
	}
	switch field {
	case "formats":
		return true, json.Unmarshal(f.Value, &p.Formats)
	case "max_bytes":
		var v int64
		if err := json.Unmarshal(f.Value, &v); err != nil {
			return false, err
		}
		if !stricter(v, p.MaxBytes) {
			return false, nil
		}
		p.MaxBytes = v
	case "max_pages":
		var v int
		if err := json.Unmarshal(f.Value, &v); err != nil {
			return false, err
		}
		if !stricter(int64(v), int64(p.MaxPages)) {
			return false, nil
		}
		p.MaxPages = v
	case "max_pages_by_kind":
		var v map[string]int
		if err := json.Unmarshal(f.Value, &v); err != nil {
			return false, err
		}
		all := true
		for kind, n := range v {
			if stricter(int64(n), int64(p.MaxPages)) {
				if p.MaxPagesByKind == nil {
					p.MaxPagesByKind = map[string]int{}
				}
				p.MaxPagesByKind[kind] = n
			} else {
				all = false
			}
		}
		return all, nil
	case "color":
		var v string
		if err := json.Unmarshal(f.Value, &v); err != nil {
			return false, err
		}
		switch ColorPolicy(v) {
		case ColorAny, ColorRequired:
			p.Color = ColorPolicy(v)
		default:
			return false, fmt.Errorf("unknown colour policy %q", v)
		}
	case "dpi":
		if err := json.Unmarshal(f.Value, &p.DPI); err != nil {
			return false, err
		}
	case "card_on_a4":
		if err := json.Unmarshal(f.Value, &p.CardOnA4); err != nil {
			return false, err
		}
	}
	return true, nil
}

// Profiles returns every profile, the generic one first.
func Profiles() []Profile {
	ps, err := loadProfiles()
	if err != nil {
		panic(err) // the embedded file is checked by the tests
	}
	out := make([]Profile, len(ps))
	for i, p := range ps {
		out[i] = p.clone()
	}
	return out
}

// LookupProfile returns the profile with the given id ("" is generic), or an
// error wrapping ErrUnknownProfile.
func LookupProfile(id string) (Profile, error) {
	if id == "" {
		id = GenericProfileID
	}
	for _, p := range Profiles() {
		if p.ID == id {
			return p, nil
		}
	}
	return Profile{}, fmt.Errorf("%w %q", ErrUnknownProfile, id)
}

func (p Profile) clone() Profile {
	p.Formats = slices.Clone(p.Formats)
	p.Facts = slices.Clone(p.Facts)
	if p.MaxPagesByKind != nil {
		m := make(map[string]int, len(p.MaxPagesByKind))
		for k, v := range p.MaxPagesByKind {
			m[k] = v
		}
		p.MaxPagesByKind = m
	}
	return p
}
