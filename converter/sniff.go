package converter

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// Format is an input file type, decided from its first bytes only.
type Format string

// Supported input formats.
const (
	FormatJPEG Format = "jpeg"
	FormatPNG  Format = "png"
	FormatWebP Format = "webp"
	FormatHEIC Format = "heic" // HEIC/HEIF (HEVC-coded)
	FormatTIFF Format = "tiff"
	FormatPDF  Format = "pdf"
)

// Sniff decides the type of data from its magic bytes, never from a name or
// a declared type. Anything but the supported formats returns an error
// wrapping ErrUnsupported that names what was detected ("GIF image", "ZIP
// archive (or Office document)", "text", "empty file", ...). A file is judged
// by its start: a JPEG with a PDF or ZIP appended is a JPEG, and a file that
// only contains "%PDF-" further in is not a PDF.
func Sniff(data []byte) (Format, error) {
	switch {
	case len(data) == 0:
		return "", unsupported("empty file")
	case bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}):
		return FormatJPEG, nil
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return FormatPNG, nil
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return FormatWebP, nil
	case bytes.HasPrefix(data, []byte("II*\x00")), bytes.HasPrefix(data, []byte("MM\x00*")):
		return FormatTIFF, nil
	case bytes.HasPrefix(data, []byte("%PDF-")):
		return FormatPDF, nil
	}
	if len(data) >= 12 && string(data[4:8]) == "ftyp" {
		return sniffISOBMFF(data)
	}
	return "", unsupported(describeUnknown(data))
}

func unsupported(what string) error {
	return fmt.Errorf("%w: detected %s", ErrUnsupported, what)
}

// heicBrands are the ISO BMFF brands of HEVC-coded HEIF images.
var heicBrands = map[string]bool{"heic": true, "heix": true, "heim": true, "heis": true, "hevc": true, "hevx": true}

// sniffISOBMFF tells HEIC/HEIF images from AVIF images and videos.
func sniffISOBMFF(data []byte) (Format, error) {
	size := int(uint32(data[0])<<24 | uint32(data[1])<<16 | uint32(data[2])<<8 | uint32(data[3]))
	if size < 16 || size > len(data) || size > 4096 {
		size = min(len(data), 64)
	}
	major := string(data[8:12])
	var brands []string
	brands = append(brands, major)
	for off := 16; off+4 <= size; off += 4 {
		brands = append(brands, string(data[off:off+4]))
	}
	hevc, avif, mif := false, false, false
	for _, b := range brands {
		switch {
		case heicBrands[b]:
			hevc = true
		case b == "avif" || b == "avis":
			avif = true
		case b == "mif1" || b == "msf1":
			mif = true
		}
	}
	switch {
	case heicBrands[major], hevc && !avif:
		return FormatHEIC, nil
	case avif:
		return "", unsupported("AVIF image")
	case mif:
		return "", unsupported("HEIF image with an unsupported codec")
	case major == "qt  " || major == "isom" || major == "mp41" || major == "mp42" || major == "3gp4" || major == "3gp5":
		return "", unsupported("video")
	case major == "jxl ":
		return "", unsupported("JPEG XL image")
	case major == "crx ":
		return "", unsupported("camera raw image")
	}
	return "", unsupported("ISO media file")
}

// magics maps leading bytes of common refused files to a description.
var magics = []struct {
	prefix string
	what   string
}{
	{"GIF87a", "GIF image"}, {"GIF89a", "GIF image"},
	{"BM", "BMP image"},
	{"PK\x03\x04", "ZIP archive (or Office document)"}, {"PK\x05\x06", "ZIP archive"},
	{"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", "Office 97 document"},
	{"Rar!\x1a\x07", "RAR archive"},
	{"7z\xBC\xAF\x27\x1C", "7-Zip archive"},
	{"\x1F\x8B", "gzip archive"},
	{"BZh", "bzip2 archive"},
	{"\xFD7zXZ\x00", "xz archive"},
	{"\x00\x00\x00\x0CjP  \r\n\x87\n", "JPEG 2000 image"},
	{"\xFF\x4F\xFF\x51", "JPEG 2000 image"},
	{"\xFF\x0A", "JPEG XL image"},
	{"\x00\x00\x00\x0CJXL \r\n\x87\n", "JPEG XL image"},
	{"II+\x00", "BigTIFF image"}, {"MM\x00+", "BigTIFF image"},
	{"8BPS", "Photoshop document"},
	{"%!PS", "PostScript document"},
	{"{\\rtf", "RTF document"},
	{"\x7FELF", "executable"}, {"MZ", "Windows executable"},
	{"\x00\x00\x01\x00", "icon"},
	{"OggS", "audio/video"}, {"ID3", "audio"}, {"fLaC", "audio"},
	{"\x1A\x45\xDF\xA3", "video"},
	{"RIFF", "RIFF media file"},
	{"AT&TFORM", "DjVu document"},
	{"\xEF\xBB\xBF", "text"},
}

// describeUnknown names what refused data looks like.
func describeUnknown(data []byte) string {
	for _, m := range magics {
		if bytes.HasPrefix(data, []byte(m.prefix)) {
			return m.what
		}
	}
	head := data[:min(len(data), 512)]
	if i := bytes.Index(head, []byte("%PDF-")); i > 0 {
		return "data before a PDF header (not accepted)"
	}
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	if bytes.HasPrefix(trimmed, []byte("<")) {
		lower := bytes.ToLower(trimmed[:min(len(trimmed), 256)])
		switch {
		case bytes.Contains(lower, []byte("<svg")):
			return "SVG image"
		case bytes.Contains(lower, []byte("<html")), bytes.Contains(lower, []byte("<!doctype html")):
			return "HTML page"
		}
		return "XML or HTML text"
	}
	if looksLikeText(head) {
		return "text"
	}
	return "unknown binary data"
}

// looksLikeText reports whether b is UTF-8 without control characters other
// than tab and line breaks (a cut multi-byte rune at the end is allowed).
func looksLikeText(b []byte) bool {
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 {
			return len(b) < utf8.UTFMax && !utf8.FullRune(b)
		}
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' && r != '\f' {
			return false
		}
		b = b[n:]
	}
	return true
}
