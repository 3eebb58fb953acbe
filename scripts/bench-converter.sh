#!/usr/bin/env bash
# bench-converter.sh — time "coffre convert" on one phone photo side by side,
# in one run, with the usual tools (Debian packages img2pdf, ghostscript,
# libvips-tools, ocrmypdf), and measure Coffre's peak memory for one 12 MP
# conversion and for four concurrent conversions in one process.
#
# Usage: scripts/bench-converter.sh [photo.jpg]
#   default photo: the rib sample drawn by internal/photogen (a 12 MP phone
#   photo of a fictitious RIB; go run ./internal/photogen/cmd/photogen)
#   GOMAXPROCS=1 scripts/bench-converter.sh   for the per-core figures
#
# Prints, per tool: output size, wall time, peak RSS (GNU time's "Maximum
# resident set size": for a pipeline, the largest single process), and the
# ratios of size and time to coffre's. Everything stays in a temporary
# directory that is removed at exit.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
for tool in /usr/bin/time img2pdf gs vips ocrmypdf go; do
	command -v "$tool" >/dev/null || { echo "bench-converter: missing $tool" >&2; exit 2; }
done

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
if [ $# -ge 1 ]; then
	PHOTO=$1
else
	(cd "$ROOT" && go run -tags nodynamic ./internal/photogen/cmd/photogen -out "$WORK/samples" >/dev/null)
	PHOTO=$WORK/samples/rib.photo.jpg
fi
[ -r "$PHOTO" ] || { echo "bench-converter: no photo at $PHOTO" >&2; exit 2; }
cp "$PHOTO" "$WORK/photo.jpg"

# The load generator: N concurrent conversions of one photo in one process
# (what the server does with N uploads), or one conversion when N=1. It is a
# throwaway module that uses this checkout of Coffre.
mkdir -p "$WORK/load"
cat >"$WORK/load/main.go" <<'EOF'
package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"

	"github.com/coffre/coffre/converter"
)

func main() {
	n, _ := strconv.Atoi(os.Args[1])
	data, err := os.ReadFile(os.Args[3])
	if err != nil {
		panic(err)
	}
	c := &converter.Converter{MaxConcurrent: n}
	outs := make([]bytes.Buffer, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Convert(context.Background(), []converter.Input{{Name: "photo", Data: data}}, converter.Options{}, &outs[i]); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}()
	}
	wg.Wait()
	if err := os.WriteFile(os.Args[2], outs[0].Bytes(), 0o600); err != nil {
		panic(err)
	}
}
EOF
cat >"$WORK/load/go.mod" <<EOF
module coffreload

go 1.26

require github.com/coffre/coffre v0.0.0

replace github.com/coffre/coffre => $ROOT
EOF
cp "$ROOT/go.sum" "$WORK/load/go.sum"
(cd "$WORK/load" && GOFLAGS="-mod=mod -tags=nodynamic" go build -o "$WORK/coffre-load" . 2>"$WORK/build.err") ||
	{ cat "$WORK/build.err" >&2; exit 1; }

# The real CLI when main.go dispatches "convert"; otherwise the load
# generator with N=1 does the same conversion.
(cd "$ROOT" && go build -tags nodynamic -o "$WORK/coffre" ./cmd/coffre)
if "$WORK/coffre" convert -h >/dev/null 2>&1; then
	COFFRE="$WORK/coffre convert -o $WORK/coffre.pdf $WORK/photo.jpg"
else
	echo "note: this coffre binary does not dispatch 'convert' yet; timing the same conversion through the converter package" >&2
	COFFRE="$WORK/coffre-load 1 $WORK/coffre.pdf $WORK/photo.jpg"
fi

# measure NAME OUTPUT COMMAND: runs COMMAND under GNU time, records size,
# wall seconds and peak RSS in MB.
declare -A SIZE WALL RSS
measure() {
	local name=$1 out=$2 cmd=$3
	if ! /usr/bin/time -v -o "$WORK/time.txt" bash -c "$cmd" >"$WORK/cmd.out" 2>&1; then
		echo "bench-converter: $name failed:" >&2
		cat "$WORK/cmd.out" >&2
		SIZE[$name]=0 WALL[$name]=0 RSS[$name]=0
		return
	fi
	local wall rss
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$WORK/time.txt" |
		awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
	rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$WORK/time.txt")
	SIZE[$name]=$( [ -f "$out" ] && stat -c %s "$out" || echo 0)
	WALL[$name]=$wall
	RSS[$name]=$rss
}

echo "photo: $PHOTO ($(stat -c %s "$PHOTO") bytes), GOMAXPROCS=${GOMAXPROCS:-all} on $(nproc) CPU(s)"
measure coffre "$WORK/coffre.pdf" "$COFFRE"
measure img2pdf "$WORK/img2pdf.pdf" "img2pdf --output $WORK/img2pdf.pdf $WORK/photo.jpg"
measure "img2pdf+gs-ebook" "$WORK/gs.pdf" \
	"img2pdf --pagesize A4 $WORK/photo.jpg | gs -q -dBATCH -dNOPAUSE -dSAFER -sDEVICE=pdfwrite -dPDFSETTINGS=/ebook -sOutputFile=$WORK/gs.pdf -"
measure "vips+img2pdf" "$WORK/vips.pdf" \
	"vips thumbnail $WORK/photo.jpg $WORK/thumb.jpg[Q=75,strip] 1754 && img2pdf --pagesize A4 --output $WORK/vips.pdf $WORK/thumb.jpg"
measure "ocrmypdf-O3" "$WORK/ocrmypdf.pdf" \
	"ocrmypdf -q -O3 --deskew --image-dpi 300 -l fra $WORK/photo.jpg $WORK/ocrmypdf.pdf"
measure "coffre-1x12MP" "$WORK/load1.pdf" "$WORK/coffre-load 1 $WORK/load1.pdf $WORK/photo.jpg"
measure "coffre-4-concurrent" "$WORK/load4.pdf" "$WORK/coffre-load 4 $WORK/load4.pdf $WORK/photo.jpg"

printf '\n%-20s %12s %10s %10s %12s %12s\n' tool bytes "wall s" "RSS MB" "size/coffre" "time/coffre"
for name in coffre img2pdf "img2pdf+gs-ebook" "vips+img2pdf" "ocrmypdf-O3" "coffre-1x12MP" "coffre-4-concurrent"; do
	awk -v n="$name" -v s="${SIZE[$name]}" -v w="${WALL[$name]}" -v r="${RSS[$name]}" \
		-v cs="${SIZE[coffre]}" -v cw="${WALL[coffre]}" 'BEGIN {
		sr = (cs > 0) ? s / cs : 0; tr = (cw > 0) ? w / cw : 0
		printf "%-20s %12d %10.2f %10d %12.1f %12.1f\n", n, s, w, r, sr, tr }'
done
echo
echo "goals: coffre ≤ 100 KB per text page; peak RSS ≤ 150 MB for one 12 MP photo, ≤ 400 MB for 4 concurrent"
