//go:build !unix

package testenv

import "os/exec"

type pgSignal int

const (
	pgFastShutdown pgSignal = iota
	pgImmediateShutdown
	pgKill
)

// signalPostgres kills the server: there is no signal ladder here.
func signalPostgres(cmd *exec.Cmd, _ pgSignal) { _ = cmd.Process.Kill() }

// setCredential is never needed here: only unix tests run as root.
func setCredential(*exec.Cmd, uint32, uint32) {}
