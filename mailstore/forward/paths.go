package forward

import "github.com/sesbox/sesbox/mailstore/xdg"

// DefaultJournalPath is $XDG_STATE_HOME/sesbox/forward-journal.jsonl
// (~/.local/state/sesbox/forward-journal.jsonl).
func DefaultJournalPath() (string, error) { return xdg.State("forward-journal.jsonl") }
