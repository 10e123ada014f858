//go:build !linux

package env

import "io"

// typedAhead reports whether the terminal holds unread input; only Linux
// is asked (TIOCINQ), elsewhere the background is always asked for.
func typedAhead(io.Writer) bool { return false }
