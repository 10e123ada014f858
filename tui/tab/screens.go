package tab

import (
	"github.com/charmbracelet/bubbles/key"

	"github.com/sesbox/sesbox/tui/audit"
	"github.com/sesbox/sesbox/tui/common"
	"github.com/sesbox/sesbox/tui/compose"
	"github.com/sesbox/sesbox/tui/forward"
	"github.com/sesbox/sesbox/tui/keys"
)

// Screen is a page that acts on the active mailbox, opened by its `:` verb
// (and by its key, in the list and the viewer, which runs Line). The root
// knows screens only through Screens: adding one is its package, its line
// below, and (when it has them) its key in tui/keys and its verb's flags
// in tui/cmdline.
type Screen struct {
	Verb string
	// Key is its key in km, if it has one; Line the `:` line the key runs.
	Key  func(km keys.KeyMap) key.Binding
	Line string
	// Ask makes the key open the `:` line with Line typed, for the user
	// to finish (an address after --to) and Enter.
	Ask  bool
	Open func(c common.Common, b Box, g common.Target) common.Opening
}

// Screens are the pages that act on a mailbox, in the order the help
// lists their keys.
var Screens = []Screen{
	{"reply", func(km keys.KeyMap) key.Binding { return km.Mail.Reply }, "reply", false,
		func(c common.Common, b Box, g common.Target) common.Opening {
			return compose.Open(c, b.Reply, b.ReplyErr, g)
		}},
	{"reply", func(km keys.KeyMap) key.Binding { return km.Mail.ReplyAll }, "reply --all", false, nil},
	{"reply", func(km keys.KeyMap) key.Binding { return km.Mail.ReplyTo }, "reply --to ", true, nil},
	{"drafts", nil, "", false,
		func(c common.Common, b Box, g common.Target) common.Opening {
			return compose.OpenDrafts(c, b.Reply, b.ReplyErr, g)
		}},
	{"forward", func(km keys.KeyMap) key.Binding { return km.Mail.Forward }, "forward", false,
		func(c common.Common, b Box, g common.Target) common.Opening {
			return forward.Open(c, b.Forward, b.ForwardErr, g)
		}},
	{"audit", func(km keys.KeyMap) key.Binding { return km.Global.Audit }, "audit", false,
		func(c common.Common, b Box, g common.Target) common.Opening {
			return audit.Open(c, b.Audit, b.AuditErr, g)
		}},
}

// ScreenFor is the screen opened by the `:` verb, if one is.
func ScreenFor(verb string) (Screen, bool) {
	for _, s := range Screens {
		if s.Verb == verb && s.Open != nil {
			return s, true
		}
	}
	return Screen{}, false
}
