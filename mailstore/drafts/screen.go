package drafts

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/sesaccount"
)

// ErrAllBlocked is wrapped by Send when every recipient is on the
// suppression list or refused by the sandbox: nothing is sent.
var ErrAllBlocked = errors.New("no recipient can be sent to")

// Screen checks the prepared reply's recipients against the account's
// suppression list and, for an account in the SES sandbox, verification:
// the review can show what Send will do. Send calls it itself (answers are
// cached for the Outbox's life), so a reply is never sent to a blocked
// address whichever UI sent it. Without Account it returns nil.
func (o *Outbox) Screen(ctx context.Context, p *Prepared) ([]sesaccount.Verdict, error) {
	if o.Account == nil {
		return nil, nil
	}
	o.screenMu.Lock()
	if o.screen == nil {
		sc, err := sesaccount.NewScreen(ctx, o.Account)
		if err != nil {
			o.screenMu.Unlock()
			return nil, err
		}
		o.screen = sc
	}
	sc := o.screen
	o.screenMu.Unlock()
	return sc.Check(ctx, p.Destinations), nil
}

// NotChecked begins the warning that the account, so its suppression
// list, could not be read: a send goes on without it.
const NotChecked = "the suppression list was not checked: "

// screenLine is "addr: why", as the reply's output and warnings say it.
func screenLine(v sesaccount.Verdict) string {
	r := v.Reason()
	if strings.HasPrefix(r, "sandbox: ") {
		return r
	}
	return v.Address + ": " + r
}

// screened decides the envelope of a send: the destinations to use, the
// lines saying who was left out, and warnings.
func (o *Outbox) screened(ctx context.Context, p *Prepared) (dests, skipped, warnings []string, err error) {
	verdicts, err := o.Screen(ctx, p)
	if err != nil {
		// Not knowing the account is no reason to hold a reply back: SES
		// applies the suppression list itself.
		return p.Destinations, nil, []string{NotChecked + mailstore.Explain(err)}, nil
	}
	if verdicts == nil {
		return p.Destinations, nil, nil, nil
	}
	send, blocked := sesaccount.Filter(verdicts, o.IncludeSuppressed)
	for _, v := range blocked {
		skipped = append(skipped, screenLine(v))
	}
	var unchecked []string // one line for them all: a reply to all of 5 printed 5 of 400 characters each
	var why error
	for _, v := range verdicts {
		switch {
		case v.Blocked(o.IncludeSuppressed):
		case v.Suppressed != nil:
			warnings = append(warnings, "sent despite the suppression list (--include-suppressed): "+screenLine(v))
		case v.Err != nil:
			unchecked = append(unchecked, v.Address)
			why = cmp.Or(why, v.Err)
		}
	}
	if len(unchecked) > 0 {
		warnings = append(warnings, sesaccount.UncheckedLine(strings.Join(unchecked, ", "), why))
	}
	if len(send) == 0 {
		// One line (errors.Join's newline split it on the status line),
		// led by what to do about it.
		err := fmt.Errorf("%w: %s", ErrAllBlocked, strings.Join(skipped, "; "))
		return nil, skipped, warnings, &mailstore.HintError{Hint: blockedHint(blocked), Err: err}
	}
	return send, skipped, warnings, nil
}

// blockedHint is what the user can do when no recipient is left: each
// blocked destination's action, once each.
func blockedHint(blocked []sesaccount.Verdict) string {
	var actions []string
	sandbox := false
	for _, v := range blocked {
		if a := v.Action(); a != "" && !slices.Contains(actions, a) {
			actions = append(actions, a)
		}
		sandbox = sandbox || v.Unverified
	}
	if sandbox {
		return strings.Join(actions, "; ") + "; " + sesaccount.LeaveSandbox
	}
	return strings.Join(actions, "; ")
}
