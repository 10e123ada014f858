package drafts

import (
	"fmt"
	"net/mail"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/compose"
	"github.com/sesbox/sesbox/mailstore/mailbox"
)

// ReplyChoice is what the user chose for a reply: reply-all, a From
// address instead of the one the identity chooses (--from), and
// recipients instead of the planned ones (--to).
type ReplyChoice struct {
	All  bool
	From string
	To   []string
}

// ReplyPlan is a planned reply before it is written as a draft: sender,
// recipients, subject, threading, quote and the warnings to show first
// (the preview), and what the draft records of the original.
type ReplyPlan struct {
	compose.Reply
	Meta Meta
}

// PlanReply is the one way sesbox plans a reply to msg, from `sesbox
// reply` and from the TUI's r and R alike: From as id chooses it (or
// c.From), id's configured address left out of a reply-all, recipients,
// subject and threading from the original (compose.NewReply), c.To in
// place of the recipients when given, and a warning when they are more
// than SES takes. mailboxName and bucket say where the original is.
// Nothing is written.
func PlanReply(id compose.Identity, mailboxName, bucket string, msg *mailbox.Message, c ReplyChoice) (ReplyPlan, error) {
	from, err := id.ChooseFrom(c.From, msg.Summary)
	if err != nil {
		return ReplyPlan{}, err
	}
	var own []string
	if cf, err := compose.ParseAddress(id.From); err == nil {
		own = append(own, cf.Address)
	}
	var to []mail.Address
	for _, t := range c.To {
		addr, err := compose.ParseAddress(t)
		if err != nil {
			// What to fix first, as every other error says it (it
			// said only the parser's words).
			return ReplyPlan{}, &mailstore.HintError{Hint: "give each --to as an address (name@example.com or \"Name <name@example.com>\")",
				Err: fmt.Errorf("--to %s: %w", t, err)}
		}
		to = append(to, addr)
	}
	r, err := compose.NewReply(msg.Raw, msg.View, compose.Options{All: c.All, From: from, Own: own, To: to})
	if err != nil {
		return ReplyPlan{}, err
	}
	if err := compose.CheckRecipientCount(len(r.To) + len(r.Cc)); err != nil {
		// Said now, before any text is typed; Build refuses it.
		r.Warnings = append(r.Warnings, mailstore.Explain(err))
	}
	return ReplyPlan{Reply: r, Meta: Meta{Mailbox: mailboxName, Bucket: bucket, Key: msg.Summary.Key, ETag: msg.Summary.ETag}}, nil
}
