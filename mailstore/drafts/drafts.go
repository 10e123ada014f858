// Package drafts keeps replies being written, so nothing typed is ever
// lost: each draft is an editable text file (To, Cc and Subject lines above
// the body) with a JSON sidecar for what the user does not edit (From,
// threading, the original's key). It also keeps sent messages in a local
// Maildir and sends drafts through an Outbox that records every attempt in
// the action log.
package drafts

import (
	"bytes"
	"cmp"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sesbox/sesbox/mailstore/xdg"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/actionlog"
	"github.com/sesbox/sesbox/mailstore/compose"
	"github.com/sesbox/sesbox/mailstore/sanitize"
)

// Meta is the part of a draft the user does not edit.
type Meta struct {
	Version int       `json:"version"`
	Created time.Time `json:"created"`
	// Mailbox, Bucket, Key and ETag name the message replied to.
	Mailbox string `json:"mailbox,omitempty"`
	Bucket  string `json:"bucket,omitempty"`
	Key     string `json:"key,omitempty"`
	ETag    string `json:"etag,omitempty"`
	// From is the sender, as "Name <addr>".
	From       string   `json:"from"`
	InReplyTo  string   `json:"inReplyTo,omitempty"`
	References []string `json:"references,omitempty"`
	// Attachments are absolute paths, read when the reply is built.
	Attachments []string `json:"attachments,omitempty"`
	// Warnings are what compose left out of the original.
	Warnings []string `json:"warnings,omitempty"`
	// Template is the SHA-256 of the text as first written, so an editor
	// session that changed nothing can be told apart.
	Template string `json:"template"`
	// Uncertain, when set, is when a send of this draft lost SES's answer
	// (RFC 3339, UTC): SES may have the message, so the Outbox does not
	// send it again unless told to (RetryUncertain).
	Uncertain string `json:"uncertain,omitempty"`
}

// Draft is one reply being written.
type Draft struct {
	ID   string
	Meta Meta
	// Text is the editable file: header lines, a blank line, the body.
	Text []byte
	dir  string
}

// Path is the editable text file, for $EDITOR.
func (d *Draft) Path() string { return filepath.Join(d.dir, d.ID+".txt") }

func (d *Draft) metaPath() string { return filepath.Join(d.dir, d.ID+".json") }

// Unchanged reports whether the text is still what NewReply wrote.
func (d *Draft) Unchanged() bool { return textHash(d.Text) == d.Meta.Template }

// Store is a directory of drafts.
type Store struct {
	dir string
}

// DefaultDir is $XDG_STATE_HOME/sesbox/drafts (~/.local/state/sesbox/drafts).
func DefaultDir() (string, error) {
	return xdg.State("drafts")
}

// Open opens (creating it, mode 0700) the drafts directory dir, never
// through a symlink: drafts hold the reply's words and the quoted mail.
func Open(dir string) (*Store, error) {
	if err := xdg.MkdirPrivate(dir); err != nil {
		return nil, fmt.Errorf("open drafts: %w", err)
	}
	return &Store{dir: dir}, nil
}

// Dir is the store's directory.
func (s *Store) Dir() string { return s.dir }

// NewReply writes a new draft for r: the header lines, then text (the
// user's words; may be empty), a blank line and the quote.
func (s *Store) NewReply(r compose.Reply, meta Meta, text string) (*Draft, error) {
	meta.Version = 1
	if meta.Created.IsZero() {
		meta.Created = time.Now().UTC()
	}
	meta.From = r.From.String()
	meta.InReplyTo, meta.References = r.InReplyTo, r.References
	meta.Warnings = r.Warnings
	body := strings.TrimRight(text, "\n") + "\n\n" + r.Quote
	if strings.TrimSpace(text) == "" {
		// Room to type above the quote.
		body = "\n\n" + r.Quote
	}
	raw := Render(Edited{To: r.To, Cc: r.Cc, Subject: r.Subject, Body: body})
	meta.Template = textHash(raw)
	id, err := newID(meta.Created)
	if err != nil {
		return nil, err
	}
	d := &Draft{ID: id, Meta: meta, Text: raw, dir: s.dir}
	return d, s.Save(d)
}

