package audit

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/mailstore/sanitize"
)

// ManifestFormat names the manifest layout in its header line.
const ManifestFormat = "sesbox-manifest/1"

// A manifest is JSON Lines: a Header line, one Entry line per object in
// key order, and a Trailer line whose EntriesSHA256 is the SHA-256 of the
// exact bytes of all entry lines (newlines included), so that
//
//	sed '1d;$d' manifest.jsonl | sha256sum
//
// reproduces it, and the manifest as a whole can be signed or its trailer
// hash recorded elsewhere.

// Header is the first line of a manifest: what was read, from where, when.
type Header struct {
	Record        string    `json:"record"` // "header"
	Format        string    `json:"format"`
	Kind          string    `json:"kind"` // "snapshot" or "export"
	Bucket        string    `json:"bucket"`
	Prefix        string    `json:"prefix"`
	Region        string    `json:"region,omitempty"`
	Endpoint      string    `json:"endpoint,omitempty"`
	Started       time.Time `json:"started"`
	SesboxVersion string    `json:"sesboxVersion"`
	// Versioning is the bucket's versioning status when the run started:
	// "Enabled", "Suspended", "Off", or "unknown".
	Versioning string `json:"versioning,omitempty"`
	// AsOf, when set, is the past time the manifest speaks for: each
	// entry is the version of its key that was current then, rebuilt from
	// the bucket's versions (`audit snapshot --as-of`, `export --as-of`).
	AsOf   time.Time `json:"asOf,omitzero"`
	Query  string    `json:"query,omitempty"`  // export: the query that chose the messages
	Export string    `json:"export,omitempty"` // export: "mbox" or "maildir"
	// TrailerHashed says the trailer ends with its own hash
	// (Trailer.TrailerSHA256): a trailer of such a manifest without one
	// was edited (its field's name, say), not written before it existed.
	TrailerHashed bool `json:"trailerHashed,omitempty"`
	// ObjectLock is the bucket's Object Lock when the run started
	// ("COMPLIANCE, 7 years", "enabled, no default retention"), and
	// MFADelete whether its versioning asks for MFA to delete a version:
	// what keeps the versions a proof rests on. Left out when off or not
	// known.
	ObjectLock string `json:"objectLock,omitempty"`
	MFADelete  bool   `json:"mfaDelete,omitempty"`
	// Warning says, hint first, why the manifest may not hold all the
	// run was asked for: an as-of date older than a lifecycle rule keeps
	// noncurrent versions, or rules that could not be read. (A string,
	// not a list: a Header stays comparable.)
	Warning string `json:"warning,omitempty"`
}

// Entry is one object of a manifest.
type Entry struct {
	Key          string    `json:"key"`
	VersionID    string    `json:"versionId"`
	Size         int64     `json:"size"`
	ETag         string    `json:"etag"`
	SHA256       string    `json:"sha256"` // of the stored bytes
	LastModified time.Time `json:"lastModified"`
	SESMessageID string    `json:"sesMessageId"`
	MessageID    string    `json:"messageId"`
	Date         string    `json:"date"` // the Date header as RFC 3339, "" when missing
	From         string    `json:"from"`
	Subject      string    `json:"subject"`
	Verdicts     Verdicts  `json:"verdicts"`
	ETagCheck    string    `json:"etagCheck"` // ETagMD5, ETagMultipart or ETagMismatch
	// Metadata is what the GET said of the object besides its bytes
	// (mailstore.Object.Metadata): Content-Type, x-amz-meta-*, the
	// encryption. null when the store could not tell; missing in
	// manifests written before it was recorded (verify then cannot see a
	// change of metadata alone).
	Metadata map[string]string `json:"metadata"`
	File     string            `json:"file,omitempty"` // export: the file written, relative to the export
	// RetentionMode and RetainUntil are the version's own Object Lock
	// retention, LegalHold whether it is under a legal hold, as the run
	// read them (GetObjectRetention, GetObjectLegalHold), and LockError
	// why they could not be read. Read only on a bucket with Object
	// Lock (the header's objectLock); left out when the version has
	// none.
	RetentionMode string    `json:"retentionMode,omitempty"`
	RetainUntil   time.Time `json:"retainUntil,omitzero"`
	LegalHold     bool      `json:"legalHold,omitempty"`
	LockError     string    `json:"lockError,omitempty"`

	// unread marks, during a verify, a key the manifest's trailer lists
	// under failed: there when the manifest was made, its bytes unknown.
	unread bool
	// line is the entry's line in the manifest (scanManifest), for
	// naming an edited one.
	line int
}

