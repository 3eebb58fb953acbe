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

// Message returns a plain-language explanation for the person converting,
// in French for lang "fr" and English otherwise.
func (e *InputError) Message(lang string) string {
	return inputMessage(e.Err, e.Index, e.Name, lang == "fr")
}

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

// Message returns a plain-language explanation with what the person can do,
// in French for lang "fr" and English otherwise.
func (e *TooLargeError) Message(lang string) string {
	fr := lang == "fr"
	if e.MaxPages > 0 {
		if fr {
			return fmt.Sprintf("Ce document a %d pages, mais ce site n'en accepte que %d par fichier. "+
				"Envoyez moins de pages, ou partagez le document en plusieurs fichiers.", e.Pages, e.MaxPages)
		}
		return fmt.Sprintf("This document has %d pages but the site accepts only %d per file. "+
			"Send fewer pages, or split the document into several files.", e.Pages, e.MaxPages)
	}
	if fr {
		retry := fmt.Sprintf("ou reprenez la photo de la page %d de plus près, sur un fond uni.", e.Page)
		if e.FromPDF {
			retry = fmt.Sprintf("ou photographiez la page %d au lieu d'envoyer le PDF.", e.Page)
		}
		return fmt.Sprintf("Impossible de faire tenir le document dans la limite de %s du site sans le rendre illisible ; "+
			"la page %d est la plus lourde. Envoyez moins de pages, partagez le document en plusieurs fichiers, %s",
			humanBytes(e.Limit, true), e.Page, retry)
	}
	retry := fmt.Sprintf("or retake page %d closer up on a plain background.", e.Page)
	if e.FromPDF {
		retry = fmt.Sprintf("or photograph page %d instead of sending the PDF.", e.Page)
	}
	return fmt.Sprintf("The document cannot fit the site's %s limit and stay legible; page %d is the heaviest. "+
		"Send fewer pages, split the document into several files, %s", humanBytes(e.Limit, false), e.Page, retry)
}

// Message returns a plain-language explanation of err for the person
// converting, in French for lang "fr" and English otherwise. It knows the
// converter's errors and falls back to a generic sentence.
func Message(err error, lang string) string {
	var tl *TooLargeError
	if errors.As(err, &tl) {
		return tl.Message(lang)
	}
	var ie *InputError
	if errors.As(err, &ie) {
		return ie.Message(lang)
	}
	return inputMessage(err, -1, "", lang == "fr")
}

func inputMessage(err error, index int, name string, fr bool) string {
	which := "This file"
	if fr {
		which = "Ce fichier"
	}
	if index >= 0 {
		label := name
		if label == "" {
			label = fmt.Sprint(index + 1)
		}
		if fr {
			which = fmt.Sprintf("Le fichier « %s »", label)
		} else {
			which = fmt.Sprintf("The file %q", label)
		}
	}
	type pair struct{ en, fr string }
	var m pair
	switch {
	case errors.Is(err, ErrEncryptedPDF):
		m = pair{"is a password-protected PDF. Open it, print it to a new PDF without a password, and send that.",
			"est un PDF protégé par un mot de passe. Ouvrez-le, imprimez-le dans un nouveau PDF sans mot de passe, et envoyez celui-ci."}
	case errors.Is(err, ErrActivePDF):
		m = pair{"is a PDF with scripts or attached files, which are refused for safety. Print it to a new PDF, or photograph the pages.",
			"est un PDF qui contient des scripts ou des fichiers joints, refusés par sécurité. Imprimez-le dans un nouveau PDF, ou photographiez les pages."}
	case errors.Is(err, ErrMalformedPDF):
		m = pair{"is a damaged PDF. Download it again, or photograph the pages.",
			"est un PDF abîmé. Téléchargez-le à nouveau, ou photographiez les pages."}
	case errors.Is(err, ErrMalformedImage):
		m = pair{"is a damaged or incomplete image. Take the photo again.",
			"est une image abîmée ou incomplète. Reprenez la photo."}
	case errors.Is(err, ErrImageTooLarge):
		m = pair{"is an image with too many pixels. Take the photo again at the camera's normal setting.",
			"est une image trop grande en pixels. Reprenez la photo avec le réglage normal de l'appareil."}
	case errors.Is(err, ErrInputTooLarge):
		m = pair{"is too big to be converted. Send the pages as separate photos.",
			"est trop volumineux pour être converti. Envoyez les pages en photos séparées."}
	case errors.Is(err, ErrUnsupported):
		m = pair{"is not a photo or a PDF. Send a photo (JPEG, PNG, HEIC, WebP), a scan (TIFF) or a PDF.",
			"n'est ni une photo ni un PDF. Envoyez une photo (JPEG, PNG, HEIC, WebP), un scan (TIFF) ou un PDF."}
	case errors.Is(err, ErrNoInput):
		return map[bool]string{false: "No file was sent.", true: "Aucun fichier n'a été envoyé."}[fr]
	default:
		return map[bool]string{false: "The conversion failed. Try again, or send the pages as separate photos.",
			true: "La conversion a échoué. Réessayez, ou envoyez les pages en photos séparées."}[fr]
	}
	if fr {
		return which + " " + m.fr
	}
	return which + " " + m.en
}

// humanBytes formats a byte count as portals state limits (decimal units).
func humanBytes(n int64, fr bool) string {
	unit := map[bool][2]string{false: {"KB", "MB"}, true: {"Ko", "Mo"}}[fr]
	if n >= 1_000_000 {
		s := fmt.Sprintf("%.1f", float64(n)/1e6)
		if len(s) > 2 && s[len(s)-2:] == ".0" {
			s = s[:len(s)-2]
		}
		if fr {
			for i := range s {
				if s[i] == '.' {
					s = s[:i] + "," + s[i+1:]
				}
			}
		}
		return s + " " + unit[1]
	}
	return fmt.Sprintf("%d %s", (n+999)/1000, unit[0])
}