// Save writes the draft's text and metadata, each replaced atomically.
func (s *Store) Save(d *Draft) error {
	d.dir = s.dir
	m, err := json.MarshalIndent(d.Meta, "", "  ")
	if err != nil {
		return fmt.Errorf("save draft %s: %w", d.ID, err)
	}
	if err := writeAtomic(d.Path(), d.Text); err != nil {
		return fmt.Errorf("save draft %s: %w", d.ID, err)
	}
	if err := writeAtomic(d.metaPath(), append(m, '\n')); err != nil {
		return fmt.Errorf("save draft %s: %w", d.ID, err)
	}
	return nil
}

// Load reads draft id.
func (s *Store) Load(id string) (*Draft, error) {
	if !validID(id) {
		return nil, fmt.Errorf("no draft %q", sanitize.Line(id))
	}
	d := &Draft{ID: id, dir: s.dir}
	m, err := xdg.ReadPrivate(d.metaPath())
	if err == nil {
		err = json.Unmarshal(m, &d.Meta)
	}
	if err != nil {
		// The details cannot be read: when the text, the user's words,
		// can, that is said and the text kept (it read "no kept draft").
		if text, terr := xdg.ReadPrivate(d.Path()); terr == nil {
			return nil, damaged(d, text, err)
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no draft %q in %s", id, s.dir)
		}
		return nil, fmt.Errorf("load draft %s: %w", id, err)
	}
	if d.Text, err = xdg.ReadPrivate(d.Path()); err != nil {
		return nil, fmt.Errorf("load draft %s: %w", id, err)
	}
	return d, nil
}

// DamagedError is a draft whose text (ID.txt: the To, Cc and Subject
// lines and the user's words) is intact but whose details (ID.json: the
// From, the threading, the message replied to) cannot be read: damaged,
// or missing (a crash between the two writes of Save). It cannot be
// sent as it is; its text is kept, and the error says where.
type DamagedError struct {
	// Draft has the ID, the Text and, from the ID, Meta.Created; the
	// rest of Meta is unknown.
	Draft *Draft
	Err   error
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("draft %s: its text is kept in %s; its details %s cannot be read: %v", e.Draft.ID, e.Draft.Path(), e.Draft.metaPath(), e.Err)
}

func (e *DamagedError) Unwrap() error { return e.Err }

// damaged is the error of draft d (Meta unread) whose text is text and
// whose details failed with err, hint first: where the words are and
// what to do with them.
func damaged(d *Draft, text []byte, err error) error {
	d.Text = text
	if t, perr := time.Parse("20060102T150405Z", strings.SplitN(d.ID, "-", 2)[0]); perr == nil {
		d.Meta.Created = t
	}
	return &mailstore.HintError{
		Hint: fmt.Sprintf("your words are kept in %s, but the draft's details beside it (its From, its threading, the message it replies to) cannot be read, so it cannot be sent as a draft: reply to that message again (its Subject is in the file) with your words from it (sesbox reply KEY --body-file FILE), then delete this draft (sesbox drafts --delete %s)",
			d.Path(), d.ID),
		Err: &DamagedError{Draft: d, Err: err},
	}
}

// Damaged returns the drafts err names as damaged (DamagedError), as
// List and Find return them.
func Damaged(err error) []*Draft {
	var out []*Draft
	var walk func(error)
	walk = func(err error) {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		var de *DamagedError
		if errors.As(err, &de) {
			out = append(out, de.Draft)
		}
	}
	walk(err)
	return out
}

// Reload reads the text again (after an editor wrote it).
func (s *Store) Reload(d *Draft) error {
	b, err := xdg.ReadPrivate(d.Path())
	if err != nil {
		return fmt.Errorf("read draft %s: %w", d.ID, err)
	}
	d.Text = b
	return nil
}

