package seal

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"
)

var benchSizes = []int{1 << 20, 50 << 20}

func sizeName(n int) string { return fmt.Sprintf("%dMB", n>>20) }

func BenchmarkEncrypt(b *testing.B) {
	id := mustIdentity(b)
	for _, size := range benchSizes {
		b.Run(sizeName(size), func(b *testing.B) {
			block := pseudoRandom(chunk, 1) // plaintext written in 64 KiB blocks
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				w, err := Encrypt(context.Background(), io.Discard, id.Recipient())
				if err != nil {
					b.Fatal(err)
				}
				for n := 0; n < size; n += len(block) {
					if _, err := w.Write(block[:min(len(block), size-n)]); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecrypt(b *testing.B) {
	id := mustIdentity(b)
	for _, size := range benchSizes {
		b.Run(sizeName(size), func(b *testing.B) {
			var buf bytes.Buffer
			w, err := Encrypt(context.Background(), &buf, id.Recipient())
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(w, &patternReader{n: int64(size)}); err != nil {
				b.Fatal(err)
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
			file := buf.Bytes()
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				r, err := Decrypt(context.Background(), bytes.NewReader(file), id)
				if err != nil {
					b.Fatal(err)
				}
				if n, err := io.Copy(io.Discard, r); err != nil || n != int64(size) {
					b.Fatalf("%d bytes, %v", n, err)
				}
			}
		})
	}
}

// BenchmarkUnwrapWithSecret measures a login's key unwrap at the production
// work factor (DefaultScryptLogN).
func BenchmarkUnwrapWithSecret(b *testing.B) {
	id := mustIdentity(b)
	secret, pepper := []byte("correct horse battery staple"), bytes.Repeat([]byte{1}, PepperSize)
	wrapped, err := WrapWithSecret(id, secret, pepper, ScryptParams{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := UnwrapWithSecret(wrapped, secret, pepper); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnwrapWithRecoveryCode(b *testing.B) {
	id := mustIdentity(b)
	code := mustCode(b)
	wrapped, err := WrapWithRecoveryCode(id, code)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := UnwrapWithRecoveryCode(wrapped, code); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnwrapIdentity(b *testing.B) {
	owner, doc := mustIdentity(b), mustIdentity(b)
	wrapped, err := WrapIdentity(doc, owner.Recipient())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := UnwrapIdentity(wrapped, owner); err != nil {
			b.Fatal(err)
		}
	}
}
