//go:build unix

package testenv

import (
	"os/exec"
	"syscall"
)

// pgSignal is a step of PostgreSQL's shutdown ladder.
type pgSignal int

const (
	pgFastShutdown      pgSignal = iota // SIGINT: roll back, disconnect, stop
	pgImmediateShutdown                 // SIGQUIT: stop at once
	pgKill                              // SIGKILL to the whole process group
)

// signalPostgres sends a shutdown step to the postmaster (which relays it to
// its children) or kills the whole group.
func signalPostgres(cmd *exec.Cmd, s pgSignal) {
	switch s {
	case pgFastShutdown:
		_ = syscall.Kill(cmd.Process.Pid, syscall.SIGINT)
	case pgImmediateShutdown:
		_ = syscall.Kill(cmd.Process.Pid, syscall.SIGQUIT)
	default:
		signalGroup(cmd, true)
	}
}

// setCredential runs the command as another account (the tests run as root,
// which PostgreSQL refuses). setProcAttr must have run first.
func setCredential(cmd *exec.Cmd, uid, gid uint32) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uid, Gid: gid, Groups: []uint32{}}
}
