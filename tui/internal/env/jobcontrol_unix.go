//go:build unix

package env

import "golang.org/x/sys/unix"

// JobControl reports whether a shell with job control started sesbox, so
// that something resumes it after ctrl+z: such a shell gives each job a
// process group of its own, apart from the session leader's. Started by
// sh -c, ssh host sesbox or a tmux pane's command, sesbox is in the
// leader's group, which has no parent in the session to resume it.
func JobControl() bool {
	sid, err := unix.Getsid(0)
	return err == nil && unix.Getpgrp() != sid
}
