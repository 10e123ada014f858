package actionlog

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"sync"
	"time"

	"github.com/gofrs/flock"

	"github.com/sesbox/sesbox/mailstore/xdg"
)

// Action is one line of $XDG_STATE_HOME/sesbox/actions.jsonl.
type Action struct {
	Time         time.Time `json:"time"`
	User         string    `json:"user"`
	Host         string    `json:"host"`
	Command      string    `json:"command"` // "reply", "forward", ...
	Bucket       string    `json:"bucket"`
	Key          string    `json:"key"`
	ETag         string    `json:"etag"`
	SHA256       string    `json:"sha256"` // of the exact bytes sent
	Destinations []string  `json:"destinations"`
	SESMessageID string    `json:"sesMessageId"`
	Result       string    `json:"result"` // "sent" or "failed: ..."
	// MessageID is the Message-ID header of what was sent, when sesbox
	// wrote it (replies; SES gives forwards its own), so a bounce that
	// quotes it can be matched to the send.
	MessageID string `json:"messageId,omitempty"`
	// Draft is the id of the kept draft a reply was sent from, so that
	// `sesbox reply --draft ID` after the send can say when it went
	// (the draft itself is deleted once SES has it).
	Draft string `json:"draft,omitempty"`
	// Simulator marks a send to the SES mailbox simulator only.
	Simulator bool `json:"simulator,omitempty"`
	// Note says how an entry came to be written other than by the run it
	// records (team mode, docs/team.md "When a send's record is lost"):
	// a send republished from its machine's forward journal after its
	// shared entry was lost, or, on a "resolve" entry (an operator's
	// decision on a send in doubt, Result "sent" or "not sent"), what
	// was known when it was made.
	Note string `json:"note,omitempty"`
	// Export describes an export (Command "export"): what was exported,
	// to what kind of file, how many messages and the manifest's hash.
	Export *ExportAction `json:"export,omitempty"`
	// Origin, in a shared log (team mode) only, is the hash of the first
	// line of the local log the same action went to (Tee): an action the
	// shared log holds under this log's origin and the log itself lacks was
	// removed from it (VerifyAgainstShared), even if its head was rewritten.
	Origin string `json:"origin,omitempty"`
	Prev   string `json:"prev"` // SHA-256 of the previous line (hash chain)
	// Seq is the 1-based position of the line in the log, set by Append.
	// With Prev it lets VerifyLog tell an edited line from a removed one.
	Seq int64 `json:"seq"`
}

// ExportAction is what the action log records of an export. It names no
// local path: a shared log (team mode) holds keys, ids, hashes, addresses
// and outcomes only.
type ExportAction struct {
	// What chose the messages: the query, or how the TUI chose them
	// ("marked in the TUI"); empty for every message under the prefix.
	What string `json:"what"`
	// Kind is the destination kind: "mbox" or "maildir".
	Kind string `json:"kind"`
	// Count is the number of messages written, Failed of those that
	// could not be read (the manifest's trailer lists them).
	Count  int64 `json:"count"`
	Failed int   `json:"failed,omitempty"`
	// FailedSHA256 is the hash of the trailer's list of objects not read
	// (audit.FailedDigest), and Vanished its count of objects deleted
	// while the run read: the parts of a manifest its entries hash does
	// not cover. Entries written before they existed have neither.
	FailedSHA256 string `json:"failedSha256,omitempty"`
	Vanished     int64  `json:"vanished,omitempty"`
	// ManifestSHA256 is the manifest's entries hash (its trailer's
	// entriesSha256), which `sesbox export` prints.
	ManifestSHA256 string `json:"manifestSha256"`
	// Started is the manifest header's started time (RFC 3339, UTC, with
	// nanoseconds): which manifest the entry is about, so `audit verify`
	// can tell a manifest edited with its trailer recomputed from one that
	// was never logged.
	Started string `json:"started,omitempty"`
	// HeaderSHA256 is the manifest's header line hash (its trailer's
	// headerSha256): a header edited with the trailer's copy removed still
	// differs from it. Entries written before it existed have none.
	HeaderSHA256 string `json:"headerSha256,omitempty"`
	// TrailerSHA256 is the manifest's trailer hash (its trailerSha256),
	// which covers the rest of the trailer: a trailer edited and its hash
	// recomputed still differs from it. Entries written before it existed
	// have none.
	TrailerSHA256 string `json:"trailerSha256,omitempty"`
	// AsOf is the past date (RFC 3339, UTC) the manifest speaks for, when
	// it was rebuilt from the bucket's versions (`--as-of`); empty for
	// the bucket as it was when the run read it.
	AsOf string `json:"asOf,omitempty"`
}