// Verdicts are SES's receipt verdicts as stored in the message.
type Verdicts struct {
	Spam  string `json:"spam"`
	Virus string `json:"virus"`
	SPF   string `json:"spf"`
	DKIM  string `json:"dkim"`
	DMARC string `json:"dmarc"`
}

// Trailer is the last line of a complete manifest.
type Trailer struct {
	Record        string    `json:"record"` // "trailer"
	Count         int64     `json:"count"`
	EntriesSHA256 string    `json:"entriesSha256"`
	Bytes         int64     `json:"bytes"` // total size of the objects
	Finished      time.Time `json:"finished"`
	// Resumed is set when the run was interrupted and continued.
	Resumed bool `json:"resumed,omitempty"`
	// Vanished counts objects listed but deleted before they could be read.
	Vanished int64 `json:"vanished,omitempty"`
	// Failed lists the objects that could still not be read after every
	// retry: they are not in the manifest (nor in an export).
	Failed []FailedObject `json:"failed,omitempty"`
	// Prefixes count the entries by the folder they are under, when the
	// header's prefix has no trailing "/" and reached more than the one
	// folder (or flat keys) it names (PrefixGroup, PrefixNote).
	Prefixes []PrefixGroup `json:"prefixes,omitempty"`
	// HeaderSHA256 is the SHA-256 of the exact header line, newline
	// included (head -1 FILE | sha256sum): the entries hash does not cover
	// the header, which says what verify reports (a query makes objects
	// outside the manifest not "new"). Manifests written before it
	// existed have none.
	HeaderSHA256 string `json:"headerSha256,omitempty"`
	// TrailerSHA256, the last field, is the SHA-256 of the trailer line
	// without it (`,"trailerSha256":"…"` taken out, newline included): the
	// other hashes cover the header and the entries, this one the rest of
	// the trailer (bytes, finished, vanished, failed, the other hashes'
	// names). Manifests whose header has no trailerHashed have none.
	TrailerSHA256 string `json:"trailerSha256,omitempty"`

	// started is the header's time (startedAttr), for the action log.
	started string
	// locks total the entries' Object Lock (LockNote); locksRead says
	// the run read them (the bucket has Object Lock).
	locks     lockCounts
	locksRead bool
}

// FailedObject is an object a run listed but could not read.
type FailedObject struct {
	Key   string `json:"key"`
	Error string `json:"error"`
}

// ErrIncomplete is returned (wrapped) by WriteSnapshot, ExportMbox and
// ExportMaildir when they went through every object but some could not be
// read; the trailer they return (and write) lists them in Failed.
var ErrIncomplete = errors.New("some objects could not be read")

// incompleteErr describes the failed objects of a finished run.
func incompleteErr(what string, failed []FailedObject, total int64) error {
	if len(failed) == 0 {
		return nil
	}
	keys := make([]string, 0, 3)
	for _, f := range failed[:min(3, len(failed))] {
		keys = append(keys, f.Key)
	}
	more := ""
	if len(failed) > len(keys) {
		more = ", ..."
	}
	return fmt.Errorf("%s: %d of %d objects could not be read and are left out (listed in the manifest trailer): %s%s; first error: %s: %w",
		what, len(failed), total, strings.Join(keys, ", "), more, failed[0].Error, ErrIncomplete)
}

// entryOf describes one object read in full.
func entryOf(obj mailstore.Object, d digest) Entry {
	s := mime.Summarize(d.Header)
	e := Entry{
		Key: obj.Key, VersionID: obj.VersionID, Size: d.Size, ETag: obj.ETag, SHA256: d.SHA256,
		LastModified: obj.LastModified.UTC(), SESMessageID: mailstore.SESMessageID(obj.Key),
		MessageID: s.MessageID, From: s.From.String(), Subject: s.Subject,
		Verdicts:  Verdicts{Spam: s.Verdicts.Spam, Virus: s.Verdicts.Virus, SPF: s.Verdicts.SPF, DKIM: s.Verdicts.DKIM, DMARC: s.Verdicts.DMARC},
		ETagCheck: etagCheck(obj.ETag, d.MD5), Metadata: obj.Metadata,
	}
	e.setLock(d.lock)
	if !s.Date.IsZero() {
		e.Date = s.Date.Format(time.RFC3339)
	}
	return e
}

// manifestWriter writes entry lines, keeping the running hash and checking
// that keys only ever increase (verify relies on the order).
type manifestWriter struct {
	w       *bufio.Writer
	h       hash.Hash
	count   int64
	bytes   int64
	lastKey string
	flushed time.Time
	started time.Time // the header's
	hdr     Header
	// headerSHA256 is the header line's hash, for the trailer.
	headerSHA256 string
	locks        lockCounts
	groups       prefixGroups
}

