//go:build !unix

package external

import (
	"io/fs"
	"syscall"
)

func detached() *syscall.SysProcAttr { return nil }

const noFollow = 0

func ownedByOther(fs.FileInfo) bool { return false }
