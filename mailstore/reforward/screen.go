package reforward

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/forward"
	"github.com/sesbox/sesbox/mailstore/sesaccount"
)

// screenItem checks the item's destinations against the account's
// suppression list and the sandbox rules, drops the blocked ones and
// splits the rest into sends again. It reports false (and marks the item
// skipped) when no destination is left. It runs before the journal is
// read, so the journal keys the sends SES will really get.
func screenItem(ctx context.Context, it *Item, screen *sesaccount.Screen, opts Options) bool {
	verdicts := screen.Check(ctx, it.Destinations)
	send, blocked := sesaccount.Filter(verdicts, opts.IncludeSuppressed)
	for _, v := range verdicts {
		switch {
		case v.Blocked(opts.IncludeSuppressed):
		case v.Suppressed != nil:
			it.Allowed = append(it.Allowed, v)
		case v.Err != nil:
			it.Unchecked = append(it.Unchecked, v)
		}
	}
	if len(blocked) == 0 {
		return true
	}
	it.Blocked = blocked
	if len(send) == 0 {
		it.Status, it.Reason = StatusSkipped, blockedReason(blocked)
		it.Destinations, it.Sends = nil, nil
		return false
	}
	it.Destinations = send
	it.Sends = nil
	for chunk := range slices.Chunk(send, MaxDestinations) {
		it.Sends = append(it.Sends, Send{Destinations: slices.Clone(chunk)})
	}
	return true
}

func blockedReason(blocked []sesaccount.Verdict) string {
	parts := make([]string, len(blocked))
	for i, v := range blocked {
		parts[i] = verdictLine(v)
	}
	return "not sent to any destination: " + strings.Join(parts, "; ")
}

// verdictLine is "addr: why".
func verdictLine(v sesaccount.Verdict) string {
	r := v.Reason()
	if strings.HasPrefix(r, "sandbox: ") {
		return r // names the address itself
	}
	return v.Address + ": " + r
}

// decorate adds what the screen decided for the item to its result.
func decorate(res Result, it *Item) Result {
	for _, v := range it.Blocked {
		res.SkippedRecipients = append(res.SkippedRecipients, verdictLine(v))
	}
	for _, v := range it.Allowed {
		res.Warnings = append(res.Warnings, "sent despite the suppression list (--include-suppressed): "+verdictLine(v))
	}
	if res.Status == StatusDryRun && len(it.Blocked) > 0 && res.Reason == "" {
		// The file holds the message for the destinations left; the
		// reason says who a sending run would not send it to.
		res.Reason = "a sending run leaves out " + strings.Join(res.SkippedRecipients, "; ")
	}
	res.Simulator = sesaccount.AllSimulator(it.Destinations)
	return res
}

// Preview counts what a plan will do, for the confirmation a bulk run
// shows before anything is sent.
type Preview struct {
	// Messages, Sends and Recipients are what will be sent (Recipients
	// count against the quota).
	Messages, Sends, Recipients int
	// SimulatorSends are sends to the SES mailbox simulator only.
	SimulatorSends int
	// AlreadySent, SkippedSpam and SkippedSuppressed count messages not
	// sent: sent before (the journal), a spam or virus FAIL verdict, every
	// destination suppressed or refused by the sandbox.
	AlreadySent, SkippedSpam, SkippedSuppressed int
	// OtherSkipped, Failed and Uncertain are the other messages decided
	// before the run.
	OtherSkipped, Failed, Uncertain int
	// Refused are the messages SES refused before for themselves
	// (Item.Refused), failed again without a request.
	Refused int
	// SuppressedRecipients and SandboxRecipients count destinations left
	// out (in any message); IncludedSuppressed those sent to anyway;
	// Unchecked the distinct addresses (sesaccount.AddressKey) among the
	// sends to make whose check failed (UncheckedWhy says the first
	// failure), which are sent to.
	SuppressedRecipients, SandboxRecipients, IncludedSuppressed, Unchecked int
	UncheckedWhy                                                           error
	// SuppressedAddresses, SandboxAddresses and
	// IncludedSuppressedAddresses count the distinct addresses
	// (sesaccount.AddressKey) behind SuppressedRecipients,
	// SandboxRecipients and IncludedSuppressed: one suppressed address in
	// 51 messages is 51 recipients left out, 1 address.
	SuppressedAddresses, SandboxAddresses, IncludedSuppressedAddresses int
	// Account is the account the plan was made against (nil: not read);
	// AccountErr why a dry run could not read it.
	Account    *sesaccount.Account
	AccountErr string
	// SendRate is the recipients per second the run will send at (the
	// account's MaxSendRate, or send_rate when lower; 0: the account was
	// not read), RateIsSendRate whether send_rate set it, and Duration
	// what sending Recipients takes at that rate. SharedPace: the team
	// table's runs share the rate, so Duration is the least it takes.
	SendRate       float64
	RateIsSendRate bool
	Duration       time.Duration
	SharedPace     bool
}

