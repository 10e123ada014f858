package actionlog

import (
	"slices"
	"strings"
	"time"
)

// Filter chooses the entries `sesbox audit log` prints; the zero Filter
// keeps every entry. It never changes what a verify checks: the chain is
// every line of the log.
type Filter struct {
	// After and Before bound the entry's time as ls's after: and before:
	// bound a message's date: After <= time < Before (zero: no bound).
	After, Before time.Time
	// Commands keeps the entries of any of these commands (none: all).
	Commands []string
	// User keeps the entries of this OS user, or of user@host.
	User string
}

// Match reports whether the filter keeps a.
func (f Filter) Match(a Action) bool {
	switch {
	case !f.After.IsZero() && a.Time.Before(f.After),
		!f.Before.IsZero() && !a.Time.Before(f.Before),
		len(f.Commands) > 0 && !slices.Contains(f.Commands, a.Command):
		return false
	case f.User == "":
		return true
	case strings.Contains(f.User, "@"):
		return a.User+"@"+a.Host == f.User
	}
	return a.User == f.User
}