func newManifestWriter(w io.Writer) *manifestWriter {
	return &manifestWriter{w: bufio.NewWriterSize(w, 64<<10), h: sha256.New()}
}

// marshalLine is v as one manifest line. Keys, subjects and senders are
// kept exact, but the characters that act on a terminal or reorder what it
// shows (DEL, C1 controls, bidi controls) are written as \uXXXX escapes,
// which every JSON reader, verify included, decodes back to the same
// text: a manifest someone pages through or greps cannot rewrite the
// screen or make one key look like another.
func marshalLine(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil { // Encode ends the line with "\n"
		return nil, err
	}
	return sanitize.JSON(buf.Bytes()), nil
}

func (m *manifestWriter) header(h Header) error {
	h.Record, h.Format, h.TrailerHashed = "header", ManifestFormat, true
	m.started, m.hdr, m.groups.prefix = h.Started, h, h.Prefix
	line, err := marshalLine(h)
	if err != nil {
		return err
	}
	m.headerSHA256 = lineSHA256(line)
	_, err = m.w.Write(line)
	return err
}

func (m *manifestWriter) entry(e Entry) error {
	if m.count > 0 && e.Key <= m.lastKey {
		return fmt.Errorf("manifest entries out of order: %q after %q", e.Key, m.lastKey)
	}
	line, err := marshalLine(e)
	if err != nil {
		return err
	}
	if _, err := m.w.Write(line); err != nil {
		return err
	}
	m.h.Write(line)
	m.count++
	m.bytes += e.Size
	m.lastKey = e.Key
	m.locks.add(e, m.started)
	m.groups.add(e.Key)
	// Flush now and then so an interrupted run leaves most of its work on
	// disk for --resume.
	if time.Since(m.flushed) > time.Second {
		m.flushed = time.Now()
		return m.w.Flush()
	}
	return nil
}

func (m *manifestWriter) trailer(t Trailer) (Trailer, error) {
	t.Record, t.Count, t.EntriesSHA256, t.Bytes = "trailer", m.count, hex.EncodeToString(m.h.Sum(nil)), m.bytes
	t.HeaderSHA256, t.locks, t.Prefixes = m.headerSHA256, m.locks, m.groups.groups()
	if !m.started.IsZero() {
		t.started = startedAttr(m.started)
	}
	t.TrailerSHA256 = ""
	line, err := marshalLine(t)
	if err != nil {
		return t, err
	}
	t.TrailerSHA256 = lineSHA256(line)
	line = append(line[:len(line)-len("}\n")], trailerHashField+t.TrailerSHA256+"\"}\n"...)
	if _, err := m.w.Write(line); err != nil {
		return t, err
	}
	return t, m.w.Flush()
}

// trailerHashField starts the trailer's last field, its own hash.
const trailerHashField = `,"trailerSha256":"`

// trailerHash splits a trailer line into the hash its last field records
// and the line without that field, whose hash it should be; ok is false
// when the line does not end with the field as sesbox writes it.
func trailerHash(line []byte) (recorded string, without []byte, ok bool) {
	i := bytes.LastIndex(line, []byte(trailerHashField))
	if i < 0 {
		return "", nil, false
	}
	rest := line[i+len(trailerHashField):]
	if len(rest) != 64+len("\"}\n") || !bytes.HasSuffix(rest, []byte("\"}\n")) {
		return "", nil, false
	}
	recorded = string(rest[:64])
	if _, err := hex.DecodeString(recorded); err != nil || strings.ToLower(recorded) != recorded {
		return "", nil, false
	}
	return recorded, append(append([]byte(nil), line[:i]...), "}\n"...), true
}

// lineSHA256 is the SHA-256 (hex) of one line's exact bytes.
func lineSHA256(line []byte) string {
	s := sha256.Sum256(line)
	return hex.EncodeToString(s[:])
}

// ManifestCheck is what reading a manifest through says about it.
type ManifestCheck struct {
	Header Header
	// HeaderSHA256 is the hash of the header line as found.
	HeaderSHA256 string
	Trailer      *Trailer // nil when the manifest has none (an interrupted run)
	// Entries and SHA256 are counted and computed over the entry lines as
	// found; Bytes is the sum of their sizes.
	Entries int64
	SHA256  string
	Bytes   int64
	// NoMetadata counts the entries that recorded no metadata (written
	// before manifests held it, or by a store that could not tell): a
	// change of their metadata alone cannot be seen.
	NoMetadata int64
	// Problems say why the manifest cannot be trusted as it is; empty
	// when it is intact.
	Problems []string
	// Edited names, field by field, the entry lines that disagree with
	// the versions they record, when the entries fail their hash
	// (Verify): each is also said in Problems.
	Edited []Difference
}

