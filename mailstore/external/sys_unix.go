//go:build unix

package external

import (
	"syscall"
)

// detached puts a started program in its own session, so the terminal's
// signals (ctrl+c in sesbox) do not reach it and it outlives sesbox.
func detached() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setsid: true} }

// noFollow makes OpenFile fail on a symlink.
const noFollow = syscall.O_NOFOLLOW
