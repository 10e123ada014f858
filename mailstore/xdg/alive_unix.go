//go:build unix

package xdg

import (
	"errors"
	"syscall"
)

// ProcessAlive reports whether a process with this id runs on this
// machine. EPERM means it runs under another user. A reused id reads as
// alive: what waits on it (a team claim, a file of that process) then
// waits, the safe side.
func ProcessAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
