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
