package forward

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gofrs/flock"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/sanitize"
	"github.com/sesbox/sesbox/mailstore/sesaccount"
	"github.com/sesbox/sesbox/mailstore/xdg"
)

// The states of a forward attempt, in the order a bulk run records them.
const (
	StatePlanned = "planned" // chosen for sending; nothing sent yet
	StateSending = "sending" // the send is about to start: its outcome is unknown until the next record
	StateSent    = "sent"    // SES accepted the message (SESMessageID is set)
	StateFailed  = "failed"  // SES refused or the send failed before reaching it (Error says why)
)

// ErrJournalBusy is returned (wrapped) by OpenJournal when another process
// has the journal open.
var ErrJournalBusy = errors.New("forward journal is in use by another process")

// Entry is one record of the journal: the state of forwarding one stored
// object version (bucket, key, ETag) to one set of destinations.
type Entry struct {
	Bucket       string    `json:"bucket"`
	Key          string    `json:"key"`
	ETag         string    `json:"etag"`
	Destinations []string  `json:"destinations"`
	State        string    `json:"state"`
	SESMessageID string    `json:"sesMessageId,omitempty"`
	Error        string    `json:"error,omitempty"`
	Time         time.Time `json:"time"`
	// Simulator marks a send to the SES mailbox simulator only: a
	// rehearsal, not mail to a person.
	Simulator bool `json:"simulator,omitempty"`
	// Refused marks a "failed" send SES refused for the message itself
	// (mailstore.ErrMessageRefused), which it would refuse again: a later
	// run does not send it unless asked to (--retry-refused). An older
	// sesbox, which reads no such field, sends it again as any failure.
	Refused bool `json:"refused,omitempty"`
}

// Journal records each forward attempt so a message is never sent twice. It
// is an append-only JSON Lines file; the last record of an entry is its
// state. A bulk run records "sending" before it calls SES and "sent" or
// "failed" after, so an entry left "sending" by a crash is known to be in
// doubt rather than silently retried.
//
// A Journal is safe for concurrent use. It also holds an exclusive lock
// (xdg.Lock) while open, so two runs cannot share it.
type Journal struct {
	mu      sync.Mutex
	f       *os.File
	lock    *flock.Flock
	path    string
	entries map[string]Entry
	err     error // a failed append: the file may end in a torn line, so no more writes
	// lastSend is the latest "sending" record, of any run: where a new
	// run's pacing starts (LastSend).
	lastSend *Entry
}

// noteSend remembers e when it is the latest "sending" record.
func (j *Journal) noteSend(e Entry) {
	if e.State == StateSending && (j.lastSend == nil || !e.Time.Before(j.lastSend.Time)) {
		j.lastSend = &e
	}
}

// LastSend returns when the latest send recorded in the journal started
// (by this run or an earlier one) and to how many destinations, so a run
// that starts right after another keeps to the send rate across both.
func (j *Journal) LastSend() (time.Time, int, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.lastSend == nil {
		return time.Time{}, 0, false
	}
	return j.lastSend.Time, len(j.lastSend.Destinations), true
}

// OpenJournal opens the journal at path, creating it (and its directories,
// mode 0700) as a file of mode 0600 if needed, and replays it. A torn last
// line, left by a process killed in the middle of a write, is cut off; a
// last line that is complete but lacks its newline is kept and terminated.
// Any other unreadable line is an error: the journal is what stops double
// sends, so it is never half-trusted.
func OpenJournal(path string) (*Journal, error) {
	dir := filepath.Dir(path)
	// Never through a linked directory: the journal is what stops
	// double sends.
	if err := xdg.MkdirPrivate(dir); err != nil {
		return nil, fmt.Errorf("open forward journal: %w", err)
	}
	lock, err := xdg.Lock(path)
	if err != nil {
		return nil, fmt.Errorf("open forward journal: %w", err)
	}
	switch locked, err := lock.TryLock(); {
	case err != nil:
		return nil, fmt.Errorf("open forward journal %s: %w", path, err)
	case !locked:
		return nil, &mailstore.HintError{
			Hint: "another sesbox forward run (or the TUI's forward screen) is sending from this machine: wait for it to end, then " + mailstore.RunAgain + "; what it sent is skipped",
			Err:  fmt.Errorf("open forward journal %s: %w", path, ErrJournalBusy),
		}
	}
	// Never through a symlink: the journal is what stops double sends, and
	// one read from (and appended to) wherever a link points is not ours.
	exists, err := xdg.FileExists(path)
	if err != nil {
		lock.Unlock()
		return nil, fmt.Errorf("open forward journal: %w", err)
	}
	created := !exists
	f, err := xdg.OpenPrivate(path, os.O_RDWR|os.O_CREATE|os.O_APPEND)
	if err != nil {
		lock.Unlock()
		return nil, fmt.Errorf("open forward journal: %w", err)
	}
	j := &Journal{f: f, lock: lock, path: path, entries: make(map[string]Entry)}
	if err := j.open(created); err != nil {
		f.Close()
		lock.Unlock()
		return nil, fmt.Errorf("open forward journal %s: %w", path, err)
	}
	return j, nil
}