// Problem is one thing VerifyLog found wrong with the log.
type Problem struct {
	// Line is the 1-based line of the log the problem is at, 0 when it
	// concerns the file as a whole (its tail, its head file).
	Line int `json:"line"`
	// Kind is one of "edited", "removed", "reordered", "truncated",
	// "malformed", "appended", "head", "replaced" (the log is a symlink or
	// not a regular file).
	Kind   string `json:"kind"`
	Detail string `json:"detail"`
	// Item names the record of a shared log (team mode) the problem is
	// at; Line is then its sequence number.
	Item string `json:"item,omitempty"`
}

func (p Problem) String() string {
	if p.Item != "" {
		return fmt.Sprintf("item %s: %s: %s", p.Item, p.Kind, p.Detail)
	}
	if p.Line == 0 {
		return p.Kind + ": " + p.Detail
	}
	return fmt.Sprintf("line %d: %s: %s", p.Line, p.Kind, p.Detail)
}

// The action log is a hash chain: each line carries the SHA-256 (hex) of the
// exact bytes of the line before it, without its newline; the first line's
// Prev is empty. A chain alone cannot show that lines were cut off the end,
// so beside the log sits a head file (path + ".head") holding the number of
// lines, the hash of the last one and the log's size, replaced atomically
// (write, fsync, rename) after every append.
//
// Limits, stated honestly: both files belong to the operator's own account,
// so whoever can write them can rewrite the whole chain and the head
// consistently, or delete both. The chain detects edits, removals,
// reordering and truncation made without recomputing every later hash; to
// make the log evidence against its own author, record the head hash
// (`sesbox audit log --verify` prints it) somewhere the author cannot
// write, or ship the log off the machine.

// head is the sidecar file's content.
type head struct {
	Count int64  `json:"count"`
	Last  string `json:"last"` // hash of the last line
	Size  int64  `json:"size"` // size of the log after the last append
	// Pending is the hash of the line an append is about to write, set in
	// the head before the line and cleared after it. A crash between the
	// line and the head that counts it leaves one line more than the head
	// counts; when that line's hash is Pending, it is the line sesbox
	// meant to write, not one added without it.
	Pending string `json:"pending,omitempty"`
	// Anomalies are mismatches between head and log that Append found and
	// wrote past; they are kept forever so that appending does not hide them.
	Anomalies []string `json:"anomalies,omitempty"`
}

// HeadPath is the path of the head file that goes with the log at path.
func HeadPath(path string) string { return path + ".head" }

// DefaultLogPath is $XDG_STATE_HOME/sesbox/actions.jsonl, or
// ~/.local/state/sesbox/actions.jsonl when XDG_STATE_HOME is unset.
func DefaultLogPath() (string, error) { return xdg.State("actions.jsonl") }

// Log appends actions to the log file. It is safe for concurrent use, and
// several processes may append to the same log: each Append holds an
// exclusive lock (xdg.Lock) while it reads the tail and writes.
type Log struct {
	mu   sync.Mutex
	f    *os.File
	lock *flock.Flock
	path string
}

// OpenLog opens (creating it and its directory, modes 0600 and 0700) the
// action log at path for appending.
func OpenLog(path string) (*Log, error) {
	// Never through a linked directory either (see below).
	if err := xdg.MkdirPrivate(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("open action log: %w", err)
	}
	lock, err := xdg.Lock(path)
	if err != nil {
		return nil, fmt.Errorf("open action log: %w", err)
	}
	// Never through a symlink (nor anything but a regular file): a log
	// replaced by a link would have sesbox append its chain to wherever
	// the link points.
	f, err := xdg.OpenPrivate(path, os.O_RDWR|os.O_CREATE|os.O_APPEND)
	if err != nil {
		return nil, fmt.Errorf("open action log: %w", err)
	}
	return &Log{f: f, lock: lock, path: path}, nil
}

// Close closes the log.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// Append writes a as the next line of the log. It fills Time (UTC), User
// and Host when they are empty, and always sets Prev and Seq; the line is
// fsynced, and the head file replaced, before Append returns.
func (l *Log) Append(a Action) error {
	_, err := l.appendOrigin(a)
	return err
}

