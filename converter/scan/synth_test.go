package scan

import (
	"image"
	"testing"

	"github.com/coffre/coffre/internal/photogen"
)

// Synthetic phone photos for the scanner's own tests, drawn by
// internal/photogen (the suite's photo generator): a page raster with real
// text (Go Regular), placed by a homography onto a textured brown
// background, with optional lighting gradient and noise, returned as 4:2:0
// YCbCr like image/jpeg's.

var synthText = []string{
	"ATTESTATION DE PAIEMENT DES PRESTATIONS",
	"",
	"Madame, Monsieur, nous vous prions de bien vouloir",
	"trouver ci-joint le detail des paiements effectues",
	"par votre caisse pour la periode du 1er janvier au",
	"31 decembre, ainsi que le montant des prestations",
	"familiales et de l'aide personnalisee au logement.",
	"",
	"Reference du dossier : 1234567 B, allocataire depuis",
	"le 4 juillet 2019, quotient familial 642 euros.",
	"Pour toute question, gardez ce document a portee de",
	"main : il vous sera demande par votre conseiller.",
}

// synthPage renders a white page of w×h pixels with lines of text whose
// cap height is about capFrac of the page height.
func synthPage(t testing.TB, w, h int, capFrac float64, lines []string) *image.Gray {
	t.Helper()
	page, err := photogen.Page(w, h, capFrac, lines)
	if err != nil {
		t.Fatal(err)
	}
	return page
}

type synthSpec struct {
	w, h     int
	corners  [4]pt // where the page raster's TL, TR, BR, BL land in the photo
	page     *image.Gray
	gradient float64 // lighting falls by this fraction across the photo
	noise    int     // ± grey levels
	// chroma, when set, colours the page: Cb, Cr at page raster (x, y).
	chroma func(x, y float64) (uint8, uint8)
}

// hash01 is a deterministic pseudo-random value in [0, 1).
func hash01(x, y, s uint32) float64 { return photogen.Hash01(x, y, s) }

func synthPhoto(s synthSpec) *image.YCbCr {
	var corners [4]photogen.Point
	for i, c := range s.corners {
		corners[i] = photogen.Point{X: c.x, Y: c.y}
	}
	return photogen.Scene{
		W: s.w, H: s.h, Corners: corners, Page: s.page,
		Gradient: s.gradient, Noise: s.noise, Chroma: s.chroma,
	}.Render()
}

// a4Corners places an A4-proportioned page in a w×h photo, tilted by
// angle degrees, with mild perspective (the far edge 5 % narrower).
func a4Corners(w, h int, angle, fill float64) [4]pt {
	var q [4]pt
	for i, c := range photogen.A4Corners(w, h, angle, fill, 0.05) {
		q[i] = pt{c.X, c.Y}
	}
	return q
}