// Delete removes draft id.
func (s *Store) Delete(id string) error {
	if !validID(id) {
		return fmt.Errorf("no draft %q", sanitize.Line(id))
	}
	d := &Draft{ID: id, dir: s.dir}
	var errs []error
	for _, p := range []string{d.Path(), d.metaPath()} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("delete draft %s: %w", id, err)
	}
	return nil
}

// List returns the drafts, oldest first. A draft that cannot be read is
// left out and named in the error, which does not hide the others.
func (s *Store) List() ([]*Draft, error) {
	// By either file: a text whose details are missing is a draft too
	// (DamagedError), never passed over.
	var ids []string
	for _, ext := range []string{".json", ".txt"} {
		names, err := filepath.Glob(filepath.Join(s.dir, "*"+ext))
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			ids = append(ids, strings.TrimSuffix(filepath.Base(n), ext))
		}
	}
	sort.Strings(ids)
	ids = slices.Compact(ids)
	var out []*Draft
	var errs []error
	for _, id := range ids {
		d, err := s.Load(id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, d)
	}
	return out, errors.Join(errs...)
}

// Of returns the kept drafts of mailbox (and those that name no mailbox),
// newest first: what the TUI's :drafts and `sesbox drafts` list. A draft
// that cannot be read is left out and named in the error, as in List.
func (s *Store) Of(mailbox string) ([]*Draft, error) {
	all, err := s.List()
	all = slices.DeleteFunc(all, func(d *Draft) bool { return d.Meta.Mailbox != mailbox && d.Meta.Mailbox != "" })
	slices.SortStableFunc(all, func(a, b *Draft) int {
		return cmp.Or(b.Meta.Created.Compare(a.Meta.Created), strings.Compare(b.ID, a.ID))
	})
	return all, err
}

// Kept is what `sesbox drafts` and the TUI's :drafts list: the kept
// drafts of mailbox, newest first (Of), and apart, newest first, those
// whose details cannot be read (DamagedError), whatever their mailbox
// (unknown): their words are kept, so they are listed, never passed over
// (the TUI's page said "None."). err names what could not be read.
func (s *Store) Kept(mailbox string) (list, damaged []*Draft, err error) {
	list, err = s.Of(mailbox)
	damaged = Damaged(err)
	slices.SortStableFunc(damaged, func(a, b *Draft) int { return b.Meta.Created.Compare(a.Meta.Created) })
	return list, damaged, err
}

// KeptReply returns the newest kept draft of a reply to the message key
// of mailbox that holds words of the user's (its text is not only what
// NewReply wrote), nil when there is none: a reply begun again (the TUI's
// r after sesbox was killed, or its terminal hung up, while the reply was
// being written) goes on with it instead of starting empty. Drafts that
// cannot be read are passed over.
func (s *Store) KeptReply(mailbox, key string) *Draft {
	all, _ := s.List()
	var kept *Draft
	for _, d := range all {
		if d.Meta.Mailbox == mailbox && d.Meta.Key == key && key != "" && !d.Unchanged() &&
			(kept == nil || !d.Meta.Created.Before(kept.Meta.Created)) {
			kept = d
		}
	}
	return kept
}

// StartReply is the one way a reply to be written in an editor begins,
// from the TUI's r and `sesbox reply` without --body-file alike: the kept
// draft of a reply to the same message with the user's words in it
// (KeptReply; kept is true), else a new draft of p with room to type.
func (s *Store) StartReply(p ReplyPlan) (d *Draft, kept bool, err error) {
	if d := s.KeptReply(p.Meta.Mailbox, p.Meta.Key); d != nil {
		return d, true, nil
	}
	d, err = s.NewReply(p.Reply, p.Meta, "")
	return d, false, err
}

