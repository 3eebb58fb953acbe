package converter

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error Convert returns wraps one of them (test with
// errors.Is); errors about one input are an *InputError, errors about the
// size of the result a *TooLargeError. Error strings never contain input
// names or document content, so they are safe to log.
var (
	// ErrNoInput: Convert was called without inputs.
	ErrNoInput = errors.New("converter: no input")
	// ErrUnknownProfile: no profile has the requested id.
	ErrUnknownProfile = errors.New("converter: unknown profile")
	// ErrUnsupported: the bytes are not a JPEG, PNG, WebP, HEIC/HEIF, TIFF or
	// PDF file (decided from the content, never from the name).
	ErrUnsupported = errors.New("converter: unsupported file type")
	// ErrUnsupportedVariant: a JPEG, PNG or TIFF in a variant its decoder
	// does not read (12-bit or arithmetic-coded, lossless or hierarchical
	// JPEG, unusual sampling, a TIFF compression): a photo all the same,
	// so the person is told to take it again, not that it is no photo. It
	// wraps ErrUnsupported.
	ErrUnsupportedVariant = fmt.Errorf("%w: variant the decoder cannot read", ErrUnsupported)
	// ErrInputTooLarge: an input file, or all inputs together, exceed the
	// converter's byte limits.
	ErrInputTooLarge = errors.New("converter: input file too large")
	// ErrImageTooLarge: an image's dimensions exceed the pixel budget.
	ErrImageTooLarge = errors.New("converter: image dimensions too large")
	// ErrMalformedImage: the image data is damaged or truncated.
	ErrMalformedImage = errors.New("converter: damaged image")
	// ErrEncryptedPDF: the PDF needs a password to open.
	ErrEncryptedPDF = errors.New("converter: PDF is password-protected")
	// ErrMalformedPDF: the PDF cannot be read or validated.
	ErrMalformedPDF = errors.New("converter: damaged PDF")
	// ErrActivePDF: the PDF carries JavaScript, embedded files, launch
	// actions or rich media, which Coffre refuses.
	ErrActivePDF = errors.New("converter: PDF contains active content")
	// ErrTooLarge: the result cannot meet the profile's byte or page limit
	// while staying legible. The error is a *TooLargeError.
	ErrTooLarge = errors.New("converter: result too large for the profile")
)

// InputError reports a problem with one input. Error() names the input by
// position only; Name is there for the person's own screen.
type InputError struct {
	Index int    // 0-based position in the inputs
	Name  string // the input's name as given (never included in Error())
	Err   error  // wraps one of the sentinel errors
}

func (e *InputError) Error() string {
	return fmt.Sprintf("%v (input %d)", e.Err, e.Index+1)
}

func (e *InputError) Unwrap() error { return e.Err }

func inputError(i int, name string, err error) error {
	return &InputError{Index: i, Name: name, Err: err}
}

// TooLargeError says which page keeps the result over the profile's limit,
// or that there are too many pages.
type TooLargeError struct {
	// Page is the 1-based output page that could not be made small enough;
	// 0 when the page count is the problem.
	Page int
	// Input is the 0-based input that page comes from (-1 when Page is 0).
	Input int
	// Pages is the number of pages of the document.
	Pages int
	// MaxPages is the profile's page limit when it is exceeded, else 0.
	MaxPages int
	// Bytes is the smallest size reached; Limit the profile's cap.
	Bytes, Limit int64
	// Profile is the profile's id.
	Profile string
	// FromPDF reports that the page comes from an input PDF (whose text and
	// drawings cannot be compressed further) rather than a photo.
	FromPDF bool
}

func (e *TooLargeError) Error() string {
	if e.MaxPages > 0 {
		return fmt.Sprintf("%v: %d pages, profile %q allows %d", ErrTooLarge, e.Pages, e.Profile, e.MaxPages)
	}
	return fmt.Sprintf("%v: page %d of %d keeps the document at %d bytes, profile %q allows %d",
		ErrTooLarge, e.Page, e.Pages, e.Bytes, e.Profile, e.Limit)
}

func (e *TooLargeError) Unwrap() error { return ErrTooLarge }

// Code is the stable code of a converter error, for the edge to say it in
// the person's language (package api, from the catalogue "convert.<code>"):
// no_input, unknown_profile, unsupported_variant, unsupported, input_too_large,
// image_too_large, malformed_image, encrypted_pdf, malformed_pdf,
// active_pdf, too_many_pages (a *TooLargeError over the page limit),
// too_large, bad_corners; "" for an error that is not the converter's. The converter
// returns codes and numbers, never sentences.
func Code(err error) string {
	var tl *TooLargeError
	if errors.As(err, &tl) && tl.MaxPages > 0 {
		return "too_many_pages"
	}
	for _, c := range codes {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return ""
}

// ErrorCodes lists every code Code returns, in its order of precedence,
// but too_many_pages (a *TooLargeError over the page limit).
func ErrorCodes() []string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = c.code
	}
	return out
}

var codes = []struct {
	err  error
	code string
}{
	{ErrNoInput, "no_input"}, {ErrUnknownProfile, "unknown_profile"},
	{ErrUnsupportedVariant, "unsupported_variant"}, {ErrUnsupported, "unsupported"},
	{ErrInputTooLarge, "input_too_large"}, {ErrImageTooLarge, "image_too_large"},
	{ErrMalformedImage, "malformed_image"}, {ErrEncryptedPDF, "encrypted_pdf"},
	{ErrMalformedPDF, "malformed_pdf"}, {ErrActivePDF, "active_pdf"}, {ErrTooLarge, "too_large"},
	{ErrBadCorners, "bad_corners"},
}
