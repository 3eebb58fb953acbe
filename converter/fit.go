package converter

import (
	"cmp"
	"context"
	"slices"
)

// Fit to size: assemble; if the document is over the profile's cap, give
// each input a share of the budget (inputs already under their share keep
// their size, the rest share what is left equally) and step the others down
// their ladders (JPEG quality, then resolution, then colour) until they fit
// their share. Repeat a few rounds; if the inputs that cannot shrink any
// more still do not fit, report the heaviest one.

const (
	fitRounds = 6
	// fitMargin is kept free for the overhead that moves between rounds.
	fitMargin = 4 << 10
)

// fit returns the assembled document within the profile's cap.
func (c *Converter) fit(ctx context.Context, items []*item, prof Profile, opts Options) ([]byte, bool, error) {
	shrunk := false
	for round := 0; ; round++ {
		if err := ctx.Err(); err != nil {
			return nil, false, err
		}
		doc, err := assemble(ctx, items, prof, opts, c.MaxTotalBytes)
		if err != nil {
			return nil, false, err
		}
		total := int64(len(doc))
		if total <= prof.MaxBytes {
			return doc, shrunk, nil
		}
		var sum int64
		sizes := make([]int64, len(items))
		fixed := make([]bool, len(items))
		for i, it := range items {
			sizes[i], fixed[i] = it.size(), it.floor
			sum += sizes[i]
		}
		budget := prof.MaxBytes - (total - sum) - fitMargin
		targets := allocate(sizes, fixed, budget)
		var work []int
		for i := range items {
			if !fixed[i] && sizes[i] > targets[i] {
				work = append(work, i)
			}
		}
		if len(work) == 0 || round == fitRounds {
			return nil, false, tooLarge(items, prof, opts, total)
		}
		shrunk = true
		jobs := make([]func(context.Context, *item) error, len(items))
		for _, i := range work {
			target := targets[i]
			jobs[i] = func(ctx context.Context, it *item) error { return c.shrink(ctx, it, target, prof) }
		}
		if err := c.runAll(ctx, items, jobs, nil); err != nil {
			return nil, false, err
		}
	}
}

// allocate shares budget among items by water-filling: fixed items keep
// their size; the others, smallest first, keep theirs while it is under an
// equal share of what remains, else get that share.
func allocate(sizes []int64, fixed []bool, budget int64) []int64 {
	targets := make([]int64, len(sizes))
	rem := budget
	var flex []int
	for i, s := range sizes {
		if fixed[i] {
			targets[i] = s
			rem -= s
		} else {
			flex = append(flex, i)
		}
	}
	slices.SortStableFunc(flex, func(a, b int) int { return cmp.Compare(sizes[a], sizes[b]) })
	for k, i := range flex {
		share := rem / int64(len(flex)-k)
		if sizes[i] <= share {
			targets[i] = sizes[i]
		} else {
			targets[i] = max(share, 1)
		}
		rem -= targets[i]
	}
	return targets
}

// shrink steps one input down its ladder until it is at most target bytes
// or cannot go further (it.floor).
func (c *Converter) shrink(ctx context.Context, it *item, target int64, prof Profile) error {
	if it.img != nil {
		mode := it.img.mode
		if it.img.mixed {
			// Mixed raster content is smaller than any grey JPEG: what
			// is left is black and white at lower resolutions.
			mode = ModeBW
		}
		steps := ladder(mode, prof.DPI, prof.Color == ColorRequired)
		from := it.img.step + 1
		if from >= len(steps) {
			it.floor = true
			return nil
		}
		idx := make([]int, len(steps)-from)
		for k := range idx {
			idx[k] = from + k
		}
		r, err := c.renderImage(ctx, it.in.Data, it.plan, steps[from:], idx, target)
		if err != nil {
			return err
		}
		it.img = &r
		it.floor = r.floor && it.size() > target
		return nil
	}
	for step := it.pdfStep + 1; step < len(squashLadder); step++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		part, err := squashPDF(ctx, *it.orig, squashLadder[step], c.MaxPixels)
		if err != nil {
			return err
		}
		it.pdfStep = step
		if len(part.data) < len(it.pdf.data) {
			it.pdf = &part
		}
		if it.size() <= target {
			return nil
		}
	}
	it.floor = true
	return nil
}

// tooLarge reports the heaviest input as the problem.
func tooLarge(items []*item, prof Profile, opts Options, total int64) error {
	infos := pageInfos(items, opts)
	worst := 0
	for i, it := range items {
		if it.size() > items[worst].size() {
			worst = i
		}
	}
	return &TooLargeError{
		Page: infos[worst].Page, Input: worst, Pages: pageCount(items, opts),
		Bytes: total, Limit: prof.MaxBytes, Profile: prof.ID, FromPDF: items[worst].pdf != nil,
	}
}

// assemble builds the document from the items' current encodings,
// stopping between inputs when ctx ends.
func assemble(ctx context.Context, items []*item, prof Profile, opts Options, maxStream int64) (doc []byte, err error) {
	defer func() {
		if ctxErr := ctx.Err(); err != nil && ctxErr != nil {
			doc, err = nil, ctxErr
		}
	}()
	b, err := newPDFBuilder(maxStream)
	if err != nil {
		return nil, err
	}
	for _, g := range groupPages(items, opts) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if g[0].pdf != nil {
			if err := b.addPDFContext(ctx, *g[0].pdf); err != nil {
				return nil, inputError(g[0].index, g[0].in.Name, err)
			}
			continue
		}
		imgs := make([]*renderedImage, len(g))
		for k, it := range g {
			imgs[k] = it.img
		}
		if err := b.addPage(layoutImages(imgs, prof.CardOnA4)); err != nil {
			return nil, err
		}
	}
	return b.bytesContext(ctx)
}
