// Package lazyregexp compiles a package's regular expressions when they
// are first used instead of at program start. Every sesbox process runs
// the package initializers of every package linked into the binary, so a
// package-level regexp.MustCompile is paid by `sesbox --version` and
// `ls --cached` alike, though only the commands that parse mail, reports
// or logs use them (docs/scale.md: the process start is the floor under
// every `ls`).
package lazyregexp

import (
	"regexp"
	"sync"
)

// New returns a function that compiles expr on its first call and returns
// the same *regexp.Regexp on every call, from any goroutine. An invalid
// expr panics on that first call, as regexp.MustCompile would at start.
func New(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
