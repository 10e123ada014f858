package drafts

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/sesaccount"
)

// acct is sesaccount.API, sesbox's own interface (the SES side is tested
// in sessend and cmd/sesbox against aws-ses-v2-local and sesident).
type acct struct {
	sandbox bool
	asked   int
}

func (a *acct) Account(context.Context) (sesaccount.Account, error) {
	return sesaccount.Account{Sandbox: a.sandbox, SendingEnabled: true}, nil
}
func (a *acct) Identity(_ context.Context, n string) (sesaccount.Identity, error) {
	return sesaccount.Identity{Name: n, Status: sesaccount.StatusNotFound}, nil
}
func (a *acct) Suppressed(_ context.Context, addr string) (sesaccount.Suppression, bool, error) {
	a.asked++
	if addr == "ben@student.example.edu" {
		return sesaccount.Suppression{Address: addr, Reason: "BOUNCE", Since: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)}, true, nil
	}
	return sesaccount.Suppression{}, false, nil
}

func TestReplySkipsSuppressedRecipient(t *testing.T) {
	fs := &fakeSender{}
	o, logPath := outbox(t, fs)
	o.Account = &acct{}
	d, _ := o.Drafts.NewReply(reply(), Meta{Bucket: "mail", Key: "inbox/abc"}, "Thanks")
	p, err := o.Prepare(d)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := o.Screen(context.Background(), p)
	if err != nil || len(vs) != 2 || vs[1].Reason() != "suppressed: BOUNCE since 2026-11-02" {
		t.Fatalf("screen %+v %v", vs, err)
	}
	res, err := o.Send(context.Background(), d, p)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(fs.dests, []string{"seoyeon.lee@daehan-logis.example"}) ||
		!slices.Equal(res.Skipped, []string{"ben@student.example.edu: suppressed: BOUNCE since 2026-11-02"}) ||
		!slices.Equal(res.Destinations, fs.dests) {
		t.Errorf("sent to %v, result %+v", fs.dests, res)
	}
	acts := readLog(t, logPath)
	if len(acts) != 1 || !slices.Equal(acts[0].Destinations, fs.dests) || acts[0].MessageID != p.MessageID || acts[0].MessageID == "" {
		t.Errorf("log %+v", acts)
	}
	if o.Account.(*acct).asked != 2 {
		t.Errorf("asked %d times for 2 addresses (Screen then Send)", o.Account.(*acct).asked)
	}
}

func TestReplyIncludeSuppressedWarns(t *testing.T) {
	fs := &fakeSender{}
	o, _ := outbox(t, fs)
	o.Account, o.IncludeSuppressed = &acct{}, true
	d, _ := o.Drafts.NewReply(reply(), Meta{Key: "inbox/abc"}, "Thanks")
	p, _ := o.Prepare(d)
	res, err := o.Send(context.Background(), d, p)
	if err != nil || len(fs.dests) != 2 || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "ben@student.example.edu: suppressed: BOUNCE") {
		t.Errorf("sent %v, result %+v, %v", fs.dests, res, err)
	}
}

// In the sandbox nobody unverified can receive: nothing is sent, the draft
// stays, and the error says why.
func TestReplyAllBlockedInSandbox(t *testing.T) {
	fs := &fakeSender{}
	o, logPath := outbox(t, fs)
	o.Account = &acct{sandbox: true}
	d, _ := o.Drafts.NewReply(reply(), Meta{Key: "inbox/abc"}, "Thanks")
	p, _ := o.Prepare(d)
	_, err := o.Send(context.Background(), d, p)
	var se *SendError
	if !errors.As(err, &se) || !errors.Is(err, ErrAllBlocked) || !strings.Contains(err.Error(), "sandbox: seoyeon.lee@daehan-logis.example is not a verified identity") {
		t.Fatalf("err %v", err)
	}
	const hint = "verify seoyeon.lee@daehan-logis.example or its domain as an SES identity (aws sesv2 create-email-identity --email-identity seoyeon.lee@daehan-logis.example)"
	if h := mailstore.Hint(err); !strings.HasPrefix(h, hint) || !strings.Contains(h, "aws sesv2 put-account-details --production-access-enabled") {
		t.Errorf("hint %q, want it to start %q and name the production access request", h, hint)
	}
	if fs.dests != nil {
		t.Errorf("sent to %v", fs.dests)
	}
	if _, err := o.Drafts.Load(d.ID); err != nil {
		t.Errorf("draft lost: %v", err)
	}
	if acts := readLog(t, logPath); len(acts) != 0 {
		t.Errorf("nothing was sent, yet logged: %+v", acts)
	}
}

// A reply whose every recipient is suppressed says first what to do
// (--include-suppressed, or take the address off the list; the CLI adds
// how to send the kept draft), then why, on one line; the reason alone left the user to
// find the flag in the help.
func TestReplyAllSuppressedLeadsWithTheAction(t *testing.T) {
	fs := &fakeSender{}
	o, _ := outbox(t, fs)
	o.Account = &acct{}
	r := reply()
	r.To, r.Cc = r.Cc, nil // only ben@, who is suppressed
	d, _ := o.Drafts.NewReply(r, Meta{Key: "inbox/abc"}, "Thanks")
	p, _ := o.Prepare(d)
	_, err := o.Send(context.Background(), d, p)
	if !errors.Is(err, ErrAllBlocked) || fs.dests != nil {
		t.Fatalf("err %v, sent to %v", err, fs.dests)
	}
	got := mailstore.Explain(err)
	for _, want := range []string{
		"--include-suppressed sends to ben@student.example.edu anyway, or take it off the account's list: aws sesv2 delete-suppressed-destination --email-address ben@student.example.edu (",
		"ben@student.example.edu: suppressed: BOUNCE since 2026-11-02",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("%q\nlacks %q", got, want)
		}
	}
	if !strings.HasPrefix(got, "--include-suppressed") || strings.Contains(got, "\n") {
		t.Errorf("does not lead with the action on one line: %q", got)
	}
}

// hintAcct fails GetSuppressedDestination with a hint, as a missing
// permission would.
type hintAcct struct{ acct }

func (a *hintAcct) Suppressed(context.Context, string) (sesaccount.Suppression, bool, error) {
	return sesaccount.Suppression{}, false, &mailstore.HintError{Hint: "allow ses:GetSuppressedDestination", Err: errors.New("AccessDenied")}
}

// A check that failed keeps its error's hint in the warning (Reason used
// err.Error(), which is a HintError's detail only). The recipients it
// failed for share one line (a reply to all printed a line each).
func TestUncheckedWarningKeepsTheHint(t *testing.T) {
	fs := &fakeSender{}
	o, _ := outbox(t, fs)
	o.Account = &hintAcct{}
	d, _ := o.Drafts.NewReply(reply(), Meta{Key: "inbox/abc"}, "Thanks")
	p, _ := o.Prepare(d)
	res, err := o.Send(context.Background(), d, p)
	if err != nil || len(res.Warnings) != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	if w := res.Warnings[0]; !strings.HasPrefix(w, "seoyeon.lee@daehan-logis.example, ben@student.example.edu could not be checked") ||
		!strings.HasSuffix(w, ": allow ses:GetSuppressedDestination (AccessDenied)") {
		t.Errorf("warning %q lost the hint or an address", w)
	}
}

func (*acct) ConfigurationSet(context.Context) (sesaccount.ConfigurationSet, bool, error) {
	return sesaccount.ConfigurationSet{}, false, nil
}
