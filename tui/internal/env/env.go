// Package env resolves what the TUI takes from its options and the
// process's environment when Run starts it: the shared styles and keys,
// the log file and the attachment opener.
package env

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/sesbox/sesbox/mailstore/xdg"
)

// Opener is the program that opens attachments: o when set, else
// $OPENER, else xdg-open (open on macOS).
func Opener(o string) string {
	if o != "" {
		return o
	}
	if o = os.Getenv("OPENER"); o != "" {
		return o
	}
	if runtime.GOOS == "darwin" {
		return "open"
	}
	return "xdg-open"
}

// OpenLog opens the log file at path (default
// $XDG_STATE_HOME/sesbox/tui.log) (never stdout: the TUI owns the terminal).
func OpenLog(path string) (*log.Logger, string, func(), error) {
	own := path == ""
	if own {
		var err error
		if path, err = xdg.State("tui.log"); err != nil {
			return nil, "", nil, err
		}
	}
	// One of sesbox's own files: never through a symlink (the file's or
	// its sesbox directory's), 0600 whatever mode it was left with. A
	// directory the caller chose is left as it is.
	mkdir := xdg.MkdirPrivate
	if !own {
		mkdir = func(d string) error { return os.MkdirAll(d, 0o700) }
	}
	if err := mkdir(filepath.Dir(path)); err != nil {
		return nil, "", nil, fmt.Errorf("log: %w", err)
	}
	f, err := xdg.OpenPrivate(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND)
	if err != nil {
		return nil, "", nil, fmt.Errorf("log: %w", err)
	}
	return log.New(f, "", log.LstdFlags), path, func() { _ = f.Close() }, nil
}

// UTF8Locale reports whether the locale getenv names (LC_ALL, else
// LC_CTYPE, else LANG, as POSIX orders them) has the terminal draw UTF-8.
// C and POSIX do not, nor does a locale naming another character set
// (de_DE.ISO-8859-1); a locale without one (en_US), or none set at all, is
// taken as UTF-8, as aerc (tcell) takes it: a system that sets nothing, a
// container or an SSH session without SendEnv, is most often a UTF-8
// terminal.
func UTF8Locale(getenv func(string) string) bool {
	loc := getenv("LC_ALL")
	if loc == "" {
		loc = getenv("LC_CTYPE")
	}
	if loc == "" {
		loc = getenv("LANG")
	}
	if loc == "C" || loc == "POSIX" {
		return false
	}
	loc, _, _ = strings.Cut(loc, "@")
	_, charset, ok := strings.Cut(loc, ".")
	if !ok {
		return true
	}
	charset = strings.ReplaceAll(strings.ToLower(charset), "-", "")
	return charset == "utf8"
}
