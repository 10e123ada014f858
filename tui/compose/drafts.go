package compose

import (
	"errors"

	"github.com/sesbox/sesbox/mailstore/drafts"
)

// draftList is the kept drafts of a mailbox (for `:drafts`); Want is the
// one to resume, "" to list them.
type draftList struct {
	Box    int
	Want   string
	Drafts []*drafts.Draft
	Err    error
}

// listDrafts reads the kept drafts of mailbox name (of box, the switcher's
// index) from the drafts directory of env. Call it inside a tea.Cmd.
func listDrafts(box int, env Env, name, want string) draftList {
	if env.Outbox == nil || env.Outbox.Drafts == nil {
		return draftList{Box: box, Err: errors.New("drafts: no drafts directory")}
	}
	mine, err := env.Outbox.Drafts.Of(name)
	return draftList{Box: box, Want: want, Drafts: mine, Err: err}
}
