package common

import (
	"context"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/mailstore/query"
)

// Target is what a page opened on the active mailbox acts on; the root
// fills it in from the list and the viewer and hands it to the page's
// opener (see Opening).
type Target struct {
	Ctx context.Context
	// Box is the switcher's index of the mailbox, Name its name.
	Box     int
	Name    string
	Mailbox Reader
	// Key is the message under the list's cursor or in the viewer ("" for
	// none); Marked the list's marked messages while the list is shown.
	Key    string
	Marked []string
	// Shown is the message the viewer has read, nil when the viewer is not
	// on top or is still reading it.
	Shown *mailbox.Message
	// ChosenBy are the filters under which the list's mark-all marked
	// Marked (none for marks made by hand, and for Key: a message named
	// one by one, as sesbox forward KEY names it; the filter and search
	// when they show nothing); RefreshErr is the
	// mailbox's last refresh failure (nil when it succeeded), which may
	// say its forwarder log could not be read.
	ChosenBy   []query.Query
	RefreshErr error
	// Flags, Values and Arg are the `:` command's (--all; the addresses
	// of :forward --to; a draft's id).
	Flags  map[string]bool
	Values map[string][]string
	Arg    string
}

// Reader reads one message of a mailbox; tab.Mailbox is one. Call it
// only inside a tea.Cmd.
type Reader interface {
	Open(ctx context.Context, key string) (*mailbox.Message, error)
}

// Keys are the messages an action on t acts on: the marked ones, else Key.
func (t Target) Keys() []string {
	if len(t.Marked) > 0 {
		return t.Marked
	}
	if t.Key != "" {
		return []string{t.Key}
	}
	return nil
}

// Opening is what a page's opener returns: a Page of Kind to show (Cmd is
// its Init), or a Notice or Err for the status line, or a Cmd that reads
// first and answers with OpeningReadyMsg. Want names the message that
// answer is for: the root drops the answer when another was asked for
// since, or a page of Kind opened meanwhile. Typing says that keys typed
// while it reads are for the page's text editor (r, then the reply's
// first words at once): the root holds them for the page, and drops them
// when no page opens.
type Opening struct {
	Kind   Kind
	Page   Page
	Cmd    tea.Cmd
	Notice string
	Err    error
	Want   string
	Typing bool
}

// OpeningReadyMsg is sent when what an opener had to read first is there:
// the root calls Open with the target of the moment and shows its result.
type OpeningReadyMsg struct {
	Kind Kind
	Want string
	Open func(now Target) Opening
}

// Unavailable explains why a mailbox cannot do what was asked, what to
// do first when why has a hint (mailstore.HintError): the status line
// may cut the end.
func Unavailable(what, box string, why error) string {
	s := what + " is not set up for mailbox " + box
	if why != nil {
		s += ": " + why.Error()
	}
	if h := mailstore.Hint(why); h != "" {
		return h + " (" + s + ")"
	}
	return s
}
