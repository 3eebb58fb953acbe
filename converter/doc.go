// Package converter turns what people can produce — phone photos (JPEG,
// HEIC, PNG, WebP), flatbed scans (TIFF) and PDFs — into the one PDF an
// administration's portal accepts, under a portal profile (formats, bytes
// per file, pages, colour, resolution; see Profiles).
//
// Pipeline, for each input in order:
//
//   - intake: the type is decided from the first bytes only (Sniff); sizes
//     are capped per file and in total; each image format's own
//     DecodeConfig runs and the pixel budget is checked before any decoder
//     allocates pixels (never the image.Decode registry, where pdfcpu's
//     TIFF decoder sits).
//   - photos: decoded in memory (a JPEG at 1/2, 1/4 or 1/8 scale when the
//     page needs fewer pixels than the photo has), EXIF orientation
//     applied, then package scan finds the page, straightens, flattens and
//     renders it (auto, colour, grey, black and white); pages are
//     re-encoded (JPEG, or CCITT G4 for black and white), so no metadata
//     or appended bytes of the input survive. A text page in auto mode is
//     mixed raster content: a CCITT G4 text mask at 300 DPI over a 60 DPI
//     JPEG background, left out when the paper is plain (typically 6–16 KB
//     a page); soft print (an old phone's photo) stays grey, at 100 DPI
//     (20–27 KB). Every JPEG Coffre writes has Huffman tables fitted to
//     its image (internal/jpegenc: image/jpeg's coefficients, a fifth
//     fewer bytes on a grey text page).
//     Pages are A4 at the profile's
//     DPI, or more for small print (lines under ~10 pt: up to 300 DPI,
//     never beyond the page's resolution in the photo, which is then
//     decoded again at full scale around the page only, its luma only
//     for a grey page, the page found by the first scan reused); ID
//     cards keep their real size
//     (85.6 × 54 mm), on an A4 page
//     when the portal wants A4, optionally recto and verso together.
//   - PDFs: read and validated by pdfcpu (relaxed); password-protected
//     files are refused (ErrEncryptedPDF), so are JavaScript, embedded
//     files, launch actions and rich media (ErrActivePDF); forms,
//     automatic actions, metadata, thumbnails and the metadata segments of
//     embedded JPEGs are stripped; links are kept only to http, https and
//     mailto addresses and inside the document (file:, javascript:, smb:,
//     relative links and GoToR are dropped).
//   - output: pdfcpu assembles, validates and writes one PDF with a neutral
//     Producer. If it is over the profile's cap, each page steps down
//     (JPEG quality, then resolution, then colour) until it fits; images
//     inside PDFs are re-compressed (pure Go cannot rasterize PDF pages, so
//     text and vector content stays as it is). If it cannot fit legibly, a
//     *TooLargeError names the page, the limit and the page count; Code
//     gives every error a stable code, and the edge (package api) says it
//     in the person's language from the catalogue.
//
// Everything happens in memory: no temporary files. Every pdfcpu call runs
// behind recover. A Converter bounds concurrency and the estimated memory
// of all its conversions, and stops promptly when the context ends; both
// bounds are golang.org/x/sync/semaphore weighted semaphores (FIFO, so a
// big page is not starved by small ones; context-aware), not a hand-written
// copy.
//
// Usage:
//
//	var c converter.Converter // defaults; share one per process
//	res, err := c.Convert(ctx, []converter.Input{{Name: "payslip.jpg", Data: b}},
//		converter.Options{Profile: "caf"}, w)
//	if err != nil {
//		code := converter.Code(err) // the edge says it in the person's words
//	}
package converter
