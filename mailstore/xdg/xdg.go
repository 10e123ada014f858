// Package xdg says where sesbox keeps its own files, following the XDG Base
// Directory spec: $XDG_<KIND>_HOME/sesbox, else the spec's default under the
// home directory. A relative value is ignored, as the spec asks.
package xdg

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Config is $XDG_CONFIG_HOME/sesbox (~/.config/sesbox) joined with elem.
func Config(elem ...string) (string, error) { return dir("XDG_CONFIG_HOME", ".config", elem) }

// Cache is $XDG_CACHE_HOME/sesbox (~/.cache/sesbox) joined with elem.
func Cache(elem ...string) (string, error) { return dir("XDG_CACHE_HOME", ".cache", elem) }

// State is $XDG_STATE_HOME/sesbox (~/.local/state/sesbox) joined with elem.
func State(elem ...string) (string, error) {
	return dir("XDG_STATE_HOME", filepath.Join(".local", "state"), elem)
}

// Data is $XDG_DATA_HOME/sesbox (~/.local/share/sesbox) joined with elem.
func Data(elem ...string) (string, error) {
	return dir("XDG_DATA_HOME", filepath.Join(".local", "share"), elem)
}

func dir(env, fallback string, elem []string) (string, error) {
	base := os.Getenv(env)
	if !filepath.IsAbs(base) {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("find $%s: %w", env, err)
		}
		// A relative $HOME (HOME=. in a script, a typo) would put
		// sesbox's files under whatever directory it runs in.
		if !filepath.IsAbs(home) {
			return "", fmt.Errorf("set HOME (or $%s) to an absolute path: $HOME is %q", env, home)
		}
		base = filepath.Join(home, fallback)
	}
	return filepath.Join(append([]string{base, "sesbox"}, elem...)...), nil
}

// ExpandHome expands a leading "~" or "~/" the way a shell would, for
// paths typed at a prompt or written in a config file.
func ExpandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~"); ok && (rest == "" || rest[0] == '/') {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return p
}
