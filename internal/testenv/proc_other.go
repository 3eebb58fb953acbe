//go:build !unix

package testenv

import "os/exec"

func setProcAttr(*exec.Cmd) {}

// signalGroup kills the child; there are no process groups to signal here.
func signalGroup(cmd *exec.Cmd, _ bool) { _ = cmd.Process.Kill() }
