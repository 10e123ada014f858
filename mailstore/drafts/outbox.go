package drafts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/actionlog"
	"github.com/sesbox/sesbox/mailstore/compose"
	"github.com/sesbox/sesbox/mailstore/sesaccount"
)

// ActionLog is where every send attempt is recorded (*actionlog.Log).
type ActionLog interface {
	Append(actionlog.Action) error
}

var _ ActionLog = (*actionlog.Log)(nil)

// SentCopier stores a copy of a sent message somewhere else (the bucket's
// sent_prefix), returning where.
type SentCopier interface {
	CopySent(ctx context.Context, messageID string, raw []byte) (string, error)
}

// Outbox sends drafts. The CLI and the TUI both send through it, so a
// reply is built, sent, kept and logged the same way from either.
type Outbox struct {
	Sender mailstore.Sender
	Drafts *Store
	// Sent receives a copy of every message sent.
	Sent *Maildir
	// Log records every attempt, failed ones included.
	Log ActionLog
	// Copier, when set, stores another copy (off by default).
	Copier SentCopier
	// Now and Seed pin the Date and the random parts, for tests.
	Now  func() time.Time
	Seed *int64
	// Account, when set, is asked before each send whether a recipient is
	// on the account's suppression list (or, in the SES sandbox, not
	// verified): such recipients are left out of the envelope and
	// reported (Result.Skipped), unless IncludeSuppressed (the sandbox
	// still refuses unverified ones).
	Account           sesaccount.API
	IncludeSuppressed bool
	// DryRun makes Send a rehearsal: it screens the recipients and says
	// whom it would send to (Result.Destinations, Skipped), but sends,
	// keeps a copy of and logs nothing, and the draft stays. No Sender is
	// needed.
	DryRun bool
	// RetryUncertain sends a draft whose last send lost SES's answer
	// (Meta.Uncertain); without it Send refuses such a draft.
	RetryUncertain bool

	screenMu sync.Mutex
	screen   *sesaccount.Screen
}

// Retrying is o for sending a draft whose last send lost SES's answer
// (Meta.Uncertain), asked for that one send: o with RetryUncertain set,
// sharing o's screen of the account. The CLI sets RetryUncertain for its
// run (--retry-uncertain), the TUI's review asks it of one draft (its
// send-again key); both then call Send. Every other field is o's
// (TestRetryingKeepsEveryField).
func (o *Outbox) Retrying() *Outbox {
	o.screenMu.Lock()
	sc := o.screen
	o.screenMu.Unlock()
	return &Outbox{Sender: o.Sender, Drafts: o.Drafts, Sent: o.Sent, Log: o.Log, Copier: o.Copier, Now: o.Now, Seed: o.Seed,
		Account: o.Account, IncludeSuppressed: o.IncludeSuppressed, DryRun: o.DryRun, RetryUncertain: true, screen: sc}
}

// MaxMessageSize is SES's limit for a raw message, encoding included
// (sessend.MaxMessageSize; repeated here so that the TUI, which must not
// import the AWS packages, can check it before sending).
const MaxMessageSize = 40 << 20

// Prepared is a draft built into the exact bytes that will be sent.
type Prepared struct {
	Edited Edited
	compose.Built
	From        mail.Address
	Attachments []string // base names
}

// Prepare parses the draft's text, reads its attachments and builds the
// message. The review screen shows it; Send sends exactly these bytes.
func (o *Outbox) Prepare(d *Draft) (*Prepared, error) {
	e, err := Parse(d.Text)
	if err != nil {
		return nil, err
	}
	if len(e.To) == 0 {
		return nil, errors.New("the draft's To line is empty")
	}
	from, err := compose.ParseAddress(d.Meta.From)
	if err != nil {
		return nil, fmt.Errorf("the draft's From: %w", err)
	}
	m := compose.Message{
		From: from, To: e.To, Cc: e.Cc, Subject: e.Subject, Body: e.Body,
		Threading: compose.Threading{InReplyTo: d.Meta.InReplyTo, References: d.Meta.References},
	}
	p := &Prepared{Edited: e, From: from}
	for _, path := range d.Meta.Attachments {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("attachment: %w", err)
		}
		name := filepath.Base(path)
		m.Attachments = append(m.Attachments, compose.Attachment{Name: name, Data: data})
		p.Attachments = append(p.Attachments, name)
	}
	p.Built, err = compose.Build(m, compose.BuildOptions{Date: o.now(), Seed: o.Seed})
	if err != nil {
		return nil, err
	}
	if len(p.Raw) > MaxMessageSize {
		return nil, fmt.Errorf("the reply is %.1f MB with its attachments encoded, over SES's 40 MB limit: attach less", float64(len(p.Raw))/(1<<20))
	}
	return p, nil
}

func (o *Outbox) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// Result is what a send did.
type Result struct {
	SESMessageID string
	// Destinations are the envelope recipients SES was given; Skipped the
	// recipients left out, each "addr: suppressed: BOUNCE since ...".
	Destinations []string
	Skipped      []string
	// SentPath is the copy in the sent Maildir ("" if it could not be
	// written: see Warnings).
	SentPath string
	// CopyKey is where the Copier stored its copy.
	CopyKey string
	// Warnings are failures after SES accepted the message: the message is
	// sent, but a copy or the log line is missing.
	Warnings []string
}