// Preview counts the plan.
func (p *Plan) Preview() Preview {
	pv := Preview{Account: p.Account, AccountErr: p.AccountErr, SharedPace: p.SharedPace}
	pv.Messages, pv.Sends, pv.Recipients = p.ToSend()
	if p.Account != nil {
		pv.SendRate = paceRate(p.Account.MaxSendRate, p.SendRate)
		pv.RateIsSendRate = p.SendRate > 0 && p.SendRate < p.Account.MaxSendRate
		pv.Duration = time.Duration(float64(pv.Recipients) / pv.SendRate * float64(time.Second))
	}
	unchecked := map[string]bool{}
	distinct := func(seen map[string]bool, n *int, addr string) {
		if k := sesaccount.AddressKey(addr); !seen[k] {
			seen[k] = true
			*n++
		}
	}
	suppressed, sandbox, included := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, it := range p.Items {
		for _, v := range it.Blocked {
			if v.Unverified {
				pv.SandboxRecipients++
				distinct(sandbox, &pv.SandboxAddresses, v.Address)
			} else {
				pv.SuppressedRecipients++
				distinct(suppressed, &pv.SuppressedAddresses, v.Address)
			}
		}
		pv.IncludedSuppressed += len(it.Allowed)
		for _, v := range it.Allowed {
			distinct(included, &pv.IncludedSuppressedAddresses, v.Address)
		}
		// Only the destinations the plan sends to, as ToSend counts
		// them: a message sent before (by this run's journal or by
		// another operator) is sent to no one. Each address once: 51
		// messages to the same 3 are 3 destinations not checked.
		for _, v := range it.Unchecked {
			if it.Status != "" || !slices.ContainsFunc(it.Sends, func(s Send) bool {
				return s.pending(p.Options) && slices.Contains(s.Destinations, v.Address)
			}) {
				continue
			}
			distinct(unchecked, &pv.Unchecked, v.Address)
			if pv.UncheckedWhy == nil {
				pv.UncheckedWhy = v.Err
			}
		}
		switch it.Status {
		case "":
			for _, s := range it.Sends {
				if s.pending(p.Options) && sesaccount.AllSimulator(s.Destinations) {
					pv.SimulatorSends++
				}
			}
		case StatusSkipped:
			switch {
			case len(it.Blocked) > 0 && len(it.Destinations) == 0:
				pv.SkippedSuppressed++
			case it.Summary.Verdicts.Failed() && !p.Options.IncludeSpam:
				pv.SkippedSpam++
			case len(it.Sends) > 0 && allSent(it.Sends):
				pv.AlreadySent++
			default:
				pv.OtherSkipped++
			}
		case StatusFailed:
			if it.Refused {
				pv.Refused++
			} else {
				pv.Failed++
			}
		case StatusUncertain:
			pv.Uncertain++
		}
	}
	return pv
}

func allSent(sends []Send) bool {
	for _, s := range sends {
		if s.State != forward.StateSent {
			return false
		}
	}
	return true
}

// FitsQuota reports whether the recipients fit in what the account may
// still send today; ok is false when the account was not read.
func (pv Preview) FitsQuota() (fits, ok bool) {
	if pv.Account == nil {
		return false, false
	}
	return pv.Account.Fits(pv.Recipients), true
}