// Find returns the kept draft whose id is id, or the only one whose id
// begins with it (ids are long: "20261204T1452" is enough), for `sesbox
// reply --draft` and the TUI's `:drafts ID` alike.
func (s *Store) Find(id string) (*Draft, error) {
	if validID(id) {
		d, err := s.Load(id)
		if err == nil || len(Damaged(err)) > 0 {
			return d, err
		}
	}
	all, err := s.List()
	d, ferr := Match(all, id)
	if ferr != nil {
		// A draft that could not be read may be the one meant: when
		// the only one the id begins is damaged, that is what is wrong
		// (it said "no kept draft" of a draft whose words were there).
		if dam := Damaged(err); errors.Is(ferr, mailstore.ErrNotFound) && len(dam) > 0 {
			if d, merr := Match(dam, id); merr == nil {
				_, lerr := s.Load(d.ID)
				return nil, lerr
			}
		}
		return nil, errors.Join(ferr, err)
	}
	return d, nil
}

// Match returns the draft of ds whose id is id, or the only one whose id
// begins with it; an id that begins none, or several, is an error saying so.
func Match(ds []*Draft, id string) (*Draft, error) {
	if id == "" {
		return nil, errors.New("no draft id given")
	}
	var found []*Draft
	for _, d := range ds {
		switch {
		case d.ID == id:
			return d, nil
		case strings.HasPrefix(d.ID, id):
			found = append(found, d)
		}
	}
	switch len(found) {
	case 0:
		return nil, noDraft{id}
	case 1:
		return found[0], nil
	}
	return nil, fmt.Errorf("%d kept drafts begin with %q (%s, ...): give more of the id", len(found), sanitize.Line(id), found[0].ID)
}

// NotKept is what to say of an id Find found no kept draft for (err,
// Find's error, stays in the chain: mailstore.ErrNotFound, exit 3), hint
// first: when the action log's entries (actions) record a reply sent
// from a draft with that id, or with the only id it begins, when it was
// sent, its SES message id and to whom, since a draft SES took is
// deleted (it said only "no kept draft"); otherwise how to list the kept
// drafts.
func NotKept(err error, id string, actions []actionlog.Action) error {
	var sent []actionlog.Action
	for _, a := range actions {
		if a.Command == "reply" && a.Result == "sent" && a.Draft != "" && id != "" && strings.HasPrefix(a.Draft, id) {
			sent = append(sent, a)
		}
	}
	if len(sent) == 0 || slices.ContainsFunc(sent, func(a actionlog.Action) bool { return a.Draft != sent[0].Draft }) {
		return &mailstore.HintError{Hint: "sesbox drafts lists the kept drafts and their ids", Err: err}
	}
	a := sent[len(sent)-1]
	return &mailstore.HintError{
		Hint: fmt.Sprintf("nothing to send: draft %s was sent %s (SES message id %s) to %s, and a sent draft is not kept; sesbox audit log --command reply lists the replies sent",
			a.Draft, a.Time.UTC().Format("2006-01-02 15:04:05 UTC"), sanitize.Line(a.SESMessageID), sanitize.Line(strings.Join(a.Destinations, ", "))),
		Err: err,
	}
}

// NotKeptHere is NotKept with the entries of this machine's action log
// (the replies this user sent), for `reply --draft ID` and `:drafts ID`
// alike. A log that cannot be read is no reply sent: the hint then says
// how to list the kept drafts.
func NotKeptHere(err error, id string) error {
	var actions []actionlog.Action
	if path, perr := actionlog.DefaultLogPath(); perr == nil {
		actions, _, _ = actionlog.VerifyLog(path)
	}
	return NotKept(err, id, actions)
}

// noDraft is an id that begins no kept draft. It is mailstore.ErrNotFound,
// so the CLI exits 3 for it, as for a KEY that names no message: a script
// tells a draft already sent or deleted from a store it could not read.
type noDraft struct{ id string }

func (e noDraft) Error() string        { return fmt.Sprintf("no kept draft %q", sanitize.Line(e.id)) }
func (e noDraft) Is(target error) bool { return target == mailstore.ErrNotFound }

