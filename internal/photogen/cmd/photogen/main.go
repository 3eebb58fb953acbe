// Command photogen writes the test suite's sample phone photos
// (NAME.photo.jpg) and their true text (NAME.truth.txt) into a directory,
// for looking at them or for benchmarking the converter on them:
//
//	go run ./internal/photogen/cmd/photogen -out testoutput/samples
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/coffre/coffre/internal/photogen"
)

func main() {
	out := flag.String("out", "testoutput/samples", "directory to write the photos into (created if missing)")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o750); err != nil {
		fmt.Fprintln(os.Stderr, "photogen:", err)
		os.Exit(1)
	}
	paths, err := photogen.WriteSamples(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "photogen:", err)
		os.Exit(1)
	}
	for _, p := range paths {
		fmt.Println(p)
	}
}
