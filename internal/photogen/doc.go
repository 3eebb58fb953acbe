// Package photogen draws the phone photos the test suite reads: fictitious
// French administrative papers (an attestation de droits à l'assurance
// maladie, a relevé d'identité bancaire, a certificat de scolarité) with
// invented names and numbers, each with its true text.
//
// Why: the converter and scanner are judged on photos like the ones people
// send (a page on a table, slightly turned, in perspective, under uneven
// light, with sensor noise and JPEG compression), and their legibility tests
// compare tesseract's reading of the output against the page's known text.
// The project's rule is that tests use inputs the repository makes itself,
// so the photos are drawn here, deterministically: fixed seeds and integer
// hashing for every random-looking value, so the same Go version on the
// same architecture draws the same pixels (and image/jpeg writes the same
// bytes) on every run.
//
// What it draws, layer by layer:
//   - Page: a white A4 raster with the document's lines in Go Regular
//     (title in Go Bold), rendered with golang.org/x/image/font;
//   - Scene: the page placed by a homography (turn and perspective) onto a
//     textured wooden table, lit by a gradient and a vignette, with mild
//     per-pixel noise, returned as 4:2:0 YCbCr (what image/jpeg decodes);
//   - Photo: a Document under Options (size, seed, angle, conditions)
//     encoded as JPEG; WriteSamples writes NAME.photo.jpg and
//     NAME.truth.txt for each of Documents.
//
// Harder conditions belong in Options, each a field whose zero value leaves
// the photo as it is: Shadow (with Hand: a hard- or soft-edged hand's
// shadow anywhere, with fingers), Curl, CapHeight (small print), Width,
// Height and Quality (old phones), Table, Texture and Cloth (light and
// patterned tables), Paper (coloured paper), Blur, Glare, Dark. HardCorpus
// lists the photos of issue 19's hard corpus, and CleanPage draws each
// one's ceiling: the same page as a perfect scan at a given resolution.
package photogen