func (j *Journal) open(created bool) error {
	if created {
		// Make the new file's name durable too, not only its contents.
		if d, err := os.Open(filepath.Dir(j.path)); err == nil {
			_ = d.Sync() // best effort: not every system can sync a directory
			d.Close()
		}
	}
	data, err := io.ReadAll(j.f)
	if err != nil {
		return err
	}
	tail, off, err := j.replay(data)
	if err != nil || tail == nil {
		return err
	}
	return j.endTornLine(tail, int64(off))
}

// replay reads data's complete lines into the entries. It returns a last
// line without its newline, and where it starts; nil when there is none.
func (j *Journal) replay(data []byte) (tail []byte, off int, err error) {
	for n := 1; off < len(data); n++ {
		nl := bytes.IndexByte(data[off:], '\n')
		if nl < 0 {
			return data[off:], off, nil
		}
		line := bytes.TrimSpace(data[off : off+nl])
		off += nl + 1
		if len(line) == 0 {
			continue
		}
		e, err := decodeEntry(line)
		if err != nil {
			// Never skipped (a skipped "sent" would send again), and
			// never mended by sesbox: only the user can tell what the
			// line said.
			return nil, off, &mailstore.HintError{
				Hint: fmt.Sprintf("line %d of the forward journal %s is damaged, and no forward runs while sesbox cannot tell what it recorded — look at that line (a message it names may have been sent: check the recipients' mail), correct or delete it, then run again", n, j.path),
				Err:  fmt.Errorf("line %d: %w", n, err),
			}
		}
		j.entries[entryKey(e.Bucket, e.Key, e.ETag, e.Destinations)] = e
		j.noteSend(e)
	}
	return nil, off, nil
}

