package env

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// typedAhead reports whether the terminal w writes to already holds
// input nobody has read: keys typed before the first screen (a burst, or
// keys sent over a slow SSH link as sesbox starts). The terminal's input
// queue is the device's, so any descriptor of it tells. A terminal in
// line mode (as sesbox finds it) counts only whole lines, so the count is
// taken with line mode off for that moment, as the background query
// itself turns it off.
func typedAhead(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fd := int(f.Fd())
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return false
	}
	raw := *old
	raw.Lflag &^= unix.ICANON
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &raw); err != nil {
		return false
	}
	defer unix.IoctlSetTermios(fd, unix.TCSETS, old)
	n, err := unix.IoctlGetInt(fd, unix.TIOCINQ)
	return err == nil && n > 0
}