// Lines says the preview in words, one fact a line: what the CLI prints
// before asking and the TUI shows on its confirmation screen.
func (pv Preview) Lines() []string {
	var out []string
	line := fmt.Sprintf("%s to send (%s, %s)", mailstore.Count(pv.Messages, "message"),
		mailstore.Count(pv.Sends, "send"), mailstore.Count(pv.Recipients, "recipient"))
	if pv.SimulatorSends > 0 {
		line += fmt.Sprintf(", %d of the sends to the SES mailbox simulator only", pv.SimulatorSends)
	}
	out = append(out, line)
	for _, c := range []struct {
		n    int
		what string
	}{
		{pv.SkippedSuppressed, "skipped: every destination suppressed or not allowed from the sandbox"},
		{pv.SkippedSpam, "skipped as spam or virus (" + OptionIncludeSpam.Flag() + " sends them)"},
		{pv.AlreadySent, "skipped: already sent (" + OptionAgain.Flag() + " sends them again)"},
		{pv.OtherSkipped, "skipped for other reasons"},
		// Both front ends list each with its reason: the CLI's
		// results on stdout, the TUI's after the run ("the output"
		// named nothing on its screen).
		{pv.Failed, "cannot be sent (the results say why)"},
		{pv.Refused, "refused by SES before, not sent again (" + OptionRetryRefused.Flag() + " sends them once fixed)"},
		{pv.Uncertain, "uncertain (check, then " + OptionRetryUncertain.Flag() + ")"},
	} {
		if c.n > 0 {
			out = append(out, mailstore.Count(c.n, "message")+" "+c.what)
		}
	}
	if pv.SuppressedRecipients > 0 {
		out = append(out, mailstore.Count(pv.SuppressedAddresses, "destination")+" left out"+times(pv.SuppressedAddresses, pv.SuppressedRecipients)+
			": on the account's suppression list ("+OptionIncludeSuppressed.Flag()+" sends to them)")
	}
	if pv.IncludedSuppressed > 0 {
		out = append(out, "WARNING: "+mailstore.Count(pv.IncludedSuppressedAddresses, "destination")+times(pv.IncludedSuppressedAddresses, pv.IncludedSuppressed)+
			" on the suppression list (or not checked) will be sent to: bounces and complaints hurt the account's reputation")
	}
	if pv.Unchecked > 0 {
		if why, ok := sesaccount.NotOffered(pv.UncheckedWhy); ok {
			// A local SES: within 80 columns in the TUI, the count
			// being the recipients' above.
			out = append(out, "suppression list not checked: "+why)
		} else {
			out = append(out, "WARNING: "+sesaccount.UncheckedLine(mailstore.Count(pv.Unchecked, "destination"), pv.UncheckedWhy))
		}
	}
	a := pv.Account
	if a == nil {
		if pv.AccountErr != "" {
			return append(out, "SES account not read, so quota, sandbox and suppression list not checked: "+pv.AccountErr)
		}
		return append(out, "SES account not read: quota and suppression list not checked")
	}
	if a.Sandbox {
		s := "SES sandbox: only verified addresses and domains and the mailbox simulator can receive"
		if pv.SandboxRecipients > 0 {
			s += "; " + mailstore.Count(pv.SandboxAddresses, "destination") + " left out as unverified" + times(pv.SandboxAddresses, pv.SandboxRecipients) +
				": verify each (aws sesv2 create-email-identity --email-identity ADDRESS), " + sesaccount.LeaveSandbox
		}
		out = append(out, s)
	}
	if !a.SendingEnabled {
		out = append(out, "SES sending is PAUSED for this account: the run will be refused")
	}
	if a.EnforcementStatus != "" && a.EnforcementStatus != "HEALTHY" {
		out = append(out, "SES enforcement status "+a.EnforcementStatus+": the account is under review")
	}
	switch {
	case pv.Recipients == 0:
		// Nothing to send: a quota line ("fits (0 of 50000 left today)")
		// would read as if something were about to be.
	case a.Unlimited():
		out = append(out, "quota: unlimited")
	case a.Fits(pv.Recipients):
		out = append(out, fmt.Sprintf("quota: fits (%d of %.0f left today)", pv.Recipients, a.Remaining24Hours))
	default:
		out = append(out, fmt.Sprintf("quota: DOES NOT FIT: %d recipients, %.0f left of %.0f today: the run will be refused",
			pv.Recipients, a.Remaining24Hours, a.Max24HourSend))
	}
	if pv.Recipients > 0 {
		out = append(out, pv.timeLine())
	}
	return out
}

// timeLine estimates how long sending takes at the rate the run paces by:
// "time: about 8m20s at 14 recipients/s (the account's max send rate)". A bulk run of thousands takes minutes to hours, which the
// operator should know before confirming.
func (pv Preview) timeLine() string {
	d := "under a second"
	if pv.Duration >= time.Second {
		d = "about " + pv.Duration.Round(time.Second).String()
		if pv.SharedPace {
			d = "at least " + pv.Duration.Round(time.Second).String()
		}
	}
	why := "the account's max send rate"
	if pv.RateIsSendRate {
		why = "send_rate in the config"
	}
	if pv.SharedPace {
		why += ", shared with the team's other runs"
	}
	return fmt.Sprintf("time: %s at %s recipients/s (%s)", d, strconv.FormatFloat(pv.SendRate, 'f', -1, 64), why)
}

// times says how often addresses destinations occur over the messages,
// when more than once each: " (3 times over the messages)".
func times(addresses, occurrences int) string {
	if occurrences <= addresses {
		return ""
	}
	return fmt.Sprintf(" (%d times over the messages)", occurrences)
}
