//go:build !unix

package testenv

import (
	"errors"
	"os/exec"
)

func setProcAttr(*exec.Cmd) {}

// signalGroup kills the child; there are no process groups to signal here.
func signalGroup(cmd *exec.Cmd, _ bool) { _ = cmd.Process.Kill() }

// stopProcess cannot freeze a process here.
func stopProcess(*exec.Cmd, bool) error { return errors.ErrUnsupported }