// Heading is what a list of drafts shows of d: its To and Subject lines as
// typed (folded lines joined), read leniently so that a draft whose lines
// do not parse yet still shows what it is. The values are not sanitized.
func (d *Draft) Heading() (to, subject string) {
	head := headOf(strings.ReplaceAll(string(d.Text), "\r\n", "\n"))
	var last *string
	for _, line := range strings.Split(head, "\n") {
		if line != "" && (line[0] == ' ' || line[0] == '\t') && last != nil {
			*last += " " + strings.TrimSpace(line)
			continue
		}
		last = nil
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "to":
			to, last = strings.TrimSpace(value), &to
		case "subject":
			subject, last = strings.TrimSpace(value), &subject
		}
	}
	return to, subject
}

// headOf is the header block of a draft's text, up to the first blank line.
func headOf(text string) string {
	head, _, _ := strings.Cut(text, "\n\n")
	return head
}

// newID is a sortable, unique draft name: the creation time and 40
// random bits.
func newID(t time.Time) (string, error) {
	var b [5]byte
	if _, err := crand.Read(b[:]); err != nil {
		return "", fmt.Errorf("new draft: %w", err)
	}
	return t.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:]), nil
}

// validID keeps ids to the characters newID writes: an id from the
// command line must never name a path outside the store.
func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
			return false
		}
	}
	return true
}

func textHash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// writeAtomic writes data to path (mode 0600) through a temporary file in
// the same directory, fsynced and renamed over path.
func writeAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op once renamed
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Edited is what the user controls in a draft.
type Edited struct {
	To, Cc  []mail.Address
	Subject string
	Body    string
}

// Render writes e as a draft's text: "To:", "Cc:" and "Subject:" lines,
// a blank line, the body.
func Render(e Edited) []byte {
	var b bytes.Buffer
	b.WriteString("To: " + compose.FormatAddressList(e.To) + "\n")
	b.WriteString("Cc: " + compose.FormatAddressList(e.Cc) + "\n")
	b.WriteString("Subject: " + e.Subject + "\n\n")
	b.WriteString(e.Body)
	return b.Bytes()
}

// ErrNoHeader is returned when a draft's text has no header lines.
var ErrNoHeader = errors.New("the draft has no To/Cc/Subject lines above the body")

// Parse reads a draft's text back: the header lines (To, Cc, Subject, in
// any order, folded lines allowed) up to the first blank line, then the
// body. Another field name is an error rather than something silently
// dropped, and so is a To or Cc line that does not parse.
func Parse(text []byte) (Edited, error) {
	var e Edited
	s := strings.ReplaceAll(string(text), "\r\n", "\n")
	head, body, found := strings.Cut(s, "\n\n")
	if !found {
		head, body = strings.TrimRight(s, "\n"), ""
	}
	e.Body = body
	var fields []struct{ name, value string }
	for i, line := range strings.Split(head, "\n") {
		if line != "" && (line[0] == ' ' || line[0] == '\t') && len(fields) > 0 {
			fields[len(fields)-1].value += " " + strings.TrimSpace(line)
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			if i == 0 {
				return Edited{}, ErrNoHeader
			}
			return Edited{}, fmt.Errorf("line %d of the draft is neither a header line nor blank: %q (leave one blank line between the header lines and the body)", i+1, sanitize.Line(line))
		}
		fields = append(fields, struct{ name, value string }{name, strings.TrimSpace(value)})
	}
	seen := map[string]bool{}
	for _, f := range fields {
		key := strings.ToLower(f.name)
		if seen[key] {
			return Edited{}, fmt.Errorf("the draft has two %s lines", f.name)
		}
		seen[key] = true
		var err error
		switch key {
		case "to":
			e.To, err = compose.ParseAddressList(f.value)
		case "cc":
			e.Cc, err = compose.ParseAddressList(f.value)
		case "subject":
			e.Subject = sanitize.HeaderValue(f.value)
		default:
			return Edited{}, fmt.Errorf("the draft has a %q line: only To, Cc and Subject can be edited", sanitize.Line(f.name))
		}
		if err != nil {
			return Edited{}, fmt.Errorf("%s: %w", f.name, err)
		}
	}
	if !seen["to"] {
		return Edited{}, errors.New("the draft has no To line")
	}
	return e, nil
}
