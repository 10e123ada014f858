package mailbox

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/index"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/mailstore/query"
	"github.com/sesbox/sesbox/mailstore/s3store"
	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
)

const withAttachments = "From: a@example.com\r\nSubject: files\r\nDate: Mon, 16 Nov 2026 09:00:00 +0000\r\n" +
	"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
	"--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n" +
	"--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"../../.bashrc\"\r\n\r\nevil\r\n" +
	"--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"notes.txt\"\r\n\r\none\r\n" +
	"--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"notes.txt\"\r\n\r\ntwo\r\n" +
	"--b--\r\n"

func newMailbox(t *testing.T) (*Mailbox, *fakes3.Server) {
	t.Helper()
	srv := fakes3.Start(t, "mail")
	idx, err := index.Open(filepath.Join(t.TempDir(), "i.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	st := s3store.New(srv.Client(nil), mailstore.Location{Bucket: "mail", Prefix: "in"})
	return New("test", st, idx), srv
}

func TestResolveAndOpen(t *testing.T) {
	m, srv := newMailbox(t)
	id := "0vneinmetj3r4m9ltdtl5drpnghlppk2eqp3vjne"
	// SES added a "/" after a prefix that lacked one.
	srv.Put(t, "mail", "in/"+id, []byte(withAttachments))
	srv.Put(t, "mail", "inabc", []byte("Subject: plain\r\n\r\nx"))
	ctx := context.Background()
	if err := m.Refresh(ctx, nil); err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{id: "in/" + id, "in/" + id: "in/" + id, "inabc": "inabc", "abc": "inabc"} {
		got, err := m.Resolve(ctx, in)
		if err != nil || got != want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	sums, _ := m.Summaries(ctx, query.Query{}, query.ByDate, false)
	var before mailstore.Summary
	for _, s := range sums {
		if s.Key == "in/"+id {
			before = s
		}
	}
	msg, err := m.Open(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if msg.Summary.Subject != "files" || string(msg.Raw) != withAttachments || !msg.Summary.AttachmentsExact {
		t.Fatalf("Open: %+v", msg.Summary)
	}
	// The message fits the first range: counted exactly when indexed,
	// and opening it changes nothing.
	q, _ := query.Parse("has:attachment", msg.Summary.Date)
	sums, _ = m.Summaries(ctx, q, query.ByDate, false)
	if len(sums) != 1 || sums[0].Attachments != 3 || before.Attachments != 3 || !before.AttachmentsExact {
		t.Errorf("after Open: %+v (indexed as %d, exact %v)", sums, before.Attachments, before.AttachmentsExact)
	}
	if err := m.SetRead(ctx, "in/"+id, true); err != nil {
		t.Fatal(err)
	}
	q, _ = query.Parse("is:unread", msg.Summary.Date)
	if sums, _ = m.Summaries(ctx, q, query.ByDate, false); len(sums) != 1 || sums[0].Key != "inabc" {
		t.Errorf("is:unread after SetRead: %+v", sums)
	}
}

func TestOpenBeforeIndexingFindsTheSlashSESAdded(t *testing.T) {
	m, srv := newMailbox(t)
	id := "0vneinmetj3r4m9ltdtl5drpnghlppk2eqp3vjne"
	srv.Put(t, "mail", "in/"+id, []byte(withAttachments))
	msg, err := m.Open(context.Background(), id) // no Refresh first
	if err != nil || msg.Summary.Key != "in/"+id {
		t.Fatalf("Open(%s) before indexing: %v", id, err)
	}
	if _, err := m.Open(context.Background(), "nope"); !errors.Is(err, mailstore.ErrNotFound) {
		t.Fatalf("Open(nope): %v", err)
	}
}

func TestSavePartsSafeNamesNeverOverwrite(t *testing.T) {
	v := mime.Parse([]byte(withAttachments))
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o600)
	paths, err := SaveParts(v, dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 3 {
		t.Fatalf("wrote %v", paths)
	}
	for _, p := range paths {
		if filepath.Dir(p) != dir {
			t.Errorf("%s is outside %s", p, dir)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "notes.txt")); string(b) != "mine" {
		t.Error("an existing file was overwritten")
	}
	names := strings.Join([]string{filepath.Base(paths[1]), filepath.Base(paths[2])}, " ")
	if names != "notes-1.txt notes-2.txt" {
		t.Errorf("names %s", names)
	}
	if strings.Contains(filepath.Base(paths[0]), "..") || strings.HasPrefix(filepath.Base(paths[0]), ".") {
		t.Errorf("hostile name kept: %s", paths[0])
	}
	// One part by number, attachment or not.
	one, err := SaveParts(v, dir, 1)
	if err != nil || len(one) != 1 {
		t.Fatalf("part 1: %v %v", one, err)
	}
	if b, _ := os.ReadFile(one[0]); !strings.Contains(string(b), "see attached") {
		t.Errorf("part 1 content %q", b)
	}
	if _, err := SaveParts(v, dir, 99); err == nil {
		t.Error("part 99 saved")
	}
	if _, err := SaveParts(mime.Parse([]byte("Subject: x\r\n\r\nbody")), dir, 0); err == nil {
		t.Error("a message without attachments saved something")
	}
}

// TestSavePartsExtensionFromContentType: a part without a name, or named
// without an extension, is saved with the extension its type calls for.
func TestSavePartsExtensionFromContentType(t *testing.T) {
	v := &mime.View{Parts: []mime.Part{
		{Index: 1, ContentType: "application/pdf", Filename: "invoice", IsAttachment: true, Content: []byte("%PDF")},
		{Index: 2, ContentType: "image/gif", IsAttachment: true, Content: []byte("GIF8")},
		{Index: 3, ContentType: "text/plain; charset=utf-8", Filename: "notes", IsAttachment: true, Content: []byte("x")},
		{Index: 4, ContentType: "image/png", Filename: "photo.jpeg", IsAttachment: true, Content: []byte("x")},
		{Index: 5, ContentType: "application/x-made-up", IsAttachment: true, Content: []byte("x")},
		// A name with nothing safe in it is no name: not "..pdf" made "pdf".
		{Index: 6, ContentType: "application/pdf", Filename: "..", IsAttachment: true, Content: []byte("x")},
		{Index: 7, ContentType: "image/png", Filename: "\u200b", IsAttachment: true, Content: []byte("x")},
		{Index: 8, ContentType: "application/pdf", Filename: ".bashrc", IsAttachment: true, Content: []byte("x")},
	}}
	paths, err := SaveParts(v, t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"invoice.pdf", "part-2.gif", "notes.txt", "photo.jpeg", "part-5.bin", "part-6.pdf", "part-7.png", "bashrc.pdf"}
	if len(paths) != len(want) {
		t.Fatalf("saved %q", paths)
	}
	for i, p := range paths {
		if got := filepath.Base(p); got != want[i] {
			t.Errorf("part %d saved as %s, want %s", i+1, got, want[i])
		}
	}
}

// TestSavePartsOfAnUnreadStructure: when the parser gave up (deadline or
// too many parts), save says so instead of claiming there are no
// attachments, and writes nothing.
func TestSavePartsOfAnUnreadStructure(t *testing.T) {
	dir := t.TempDir()
	v := &mime.View{Source: true, Warnings: []string{"parsing took longer than 10s and was abandoned"}}
	_, err := SaveParts(v, dir, 0)
	if err == nil || !strings.Contains(err.Error(), "could not be read") || !strings.Contains(err.Error(), "abandoned") {
		t.Fatalf("err = %v, want the parse warning", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("wrote %d files", len(ents))
	}
}

func TestBackoffDoublesUpToMax(t *testing.T) {
	bo := Backoff{First: time.Second, Max: 30 * time.Second}
	var got []time.Duration
	for f := 1; f <= 7; f++ {
		got = append(got, bo.after(f))
	}
	want := []time.Duration{1, 2, 4, 8, 16, 30, 30}
	for i := range want {
		if got[i] != want[i]*time.Second {
			t.Fatalf("waits %v, want %v seconds", got, want)
		}
	}
}

// TestNotFoundHint: opening (whole or header), or marking, a key that
// names no message says so first, with the key and the mailbox, and is
// still mailstore.ErrNotFound underneath.
func TestNotFoundHint(t *testing.T) {
	m, _ := newMailbox(t)
	ctx := context.Background()
	_, errOpen := m.Open(ctx, "nosuch")
	_, errHeader := m.OpenHeader(ctx, "nosuch")
	errMark := m.SetRead(ctx, "innosuch", true)
	for what, err := range map[string]error{"Open": errOpen, "OpenHeader": errHeader, "SetRead": errMark} {
		if !errors.Is(err, mailstore.ErrNotFound) || !strings.HasPrefix(mailstore.Explain(err), `no message "`) || !strings.Contains(mailstore.Hint(err), "nosuch\" in s3://mail/in —") {
			t.Errorf("%s: %v (hint %q)", what, err, mailstore.Hint(err))
		}
	}
}

// recordingShared is a SharedReadState that keeps what it was told.
type recordingShared struct{ set []string }

func (r *recordingShared) SetRead(_ context.Context, _, key string, _ bool) error {
	r.set = append(r.set, key)
	return nil
}

func (r *recordingShared) ReadStates(context.Context, string) ([]SharedRead, error) { return nil, nil }

// TestSetReadOfNoMessageWritesNothingShared: marking a key that names no
// message fails before the team table is written; it used to write the
// typo's read state there (every operator's refresh then read it) and
// fail only on the local index.
func TestSetReadOfNoMessageWritesNothingShared(t *testing.T) {
	m, srv := newMailbox(t)
	srv.Put(t, "mail", "inabc", []byte("Subject: plain\r\n\r\nx"))
	ctx := context.Background()
	if err := m.Refresh(ctx, nil); err != nil {
		t.Fatal(err)
	}
	shared := &recordingShared{}
	m.ShareReadState(shared)
	if err := m.SetRead(ctx, "innosuch", true); !errors.Is(err, mailstore.ErrNotFound) {
		t.Errorf("SetRead(innosuch): %v, want not found", err)
	}
	if err := m.SetRead(ctx, "inabc", true); err != nil {
		t.Fatal(err)
	}
	if strings.Join(shared.set, " ") != "inabc" {
		t.Errorf("shared writes %q, want inabc alone", shared.set)
	}
}

// TestSavePartsWritesTheSendersBytes: a text attachment in another
// charset than UTF-8 is saved as the sender wrote it (it was saved
// converted to UTF-8, which the program it is for garbles).
func TestSavePartsWritesTheSendersBytes(t *testing.T) {
	raw := "From: a@example.com\r\nSubject: csv\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n" +
		"--b\r\nContent-Type: text/csv; charset=windows-1252\r\nContent-Disposition: attachment; filename=\"prices.csv\"\r\n\r\ncaf\xe9;2\xa0\x80\r\n" +
		"--b--\r\n"
	paths, err := SaveParts(mime.Parse([]byte(raw)), t.TempDir(), 0)
	if err != nil || len(paths) != 1 {
		t.Fatalf("saved %q, %v", paths, err)
	}
	if b, _ := os.ReadFile(paths[0]); string(b) != "caf\xe9;2\xa0\x80" {
		t.Errorf("saved %q, want the sender's windows-1252 bytes", b)
	}
}

// TestSaveNoSuchPartNamesTheParts: asking for a part the message does not
// have says, hint first, which numbers it has; it said only "the message
// has no part 9", leaving the user to guess. A message of one part says
// so ("its parts are 1" read as a count).
func TestSaveNoSuchPartNamesTheParts(t *testing.T) {
	v := mime.Parse([]byte(withAttachments))
	var nums []string
	for _, p := range v.Parts {
		nums = append(nums, strconv.Itoa(p.Index))
	}
	one := mime.Parse([]byte("Subject: s\r\nContent-Type: application/pdf\r\n\r\n%PDF"))
	if _, err := SaveParts(one, t.TempDir(), 9); !strings.HasPrefix(mailstore.Explain(err), "the message has one part, 1 (") {
		t.Errorf("one part: %q", mailstore.Explain(err))
	}
	_, err := SaveParts(v, t.TempDir(), 99)
	want := "the message's parts are " + strings.Join(nums, ", ")
	if err == nil || !strings.HasPrefix(mailstore.Explain(err), want) || !strings.Contains(err.Error(), "no part 99") {
		t.Errorf("part 99: %q, want it to start with %q", mailstore.Explain(err), want)
	}
}

// A directory that cannot be made (a mistyped path, a file in the way) is
// said with what to do first, in the CLI and on the TUI's status line,
// where the end of a long line is cut: it said "save: mkdir ...: not a
// directory" (after "save: KEY: " in the TUI).
func TestSaveIntoADirectoryThatCannotBeMadeSaysSoFirst(t *testing.T) {
	v := mime.Parse([]byte(withAttachments))
	file := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(file, "saved")
	_, err := SaveParts(v, dir, 0)
	want := "cannot make the directory " + dir + " — give one that exists or can be made"
	if err == nil || !strings.HasPrefix(mailstore.Explain(err), want) || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("got %q, want it to start with %q", mailstore.Explain(err), want)
	}
}

// TestAmbiguousIDNamesAKeyQuoted: an id that ends two keys is refused,
// naming one of them as every error names an object (mailstore.ObjectName):
// a key with a bidi override, a quote or blanks must not read as another
// or reorder the line on the terminal.
func TestAmbiguousIDNamesAKeyQuoted(t *testing.T) {
	m, srv := newMailbox(t)
	// gofakes3 lists control characters as U+FFFD: a bidi override, a
	// quote and blanks are what reach the index from it.
	hostile := "in/a\u202e gnp.exe\" (ok) sesbox: /0vneinmetj3r4m9ltdtl5drpnghlppk2eqp3vjne"
	srv.Put(t, "mail", hostile, []byte("Subject: one\r\n\r\nx"))
	other := "in/b\u202e 2 \"/0vneinmetj3r4m9ltdtl5drpnghlppk2eqp3vjne"
	srv.Put(t, "mail", other, []byte("Subject: two\r\n\r\nx"))
	ctx := context.Background()
	if err := m.Refresh(ctx, nil); err != nil {
		t.Fatal(err)
	}
	_, err := m.Resolve(ctx, "0vneinmetj3r4m9ltdtl5drpnghlppk2eqp3vjne")
	if err == nil {
		t.Fatal("an id ending two keys resolved")
	}
	msg := mailstore.Explain(err)
	if strings.ContainsAny(msg, "\u202e") || !strings.Contains(msg, "matches 2 messages") ||
		(!strings.Contains(msg, mailstore.ObjectName("mail", hostile)) && !strings.Contains(msg, mailstore.ObjectName("mail", other))) {
		t.Fatalf("err = %q", msg)
	}
}

// TestResolveTakesTheS3URIsSesboxWrites: sesbox names every object as
// "s3://BUCKET/KEY" (in its errors, the ambiguity refusal, audit), and the
// S3 console copies that form too; given back to show, mark, save, reply
// or forward it was "no message", read as a key under the prefix. A URI
// of the mailbox's bucket is now its key, indexed or not.
func TestResolveTakesTheS3URIsSesboxWrites(t *testing.T) {
	m, srv := newMailbox(t)
	id := "0vneinmetj3r4m9ltdtl5drpnghlppk2eqp3vjne"
	srv.Put(t, "mail", "in/"+id, []byte(withAttachments))
	ctx := context.Background()
	if err := m.Refresh(ctx, nil); err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"s3://mail/in/" + id:  "in/" + id,
		"s3://mail/in/new":    "in/new",                // not indexed yet: the key as given
		"s3://other/in/" + id: "ins3://other/in/" + id, // another bucket's: not this one's key
	} {
		got, err := m.Resolve(ctx, in)
		if err != nil || got != want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	msg, err := m.Open(ctx, "s3://mail/in/"+id)
	if err != nil || msg.Summary.Key != "in/"+id {
		t.Errorf("Open by its URI: %v", err)
	}
}

// TestAmbiguousIDSaysWhatToGiveFirstAndNamesEach: an id that ends several
// keys said '"ID" matches 2 messages ("s3://B/in/a/ID", ...): give the
// full key', the one thing to do last and only the first key, so the
// other had to be found with ls; it leads with what to give and names
// each key (up to five), in the form Resolve takes back.
func TestAmbiguousIDSaysWhatToGiveFirstAndNamesEach(t *testing.T) {
	m, srv := newMailbox(t)
	id := "0vneinmetj3r4m9ltdtl5drpnghlppk2eqp3vjne"
	var keys []string
	for _, dir := range []string{"a", "b", "c", "d", "e", "f", "g"} {
		keys = append(keys, "in/"+dir+"/"+id)
		srv.Put(t, "mail", keys[len(keys)-1], []byte("Subject: s\r\n\r\nx"))
	}
	ctx := context.Background()
	if err := m.Refresh(ctx, nil); err != nil {
		t.Fatal(err)
	}
	_, err := m.Resolve(ctx, id)
	msg := mailstore.Explain(err)
	if !strings.HasPrefix(msg, "give the full key of one of them: ") || !strings.Contains(msg, `"`+id+`" matches 7 messages`) ||
		!strings.Contains(msg, "and 2 more") {
		t.Fatalf("%q", msg)
	}
	for i, k := range keys {
		if named := strings.Contains(msg, mailstore.ObjectName("mail", k)); named != (i < 5) {
			t.Errorf("%s named: %v", k, named)
		}
		if i < 5 {
			if got, err := m.Resolve(ctx, "s3://mail/"+k); err != nil || got != k {
				t.Errorf("the key as named resolves to %q, %v", got, err)
			}
		}
	}
}

// TestOpenFutureDateSaysWhy: a message whose Date is long after it was
// stored opens with its stored time, and the viewer and show say why
// (the warning reached the Summary only, which they do not print).
func TestOpenFutureDateSaysWhy(t *testing.T) {
	m, srv := newMailbox(t)
	srv.Put(t, "mail", "in/k", []byte("Date: Tue, 1 Jan 2199 00:00:00 +0000\r\nSubject: pinned\r\n\r\nx"))
	msg, err := m.Open(context.Background(), "in/k")
	if err != nil {
		t.Fatal(err)
	}
	if !msg.Summary.DateFromStore || msg.Summary.Date.Year() == 2199 ||
		!slices.ContainsFunc(msg.View.Warnings, func(w string) bool { return strings.Contains(w, "is after the message was stored") }) {
		t.Errorf("date %v (from store %v), warnings %q", msg.Summary.Date, msg.Summary.DateFromStore, msg.View.Warnings)
	}
}

// TestSavePartsOfAWinmailDatUnderSafeNames: the files inside a
// winmail.dat are saved by SaveParts as any part is: a name that is a
// path, holds escape sequences or names nothing lands in the directory
// under a safe name, never outside it, and an existing file is kept.
func TestSavePartsOfAWinmailDatUnderSafeNames(t *testing.T) {
	stream := []byte{0x78, 0x9f, 0x3e, 0x22, 0, 0}
	attr := func(id uint32, data string) {
		stream = append(stream, 2)
		stream = binary.LittleEndian.AppendUint32(stream, id)
		stream = binary.LittleEndian.AppendUint32(stream, uint32(len(data)))
		stream = append(stream, data...)
		var sum uint16
		for _, c := range []byte(data) {
			sum += uint16(c)
		}
		stream = binary.LittleEndian.AppendUint16(stream, sum)
	}
	for _, name := range []string{"../../escape.txt\x00", "/etc/passwd\x00", "\x1b]0;pwn\x07.txt\x00", "..\x00", "report.txt\x00"} {
		attr(0x00069002, "")
		attr(0x00018010, name)
		attr(0x0006800F, "content of "+strings.TrimRight(name, "\x00"))
	}
	raw := "From: s@corp.example\r\nSubject: files\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n" +
		"--B\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n" +
		"--B\r\nContent-Type: application/ms-tnef; name=winmail.dat\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		base64.StdEncoding.EncodeToString(stream) + "\r\n--B--\r\n"
	v := mime.Parse([]byte(raw))
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "report.txt"), []byte("mine"), 0o600)
	paths, err := SaveParts(v, dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 6 {
		t.Fatalf("wrote %v", paths)
	}
	for _, p := range paths {
		if filepath.Dir(p) != dir || strings.ContainsAny(filepath.Base(p), "\x1b\x07/") || strings.HasPrefix(filepath.Base(p), ".") {
			t.Errorf("%q: not a safe name in %s", p, dir)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "report.txt")); string(b) != "mine" {
		t.Error("an existing file was overwritten")
	}
	if b, err := os.ReadFile(paths[5]); err != nil || string(b) != "content of report.txt" || filepath.Base(paths[5]) != "report-1.txt" {
		t.Errorf("%s: %q, %v", paths[5], b, err)
	}
}
