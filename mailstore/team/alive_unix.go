//go:build unix

package team

import (
	"errors"
	"syscall"
)

// processAlive reports whether a process with this id runs on this
// machine. EPERM means it runs under another user. A reused id reads as
// alive: the claim then waits for its lease, the safe side.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
