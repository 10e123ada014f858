package compose

import (
	"errors"
	"strings"

	"github.com/sesbox/sesbox/mailstore/drafts"
	"github.com/sesbox/sesbox/mailstore/sanitize"
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
	all, err := env.Outbox.Drafts.List()
	var mine []*drafts.Draft
	for _, d := range all {
		if d.Meta.Mailbox == name || d.Meta.Mailbox == "" {
			mine = append(mine, d)
		}
	}
	return draftList{Box: box, Want: want, Drafts: mine, Err: err}
}

// Find returns the draft of msg with id Want, or the only one whose id
// begins with it (ids are long: `:drafts 20261204T1452` is enough).
func (msg draftList) Find() (*drafts.Draft, bool) {
	var found *drafts.Draft
	for _, d := range msg.Drafts {
		switch {
		case d.ID == msg.Want:
			return d, true
		case strings.HasPrefix(d.ID, msg.Want):
			if found != nil {
				return nil, false
			}
			found = d
		}
	}
	return found, found != nil
}

// Describe lists the drafts, newest first, for the status line.
func (msg draftList) Describe() string {
	var parts []string
	for i := len(msg.Drafts) - 1; i >= 0; i-- {
		parts = append(parts, msg.Drafts[i].ID+" "+sanitize.Line(subjectOf(msg.Drafts[i])))
	}
	return strings.Join(parts, "; ")
}

func subjectOf(d *drafts.Draft) string {
	for _, l := range strings.Split(string(d.Text), "\n") {
		if s, ok := strings.CutPrefix(l, "Subject:"); ok {
			return strings.TrimSpace(s)
		}
		if strings.TrimSpace(l) == "" {
			break
		}
	}
	return "(no subject)"
}
