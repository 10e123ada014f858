package compose

import (
	"errors"

	"github.com/sesbox/sesbox/mailstore/drafts"
)

// draftList is the kept drafts of a mailbox, for `:drafts ID`; Want is
// the one to resume, and NotKept, when none is Want, why (drafts.NotKeptHere).
type draftList struct {
	Box     int
	Want    string
	Drafts  []*drafts.Draft
	Err     error
	NotKept error
}

// listDrafts reads the kept drafts of mailbox name (of box, the switcher's
// index) from the drafts directory of env. Call it inside a tea.Cmd.
func listDrafts(box int, env Env, name, want string) draftList {
	store, err := draftStore(env)
	if err != nil {
		return draftList{Box: box, Err: err}
	}
	mine, err := store.Of(name)
	return draftList{Box: box, Want: want, Drafts: mine, Err: err}
}

// draftStore is env's drafts directory, or why there is none.
func draftStore(env Env) (*drafts.Store, error) {
	if env.Outbox == nil || env.Outbox.Drafts == nil {
		return nil, errors.New("drafts: no drafts directory")
	}
	return env.Outbox.Drafts, nil
}