// VanishedNote says how many listed objects the run (its name: "export",
// "snapshot") found deleted when it came to read them, and so left out;
// "" when there were none.
func (t Trailer) VanishedNote(run string) string {
	switch t.Vanished {
	case 0:
		return ""
	case 1:
		return "1 object was deleted while the " + run + " ran and is not in it"
	}
	return fmt.Sprintf("%d objects were deleted while the %s ran and are not in it", t.Vanished, run)
}

// OK reports whether the manifest is complete and intact.
func (c ManifestCheck) OK() bool { return len(c.Problems) == 0 }

// LacksNote says what a complete manifest does not cover: the objects
// deleted while the run that wrote it read (its trailer's vanished),
// which no verify can check. "" when there are none.
func (c ManifestCheck) LacksNote() string {
	if c.Trailer == nil || c.Trailer.Vanished == 0 {
		return ""
	}
	if c.Trailer.Vanished == 1 {
		return "1 object was deleted while the snapshot ran: it is not in the manifest and cannot be verified"
	}
	return fmt.Sprintf("%d objects were deleted while the snapshot ran: they are not in the manifest and cannot be verified", c.Trailer.Vanished)
}

// AsOfNote says that the manifest is of the bucket as it stood at a past
// date (snapshot --as-of, export --as-of), rebuilt from its versions, not
// as it was when written: checked against the bucket now, what changed
// since that date shows as changed, deleted or new. "" otherwise. audit
// verify and the TUI's verify say it alike.
func (c ManifestCheck) AsOfNote() string {
	if c.Header.AsOf.IsZero() {
		return ""
	}
	return "the bucket as of " + c.Header.AsOf.UTC().Format(time.RFC3339) + ", rebuilt from its versions"
}

// MetadataNote says which entries recorded no object metadata, so that
// a change of metadata alone (Content-Type, x-amz-meta-*, the encryption
// key) cannot be seen for them. "" when every entry recorded it.
func (c ManifestCheck) MetadataNote() string {
	switch {
	case c.NoMetadata == 0:
		return ""
	case c.NoMetadata == c.Entries:
		return "object metadata was not recorded (a manifest written before sesbox recorded it): a change of Content-Type, x-amz-meta-* or encryption alone cannot be seen"
	}
	return fmt.Sprintf("%s of %s recorded no object metadata: a change of Content-Type, x-amz-meta-* or encryption alone cannot be seen for them",
		mailstore.Count(c.NoMetadata, "entry"), mailstore.Count(c.Entries, "entry"))
}

// checkTrailerHash checks the trailer line (line n) against the hash it
// ends with. A manifest whose header says its trailer is hashed must
// have one; one written before trailers were hashed has none to check.
func checkTrailerHash(line []byte, n int, hashed bool) []string {
	recorded, without, ok := trailerHash(line)
	switch {
	case !ok && hashed:
		return []string{fmt.Sprintf("line %d (the trailer): it does not end with its trailerSha256, which the header says it has: the trailer was edited", n)}
	case !ok:
		return nil
	}
	if got := lineSHA256(without); got != recorded {
		return []string{fmt.Sprintf("line %d (the trailer): trailer checksum mismatch: its trailerSha256 says %s, the line without it hashes to %s: the trailer was edited", n, recorded, got)}
	}
	return nil
}

// ErrNotManifest is returned (wrapped) for a file that does not start with
// a manifest header.
var ErrNotManifest = errors.New("not a sesbox manifest")

// notManifest is err (ErrNotManifest) with what to give instead first: it
// said "m.eml: not a sesbox manifest" alone, and the mbox an export wrote
// is the file an auditor has at hand beside its manifest.
func notManifest(path string, err error) error {
	return &mailstore.HintError{Hint: "give the manifest sesbox audit snapshot --out FILE wrote, or the FILE.manifest.jsonl beside an export (" + path + " is not one: its first line is no manifest header)", Err: err}
}

// CheckManifest reads the manifest at path through once, in bounded memory,
// and checks its trailer's count and checksum and the order of its keys.
func CheckManifest(path string) (ManifestCheck, error) {
	var c ManifestCheck
	err := scanManifest(path, func(Entry) error { return nil }, &c)
	return c, err
}

