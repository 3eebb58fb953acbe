package testenv

import "errors"

// Pause freezes the MinIO server (SIGSTOP) without closing its port: S3
// requests hang until Resume, as with a stalled storage backend.
func (s *MinIOServer) Pause() error { return s.freeze(true) }

// Resume lets a paused server go on (SIGCONT).
func (s *MinIOServer) Resume() error { return s.freeze(false) }

func (s *MinIOServer) freeze(stop bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return errors.New("testenv: minio is not running")
	}
	return stopProcess(s.cmd, stop)
}