// appendOrigin is Append, and also returns the log's origin: the hash of
// its first line (Action.Origin).
func (l *Log) appendOrigin(a Action) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return "", errors.New("append to action log: log is closed")
	}
	a = a.stamped()
	a.Origin = "" // a shared log's field: the local line is its own origin
	if err := l.lock.Lock(); err != nil {
		return "", fmt.Errorf("lock action log %s: %w", l.path, err)
	}
	defer l.lock.Unlock()
	origin, err := l.append(a)
	if err != nil {
		return "", fmt.Errorf("append to action log %s: %w", l.path, err)
	}
	return origin, nil
}

func (l *Log) append(a Action) (string, error) {
	st, err := l.f.Stat()
	if err != nil {
		return "", err
	}
	size := st.Size()
	last, lastEnded, err := lastLine(l.f, size)
	if err != nil {
		return "", err
	}
	h, headErr := readHead(HeadPath(l.path))
	lastHash := ""
	if size > 0 {
		lastHash = lineHash(last)
	}
	var count int64
	switch {
	case headErr == nil && h.Size == size && h.Last == lastHash:
		count = h.Count
	case headErr == nil && h.Pending != "" && h.Pending == lastHash:
		// The last append wrote its line and stopped before its head.
		if count, err = countLines(l.f); err != nil {
			return "", err
		}
		if count != h.Count+1 {
			h.Anomalies = append(h.Anomalies, fmt.Sprintf("%s: head recorded %d lines and one being written but the log had %d lines",
				time.Now().UTC().Format(time.RFC3339), h.Count, count))
		}
	default:
		// The head does not describe this file (first append, or someone
		// changed one of the two): count for real, and remember the
		// mismatch so the next verify still reports it.
		if count, err = countLines(l.f); err != nil {
			return "", err
		}
		switch {
		case errors.Is(headErr, os.ErrNotExist) && size == 0:
			// a new log
		case errors.Is(headErr, os.ErrNotExist):
			h.Anomalies = append(h.Anomalies, fmt.Sprintf("%s: head file missing while the log had %d lines", time.Now().UTC().Format(time.RFC3339), count))
		case headErr != nil:
			h = head{Anomalies: []string{fmt.Sprintf("%s: head file unreadable (%v) while the log had %d lines", time.Now().UTC().Format(time.RFC3339), headErr, count)}}
		default:
			h.Anomalies = append(h.Anomalies, fmt.Sprintf("%s: head recorded %d lines (%d bytes, last %s) but the log had %d lines (%d bytes, last %s)",
				time.Now().UTC().Format(time.RFC3339), h.Count, h.Size, short(h.Last), count, size, short(lastHash)))
		}
	}
	a.Prev = lastHash
	a.Seq = count + 1
	line, err := marshalLine(a)
	if err != nil {
		return "", err
	}
	buf := make([]byte, 0, len(line)+2)
	if size > 0 && !lastEnded {
		// A torn line left by a crash: end it so it stays a line of its own
		// (verify reports it as malformed) and the chain runs through it.
		buf = append(buf, '\n')
	}
	buf = append(buf, line...)
	buf = append(buf, '\n')
	// The head names the line before the line exists, so that a crash
	// between the two leaves no false "appended" (see head.Pending).
	h.Count, h.Last, h.Size, h.Pending = count, lastHash, size, lineHash(line)
	if err := writeHead(HeadPath(l.path), h); err != nil {
		return "", err
	}
	if _, err := l.f.Write(buf); err != nil {
		return "", err
	}
	if err := l.f.Sync(); err != nil {
		return "", err
	}
	if err := crashAfterLine(); err != nil {
		return "", err
	}
	h.Count, h.Last, h.Size, h.Pending = a.Seq, lineHash(line), size+int64(len(buf)), ""
	if err := writeHead(HeadPath(l.path), h); err != nil {
		return "", err
	}
	if size == 0 {
		return lineHash(line), nil
	}
	first, err := firstLine(l.f)
	if err != nil {
		return "", err
	}
	return lineHash(first), nil
}

// crashAfterLine is where a test stops an append between its line and its
// head, as a crash would.
var crashAfterLine = func() error { return nil }

