package api

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/coffre/coffre/converter"
)

// The cleaned pages of a paper, as images on its page: each is taken on
// the fly from the decrypted PDF, in memory, and sent with no-store; it is
// never stored in clear, nor kept by the browser's cache.

// maxPreviewPages is how many pages a paper's page shows.
const maxPreviewPages = 20

// maxPreviewPDF bounds the PDF read into memory for a preview.
const maxPreviewPDF = 64 << 20

// webPageImage answers the image of page n of one of the owner's papers.
func (s *server) webPageImage(c *gin.Context) {
	n, err := strconv.Atoi(c.Param("n"))
	if err != nil || n < 1 {
		s.webError(c, errNotFound)
		return
	}
	ctx := c.Request.Context()
	rc, d, err := s.v.OpenDocument(ctx, principal(c), c.Param("id"))
	if err != nil {
		s.webError(c, err)
		return
	}
	defer rc.Close()
	if d.MediaType != "application/pdf" || d.Size > maxPreviewPDF || n > max(d.Pages, 1) {
		s.webError(c, errNotFound)
		return
	}
	pdf, err := io.ReadAll(io.LimitReader(rc, maxPreviewPDF+1))
	if err != nil {
		s.webError(c, err)
		return
	}
	defer wipe(pdf)
	img, mt, err := converter.PageImage(ctx, pdf, n)
	if errors.Is(err, converter.ErrNoPreview) {
		s.webError(c, errNotFound)
		return
	}
	if err != nil {
		s.webError(c, err)
		return
	}
	defer wipe(img)
	c.Header("Cache-Control", "no-store, private")
	c.Data(http.StatusOK, mt, img)
}
