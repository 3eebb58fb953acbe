package testenv

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
)

func TestMinIOStopStart(t *testing.T) {
	s := MinIO(t)
	if !isLoopback(s.Endpoint) {
		t.Fatalf("endpoint %q is not loopback", s.Endpoint)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	bucket := s.NewBucket(t)
	c := s.Client(t)
	payload := []byte("survives a restart")
	if _, err := c.PutObject(ctx, bucket, "k", bytes.NewReader(payload), int64(len(payload)), minio.PutObjectOptions{}); err != nil {
		t.Fatalf("put: %v", err)
	}

	if err := s.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	short, cancelShort := context.WithTimeout(ctx, 3*time.Second)
	_, err := c.StatObject(short, bucket, "k", minio.StatObjectOptions{})
	cancelShort()
	if err == nil {
		t.Fatal("stat succeeded while the server was stopped")
	}

	if err := s.Start(); err != nil {
		t.Fatalf("restart: %v", err)
	}
	obj, err := c.GetObject(ctx, bucket, "k", minio.GetObjectOptions{})
	if err != nil {
		t.Fatalf("get after restart: %v", err)
	}
	got, err := io.ReadAll(obj)
	obj.Close()
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("after restart got %q, %v; want %q", got, err, payload)
	}
}

func TestIsLoopback(t *testing.T) {
	for _, tc := range []struct {
		addr string
		want bool
	}{
		{"127.0.0.1:9000", true},
		{"[::1]:9000", true},
		{"localhost:9000", false}, // names are not trusted, only literal loopback IPs
		{"s3.amazonaws.com:443", false},
		{"10.0.0.1:9000", false},
		{"127.0.0.1", false},
	} {
		if got := isLoopback(tc.addr); got != tc.want {
			t.Errorf("isLoopback(%q) = %v, want %v", tc.addr, got, tc.want)
		}
	}
}
