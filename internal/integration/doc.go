// Package integration holds tests that run the real `coffre` binary as
// separate processes against real PostgreSQL and MinIO: several stateless
// instances sharing one database and one bucket, the metrics listener, and
// graceful shutdown on SIGTERM. It has no non-test code.
package integration