// ReadJournal replays the journal at path without its lock and without
// changing it, for a dry run to say what a run would skip: a run may hold
// it open meanwhile. A missing journal is empty; a last line without its
// newline (being written, or torn) is read when it is whole and left out
// when not; any other unreadable line is an error, as for OpenJournal.
// The Journal it returns records nothing.
func ReadJournal(path string) (*Journal, error) {
	j := &Journal{path: path, entries: make(map[string]Entry), err: errors.New("read only (a dry run)")}
	exists, err := xdg.FileExists(path) // never through a symlink
	if err != nil || !exists {
		if err != nil {
			return nil, fmt.Errorf("read forward journal: %w", err)
		}
		return j, nil
	}
	f, err := xdg.OpenPrivate(path, os.O_RDONLY)
	if err != nil {
		return nil, fmt.Errorf("read forward journal: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("read forward journal %s: %w", path, err)
	}
	tail, _, err := j.replay(data)
	if err != nil {
		return nil, fmt.Errorf("read forward journal %s: %w", path, err)
	}
	if tail != nil {
		if e, err := decodeEntry(bytes.TrimSpace(tail)); err == nil {
			j.entries[entryKey(e.Bucket, e.Key, e.ETag, e.Destinations)] = e
			j.noteSend(e)
		}
	}
	return j, nil
}

// endTornLine deals with a last line that has no newline.
func (j *Journal) endTornLine(tail []byte, off int64) error {
	if e, err := decodeEntry(bytes.TrimSpace(tail)); err == nil {
		// The whole record reached the file: keep it, it may say "sending".
		if _, err := j.f.Write([]byte("\n")); err != nil {
			return err
		}
		j.entries[entryKey(e.Bucket, e.Key, e.ETag, e.Destinations)] = e
		j.noteSend(e)
	} else if err := j.f.Truncate(off); err != nil {
		return err
	}
	return j.f.Sync()
}

func decodeEntry(line []byte) (Entry, error) {
	var e Entry
	if err := json.Unmarshal(line, &e); err != nil {
		return Entry{}, err
	}
	if err := e.validate(); err != nil {
		return Entry{}, err
	}
	return e, nil
}

func (e Entry) validate() error {
	switch e.State {
	case StatePlanned, StateSending, StateSent, StateFailed:
	default:
		return fmt.Errorf("unknown state %q", e.State)
	}
	if e.Bucket == "" || e.Key == "" {
		return errors.New("entry without bucket or key")
	}
	if len(e.Destinations) == 0 {
		return errors.New("entry without destinations")
	}
	for _, s := range append([]string{e.Bucket, e.Key, e.ETag}, e.Destinations...) {
		if !utf8.ValidString(s) {
			return fmt.Errorf("%q is not UTF-8", s)
		}
	}
	return nil
}

// Lookup returns the latest record for the object version and destinations.
// Destinations are compared as a set: order and duplicates do not matter.
// Quotes around the ETag, as S3 returns it, are ignored.
func (j *Journal) Lookup(bucket, key, etag string, dests []string) (Entry, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	e, ok := j.entries[entryKey(bucket, key, etag, dests)]
	if !ok {
		return Entry{}, false
	}
	e.Destinations = slices.Clone(e.Destinations)
	return e, true
}

// Record appends e to the journal and syncs the file to disk before it
// returns, so a "sending" record is durable before the send starts. A zero
// Time is set to now. After a failed write the journal refuses further
// records: the file may end in a torn line, and a run that cannot record
// must not send.
func (j *Journal) Record(e Entry) error {
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	e.Destinations = slices.Clone(e.Destinations)
	if err := e.validate(); err != nil {
		return fmt.Errorf("record in forward journal: %w", err)
	}
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("record in forward journal: %w", err)
	}
	// Keys come from the bucket: their bidirectional and C1 controls are
	// written as \uXXXX, read back as the same key (sanitize.JSON).
	line = append(sanitize.JSON(line), '\n')

	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return fmt.Errorf("record in forward journal %s: an earlier write failed: %w", j.path, j.err)
	}
	if j.f == nil {
		return fmt.Errorf("record in forward journal %s: %w", j.path, os.ErrClosed)
	}
	if _, err := j.f.Write(line); err != nil {
		j.err = err
		return fmt.Errorf("record in forward journal %s: %w", j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		j.err = err
		return fmt.Errorf("record in forward journal %s: %w", j.path, err)
	}
	j.entries[entryKey(e.Bucket, e.Key, e.ETag, e.Destinations)] = e
	j.noteSend(e)
	return nil
}

// Close closes the file, which also releases the lock.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	if uerr := j.lock.Unlock(); err == nil {
		err = uerr
	}
	if err != nil {
		return fmt.Errorf("close forward journal %s: %w", j.path, err)
	}
	return nil
}

// entryKey identifies an entry: each part is length-prefixed so no choice of
// bucket, key or address can make two different entries collide. The
// destinations are a set of mailboxes: c@X.example and c@x.example are
// one (sesaccount.AddressKey), so a send is found whichever way a later
// run spells the domain.
func entryKey(bucket, key, etag string, dests []string) string {
	set := make([]string, len(dests))
	for i, d := range dests {
		set[i] = sesaccount.AddressKey(d)
	}
	slices.Sort(set)
	set = slices.Compact(set)
	var b strings.Builder
	for _, s := range append([]string{bucket, key, strings.Trim(etag, `"`)}, set...) {
		b.WriteString(strconv.Itoa(len(s)))
		b.WriteByte(':')
		b.WriteString(s)
	}
	return b.String()
}