// firstLine returns the first line of f, without its newline.
func firstLine(f *os.File) ([]byte, error) {
	var line []byte
	buf := make([]byte, 4<<10)
	for off := int64(0); ; {
		n, err := f.ReadAt(buf, off)
		if i := bytes.IndexByte(buf[:n], '\n'); i >= 0 {
			return append(line, buf[:i]...), nil
		}
		line = append(line, buf[:n]...)
		off += int64(n)
		if errors.Is(err, io.EOF) {
			return line, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// VerifyLog reads the log at path and checks its chain, its sequence
// numbers and its head file. It returns every line that parses, in order,
// and the problems found; the error is for I/O only. A log that does not
// exist, with no head file either, is an empty log.
func VerifyLog(path string) ([]Action, []Problem, error) {
	var replaced []Problem
	if _, err := xdg.FileExists(path); err != nil {
		// sesbox never makes its log a link or anything but a file: it was
		// replaced. What it leads to is still read and checked.
		to, _ := os.Readlink(path)
		detail := "the log is not a regular file (" + err.Error() + "): it was replaced"
		if to != "" {
			detail = "the log is a symbolic link to " + to + ": sesbox never writes its log through a link, it was replaced"
		}
		replaced = append(replaced, newProblem(0, "replaced", detail))
	}
	// OpenLog refuses a linked state directory; a log and head found
	// behind one were written by whoever made the link.
	if link, to := xdg.OwnDirLink(filepath.Dir(path)); link != "" {
		replaced = append(replaced, newProblem(0, "replaced", "the log's directory "+link+" is a symbolic link to "+to+": sesbox never keeps its log behind a link, it was replaced"))
	}
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("read action log: %w", err)
	}
	logMissing := err != nil
	h, headErr := readHead(HeadPath(path))
	if headErr != nil && !errors.Is(headErr, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("read action log head: %w", headErr)
	}
	var (
		actions  []Action
		problems []Problem
	)
	lines := bytes.SplitAfter(data, []byte("\n"))
	if n := len(lines); n > 0 && len(lines[n-1]) == 0 {
		lines = lines[:n-1]
	}
	hashes := make([]string, len(lines))
	where := make(map[string]int, len(lines)) // line hash -> 1-based line
	for i, ln := range lines {
		hashes[i] = lineHash(bytes.TrimSuffix(ln, []byte("\n")))
		where[hashes[i]] = i + 1
	}
	prevSeq := int64(0)
	for i, raw := range lines {
		n := i + 1
		if !bytes.HasSuffix(raw, []byte("\n")) {
			problems = append(problems, newProblem(n, "truncated", "the last line is incomplete (no newline): a write was cut short or the file was cut"))
		}
		var a Action
		if err := json.Unmarshal(bytes.TrimSuffix(raw, []byte("\n")), &a); err != nil {
			problems = append(problems, newProblem(n, "malformed", "not a JSON action: "+err.Error()))
			prevSeq++
			continue
		}
		actions = append(actions, a)
		want := ""
		if i > 0 {
			want = hashes[i-1]
		}
		if a.Prev != want {
			j, known := where[a.Prev]
			switch {
			case known && j != i:
				problems = append(problems, newProblem(n, "reordered", fmt.Sprintf("this line was written after line %d, not after line %d", j, i)))
			case i == 0:
				problems = append(problems, newProblem(n, "removed", fmt.Sprintf("the log should start with an earlier line (this is entry %d): lines were removed from the start", a.Seq)))
			case a.Seq == prevSeq+1:
				problems = append(problems, newProblem(i, "edited", fmt.Sprintf("line %d was changed after line %d was written (its hash no longer matches)", i, n)))
			case a.Seq > prevSeq+1:
				problems = append(problems, newProblem(n, "removed", fmt.Sprintf("%d line(s) missing before this line (entries %d-%d)", a.Seq-prevSeq-1, prevSeq+1, a.Seq-1)))
			default:
				problems = append(problems, newProblem(n, "edited", fmt.Sprintf("the chain breaks before this line (entry %d after entry %d)", a.Seq, prevSeq)))
			}
		} else if a.Seq != prevSeq+1 && a.Seq != 0 {
			// The chain holds but the numbering does not: a line was edited
			// and every later hash recomputed, or numbers were rewritten.
			problems = append(problems, newProblem(n, "edited", fmt.Sprintf("entry number %d follows %d", a.Seq, prevSeq)))
		}
		prevSeq = a.Seq
	}

	count := int64(len(lines))
	last := ""
	if count > 0 {
		last = hashes[count-1]
	}
	switch {
	case errors.Is(headErr, os.ErrNotExist):
		if count > 0 {
			problems = append(problems, newProblem(0, "head", fmt.Sprintf("%s is missing: lines cut off the end of the log cannot be detected", HeadPath(path))))
		}
	case logMissing:
		problems = append(problems, newProblem(0, "truncated", fmt.Sprintf("the log is missing but its head records %d lines", h.Count)))
	case h.Count > count:
		problems = append(problems, newProblem(0, "truncated", fmt.Sprintf("the head records %d lines but the log has %d: the tail was removed", h.Count, count)))
	case h.Count+1 == count && h.Pending != "" && h.Pending == last:
		// sesbox's own line, written by an append that stopped before
		// its head (head.Pending): the next append counts it.
	case h.Count < count:
		problems = append(problems, newProblem(0, "appended", fmt.Sprintf("the log has %d lines but the head records %d: lines were added without sesbox", count, h.Count)))
	case h.Last != last:
		problems = append(problems, newProblem(int(count), "edited", "the last line does not match the hash in the head: it was changed"))
	}
	for _, an := range h.Anomalies {
		problems = append(problems, newProblem(0, "head", "found while appending: "+an))
	}
	return actions, append(replaced, problems...), nil
}

// LogHead returns the line count and the hash of the last line as the head
// file records them, for publishing somewhere the log's owner cannot write.
func LogHead(path string) (count int64, last string, err error) {
	h, err := readHead(HeadPath(path))
	if err != nil {
		return 0, "", fmt.Errorf("read action log head: %w", err)
	}
	return h.Count, h.Last, nil
}

func lineHash(line []byte) string {
	sum := sha256.Sum256(line)
	return hex.EncodeToString(sum[:])
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	if h == "" {
		return "(none)"
	}
	return h
}

// stamped fills in what the caller may leave unset: Time (now, in UTC),
// User, Host and an empty Destinations list.
func (a Action) stamped() Action {
	if a.Time.IsZero() {
		a.Time = time.Now()
	}
	a.Time = a.Time.UTC()
	if a.User == "" {
		a.User = currentUser()
	}
	if a.Host == "" {
		a.Host, _ = os.Hostname()
	}
	if a.Destinations == nil {
		a.Destinations = []string{}
	}
	return a
}

func currentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	for _, v := range []string{"USER", "LOGNAME", "USERNAME"} {
		if s := os.Getenv(v); s != "" {
			return s
		}
	}
	return ""
}

// lastLine returns the last line of f (without its newline) and whether it
// ended with one, reading backwards from size in chunks.
func lastLine(f *os.File, size int64) ([]byte, bool, error) {
	if size == 0 {
		return nil, true, nil
	}
	const chunk = 8 << 10
	var tail []byte
	end := size
	for end > 0 {
		start := max(end-chunk, 0)
		buf := make([]byte, end-start)
		if _, err := f.ReadAt(buf, start); err != nil && !errors.Is(err, io.EOF) {
			return nil, false, err
		}
		tail = append(buf, tail...)
		end = start
		body := tail
		if start+int64(len(tail)) == size && bytes.HasSuffix(body, []byte("\n")) {
			body = body[:len(body)-1]
		}
		if i := bytes.LastIndexByte(body, '\n'); i >= 0 {
			tail = tail[i+1:]
			break
		}
	}
	if bytes.HasSuffix(tail, []byte("\n")) {
		return tail[:len(tail)-1], true, nil
	}
	return tail, false, nil
}

// countLines counts lines, a final one without newline included.
func countLines(f *os.File) (int64, error) {
	r := io.NewSectionReader(f, 0, 1<<62)
	buf := make([]byte, 64<<10)
	var (
		n    int64
		last byte = '\n'
	)
	for {
		k, err := r.Read(buf)
		n += int64(bytes.Count(buf[:k], []byte("\n")))
		if k > 0 {
			last = buf[k-1]
		}
		if errors.Is(err, io.EOF) {
			if last != '\n' {
				n++
			}
			return n, nil
		}
		if err != nil {
			return 0, err
		}
	}
}

func readHead(path string) (head, error) {
	var h head
	data, err := os.ReadFile(path)
	if err != nil {
		return h, err
	}
	if err := json.Unmarshal(data, &h); err != nil {
		return head{}, fmt.Errorf("parse %s: %w", path, err)
	}
	return h, nil
}

// writeHead replaces the head file atomically: a reader sees the old head
// or the new one, never a mix.
func writeHead(path string, h head) error {
	data, err := json.Marshal(h)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename this fails harmlessly
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // best effort: not every filesystem syncs directories
		d.Close()
	}
	return nil
}

func newProblem(line int, kind, detail string) Problem {
	return Problem{Line: line, Kind: kind, Detail: detail}
}
