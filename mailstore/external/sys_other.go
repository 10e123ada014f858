//go:build !unix

package external

import (
	"syscall"
)

func detached() *syscall.SysProcAttr { return nil }

const noFollow = 0