// SendError is a send SES did not accept, or one whose outcome is
// unknown (ErrUncertain in its chain). The draft is kept.
type SendError struct {
	DraftPath string
	Err       error
}

// ErrUncertain is in the chain of a send whose outcome is unknown: SES's
// answer was lost (a dropped connection, a time-out, an HTTP 5xx), so
// the message may have gone out.
var ErrUncertain = errors.New("SES may have accepted it: its answer was lost")

func (e *SendError) Error() string {
	return fmt.Sprintf("%v; the draft is kept in %s", e.Err, e.DraftPath)
}

func (e *SendError) Unwrap() error { return e.Err }

// Send sends p, built from d, through SES (or, with DryRun, only works
// out whom it would go to). Whatever happens to a send it appends a line
// to the action log. When SES accepts the message, a copy goes to the
// sent Maildir (and the Copier), and the draft is deleted; when it does
// not, the draft stays and the error (a *SendError) says where.
func (o *Outbox) Send(ctx context.Context, d *Draft, p *Prepared) (Result, error) {
	if d.Meta.Uncertain != "" && !o.DryRun && !o.RetryUncertain {
		return Result{}, &SendError{DraftPath: d.Path(), Err: &mailstore.HintError{
			Hint: "the send of this draft at " + d.Meta.Uncertain + " may have reached SES (its answer was lost) — check the recipients' mail or SES's sending statistics before sending it again",
			Err:  fmt.Errorf("not sent again: %w", ErrUncertain),
		}}
	}
	sum := sha256.Sum256(p.Raw)
	dests, skipped, screenWarnings, err := o.screened(ctx, p)
	if err != nil {
		// Nothing to send to: the draft stays, nothing reaches SES. How
		// to send it again is the UI's to say (the CLI names --draft, the
		// composer is still open on it).
		if serr := o.Drafts.Save(d); serr != nil {
			err = fmt.Errorf("%w (and saving the draft: %v)", err, serr)
		}
		return Result{Skipped: skipped, Warnings: screenWarnings}, &SendError{DraftPath: d.Path(), Err: err}
	}
	if o.DryRun {
		// The draft on disk is the one rehearsed, to send later.
		if err := o.Drafts.Save(d); err != nil {
			return Result{}, err
		}
		return Result{Destinations: dests, Skipped: skipped, Warnings: screenWarnings}, nil
	}
	act := actionlog.Action{
		Command: "reply", Draft: d.ID, Bucket: d.Meta.Bucket, Key: d.Meta.Key, ETag: d.Meta.ETag,
		SHA256: hex.EncodeToString(sum[:]), Destinations: dests, MessageID: p.MessageID,
		Simulator: sesaccount.AllSimulator(dests),
	}
	id, err := o.Sender.SendRaw(ctx, dests, p.Raw)
	if err != nil {
		act.Result = "failed: " + err.Error()
		if !mailstore.NotAccepted(err) {
			// Never sent again blindly: the draft says so (Send refuses
			// it), and so do the log and the error.
			act.Result = "uncertain: " + err.Error()
			d.Meta.Uncertain = o.now().UTC().Format(time.RFC3339)
			err = &mailstore.HintError{
				Hint: "SES may have accepted the reply: its answer was lost — check the recipients' mail or SES's sending statistics before sending the draft again",
				Err:  fmt.Errorf("%w (%w)", ErrUncertain, err),
			}
		}
		if o.Log != nil {
			if lerr := o.Log.Append(act); lerr != nil {
				err = fmt.Errorf("%w (and the action log: %v)", err, lerr)
			}
		}
		// Whatever the UI holds goes back to disk, so the draft on disk is
		// the one that failed.
		if serr := o.Drafts.Save(d); serr != nil {
			err = fmt.Errorf("%w (and saving the draft: %v)", err, serr)
		}
		return Result{}, &SendError{DraftPath: d.Path(), Err: err}
	}
	res := Result{SESMessageID: id, Destinations: dests, Skipped: skipped, Warnings: screenWarnings}
	act.SESMessageID, act.Result = id, "sent"
	if o.Log != nil {
		if err := o.Log.Append(act); err != nil {
			res.Warnings = append(res.Warnings, "sent, but not recorded: "+err.Error())
		}
	}
	now := o.now()
	if o.Sent != nil {
		if path, err := o.Sent.Deliver(p.Raw, now); err != nil {
			res.Warnings = append(res.Warnings, "sent, but the local copy failed: "+err.Error())
		} else {
			res.SentPath = path
		}
	}
	if o.Copier != nil {
		if key, err := o.Copier.CopySent(ctx, p.MessageID, p.Raw); err != nil {
			res.Warnings = append(res.Warnings, "sent, but the copy in the bucket failed: "+err.Error())
		} else {
			res.CopyKey = key
		}
	}
	if o.Sent != nil && res.SentPath == "" {
		// The draft is then the only local trace of what was written.
		res.Warnings = append(res.Warnings, "the draft is kept in "+d.Path())
		return res, nil
	}
	if err := o.Drafts.Delete(d.ID); err != nil {
		res.Warnings = append(res.Warnings, "sent, but "+err.Error())
	}
	return res, nil
}
