package forward

import (
	"fmt"
	"os"
	"path/filepath"
)

// DefaultJournalPath is $XDG_STATE_HOME/sesbox/forward-journal.jsonl, or
// ~/.local/state/sesbox/forward-journal.jsonl when XDG_STATE_HOME is unset
// or not absolute (the XDG spec says to ignore a relative one).
func DefaultJournalPath() (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "sesbox", "forward-journal.jsonl"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find forward journal: %w", err)
	}
	return filepath.Join(home, ".local", "state", "sesbox", "forward-journal.jsonl"), nil
}