// scanManifest reads a manifest, calling fn for each entry in order, and
// fills c. An error from fn stops the scan and is returned.
func scanManifest(path string, fn func(Entry) error, c *ManifestCheck) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		// What to give, first: it said "read manifest: open m.jsonl: no
		// such file or directory" alone.
		return &mailstore.HintError{Hint: "no manifest at " + path + " — check the path: give the file sesbox audit snapshot --out FILE or sesbox export wrote",
			Err: fmt.Errorf("read manifest: %w", err)}
	}
	if err != nil {
		return fmt.Errorf("read manifest: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64<<10)
	h := sha256.New()
	lineNo := 0
	var lastKey string
	var trailerLine []byte
	var trailerNo int
	for {
		line, err := r.ReadBytes('\n')
		if len(line) == 0 && errors.Is(err, io.EOF) {
			break
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read manifest %s: %w", path, err)
		}
		lineNo++
		if !bytes.HasSuffix(line, []byte("\n")) {
			c.Problems = append(c.Problems, fmt.Sprintf("line %d: incomplete (cut off mid-line)", lineNo))
			break
		}
		var probe struct {
			Record string `json:"record"`
		}
		if jerr := json.Unmarshal(line, &probe); jerr != nil {
			if lineNo == 1 {
				return notManifest(path, fmt.Errorf("%s: %w", path, ErrNotManifest))
			}
			c.Problems = append(c.Problems, fmt.Sprintf("line %d: not JSON: %v", lineNo, jerr))
			h.Write(line)
			continue
		}
		if lineNo == 1 {
			if probe.Record != "header" {
				return notManifest(path, fmt.Errorf("%s: %w (no header line)", path, ErrNotManifest))
			}
			if err := json.Unmarshal(line, &c.Header); err != nil {
				return fmt.Errorf("%s: header: %w", path, err)
			}
			c.HeaderSHA256 = lineSHA256(line)
			if c.Header.Format != ManifestFormat {
				c.Problems = append(c.Problems, fmt.Sprintf("header: unknown format %q (want %s)", c.Header.Format, ManifestFormat))
			}
			continue
		}
		if c.Trailer != nil {
			c.Problems = append(c.Problems, fmt.Sprintf("line %d: more lines after the trailer", lineNo))
			continue
		}
		switch probe.Record {
		case "trailer":
			var t Trailer
			if err := json.Unmarshal(line, &t); err != nil {
				c.Problems = append(c.Problems, fmt.Sprintf("line %d: bad trailer: %v", lineNo, err))
				continue
			}
			c.Trailer = &t
			trailerLine, trailerNo = line, lineNo
			continue
		case "":
		default:
			c.Problems = append(c.Problems, fmt.Sprintf("line %d: unknown record %q", lineNo, probe.Record))
			h.Write(line)
			continue
		}
		h.Write(line)
		var e Entry
		if err := json.Unmarshal(line, &e); err != nil || e.Key == "" {
			c.Problems = append(c.Problems, fmt.Sprintf("line %d: not an entry", lineNo))
			continue
		}
		if c.Entries > 0 && e.Key <= lastKey {
			c.Problems = append(c.Problems, fmt.Sprintf("line %d: key %q out of order (after %q)", lineNo, e.Key, lastKey))
			continue
		}
		lastKey = e.Key
		e.line = lineNo
		c.Entries++
		c.Bytes += e.Size
		if e.Metadata == nil {
			c.NoMetadata++
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	if lineNo == 0 {
		return fmt.Errorf("%s: %w (empty file)", path, ErrNotManifest)
	}
	c.SHA256 = hex.EncodeToString(h.Sum(nil))
	switch t := c.Trailer; {
	case t == nil:
		c.Problems = append(c.Problems, "no trailer: the run that wrote it did not finish (snapshot --resume continues it)")
	default:
		if t.Count != c.Entries {
			c.Problems = append(c.Problems, fmt.Sprintf("the trailer counts %d entries, the manifest holds %d: lines were removed or added", t.Count, c.Entries))
		}
		if t.EntriesSHA256 != c.SHA256 {
			c.Problems = append(c.Problems, fmt.Sprintf("checksum mismatch: the trailer says %s, the entry lines hash to %s: the manifest was edited", t.EntriesSHA256, c.SHA256))
		}
		if t.HeaderSHA256 != "" && t.HeaderSHA256 != c.HeaderSHA256 {
			c.Problems = append(c.Problems, fmt.Sprintf("header checksum mismatch: the trailer says %s, the header line hashes to %s: the header line was edited", t.HeaderSHA256, c.HeaderSHA256))
		}
		c.Problems = append(c.Problems, checkTrailerHash(trailerLine, trailerNo, c.Header.TrailerHashed)...)
	}
	return nil
}
