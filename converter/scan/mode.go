package scan

import (
	"errors"
	"fmt"
	"strings"
)

// Mode is how the page is rendered.
type Mode int

const (
	// ModeAuto renders text pages in clean grey and photos or ID cards in colour.
	ModeAuto Mode = iota
	// ModeColor keeps colour (lighting flattened, paper made white).
	ModeColor
	// ModeGray renders clean grey: paper white, ink dark, anti-aliased.
	ModeGray
	// ModeBW renders 1-bit black and white (an *image.Gray holding only 0 and 255).
	ModeBW
)

// ErrMode is returned by ParseMode for an unknown mode name.
var ErrMode = errors.New("scan: unknown mode")

var modeNames = [...]string{ModeAuto: "auto", ModeColor: "color", ModeGray: "gray", ModeBW: "bw"}

// String returns the mode's name as ParseMode accepts it.
func (m Mode) String() string {
	if m >= 0 && int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// ParseMode parses "auto", "color" (or "colour"), "gray" (or "grey") and "bw"
// (or "mono"), case-insensitively. The empty string is ModeAuto.
func ParseMode(s string) (Mode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return ModeAuto, nil
	case "color", "colour":
		return ModeColor, nil
	case "gray", "grey":
		return ModeGray, nil
	case "bw", "mono", "1bit":
		return ModeBW, nil
	}
	return ModeAuto, fmt.Errorf("%w %q (want auto, color, gray or bw)", ErrMode, s)
}
