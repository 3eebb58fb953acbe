// Command photogen writes the test suite's sample phone photos
// (NAME.photo.jpg) and their true text (NAME.truth.txt) into a directory,
// for looking at them or for benchmarking the converter on them:
//
//	go run ./internal/photogen/cmd/photogen -out testoutput/samples
//
// With -hard it writes the hard corpus instead (hand shadows, small print,
// old phones, curled pages, patterned tables, coloured paper: issue 19),
// one NAME.photo.jpg and NAME.truth.txt per photo.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/coffre/coffre/internal/photogen"
)

func main() {
	out := flag.String("out", "testoutput/samples", "directory to write the photos into (created if missing)")
	hard := flag.Bool("hard", false, "write the hard corpus (photogen.HardCorpus) instead of the samples")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o750); err != nil {
		fmt.Fprintln(os.Stderr, "photogen:", err)
		os.Exit(1)
	}
	write := photogen.WriteSamples
	if *hard {
		write = photogen.WriteHard
	}
	paths, err := write(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "photogen:", err)
		os.Exit(1)
	}
	for _, p := range paths {
		fmt.Println(p)
	}
}
