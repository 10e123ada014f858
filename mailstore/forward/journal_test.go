package forward

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore"
)

func openTestJournal(t *testing.T, path string) *Journal {
	t.Helper()
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

func TestJournalRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "sesbox", "forward.jsonl")
	j := openTestJournal(t, path)

	dests := []string{"jim@example.com", "jane@example.com"}
	at := time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)
	base := Entry{Bucket: "bucket", Key: "prefix/abc", ETag: "e1", Destinations: dests, Time: at}
	for _, state := range []string{StatePlanned, StateSending, StateSent} {
		e := base
		e.State = state
		if state == StateSent {
			e.SESMessageID = "0100018c-ses-id"
		}
		if err := j.Record(e); err != nil {
			t.Fatal(err)
		}
	}
	other := base
	other.ETag, other.State, other.Error = `"e2"`, StateFailed, "MessageRejected: Email address is not verified."
	if err := j.Record(other); err != nil {
		t.Fatal(err)
	}

	check := func(j *Journal) {
		t.Helper()
		// Destinations are a set: order and duplicates do not matter.
		e, ok := j.Lookup("bucket", "prefix/abc", "e1", []string{"jane@example.com", "jim@example.com", "jane@example.com"})
		if !ok || e.State != StateSent || e.SESMessageID != "0100018c-ses-id" || !e.Time.Equal(at) {
			t.Errorf("Lookup = %+v, %v; want the sent record", e, ok)
		}
		// Quotes around an ETag are ignored.
		if e, ok := j.Lookup("bucket", "prefix/abc", "e2", dests); !ok || e.State != StateFailed || e.Error == "" {
			t.Errorf("Lookup e2 = %+v, %v", e, ok)
		}
		for _, miss := range []struct {
			bucket, key, etag string
			dests             []string
		}{
			{"bucket", "prefix/abc", "e3", dests},
			{"bucket", "prefix/abd", "e1", dests},
			{"other", "prefix/abc", "e1", dests},
			{"bucket", "prefix/abc", "e1", dests[:1]},
			{"bucket", "prefix/abc", "e1", append(slices.Clone(dests), "x@example.com")},
		} {
			if e, ok := j.Lookup(miss.bucket, miss.key, miss.etag, miss.dests); ok {
				t.Errorf("Lookup(%v) = %+v, want nothing", miss, e)
			}
		}
	}
	check(j)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if err := j.Record(base); err == nil {
		t.Error("Record after Close: no error")
	}
	check(openTestJournal(t, path))
}

func TestJournalRecordRejects(t *testing.T) {
	j := openTestJournal(t, filepath.Join(t.TempDir(), "j.jsonl"))
	ok := Entry{Bucket: "b", Key: "k", ETag: "e", Destinations: []string{"d@x.com"}, State: StatePlanned}
	for name, mod := range map[string]func(*Entry){
		"unknown state":   func(e *Entry) { e.State = "done" },
		"no bucket":       func(e *Entry) { e.Bucket = "" },
		"no key":          func(e *Entry) { e.Key = "" },
		"no destinations": func(e *Entry) { e.Destinations = nil },
		"not UTF-8":       func(e *Entry) { e.Key = "k\xff" },
	} {
		e := ok
		mod(&e)
		if err := j.Record(e); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if err := j.Record(ok); err != nil {
		t.Errorf("valid entry: %v", err)
	}
}

func TestJournalFileModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	path := filepath.Join(dir, "forward.jsonl")
	openTestJournal(t, path)
	for p, want := range map[string]os.FileMode{path: 0o600, dir: 0o700, filepath.Dir(dir): 0o700} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %o, want %o", p, got, want)
		}
	}
}

// TestJournalTornLastLine: a process killed mid-write leaves part of a line;
// reopening drops it, and later records land on clean lines.
func TestJournalTornLastLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "forward.jsonl")
	j := openTestJournal(t, path)
	e := Entry{Bucket: "b", Key: "k1", ETag: "e", Destinations: []string{"d@x.com"}, State: StateSent}
	if err := j.Record(e); err != nil {
		t.Fatal(err)
	}
	j.Close()
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	appendFile(t, path, `{"bucket":"b","key":"k2","etag":"e","destinations":["d@x`)

	j = openTestJournal(t, path)
	if got, _ := os.ReadFile(path); !bytes.Equal(got, good) {
		t.Errorf("torn line not cut off: %q", got)
	}
	if _, ok := j.Lookup("b", "k1", "e", e.Destinations); !ok {
		t.Error("complete record lost")
	}
	if _, ok := j.Lookup("b", "k2", "e", e.Destinations); ok {
		t.Error("torn record replayed")
	}
	e2 := e
	e2.Key = "k3"
	if err := j.Record(e2); err != nil {
		t.Fatal(err)
	}
	j.Close()
	j = openTestJournal(t, path)
	if _, ok := j.Lookup("b", "k3", "e", e.Destinations); !ok {
		t.Error("record after the cut-off lost")
	}
}

// TestJournalUnterminatedLastLine: a record that reached the file whole but
// without its newline is kept (it may be a "sending" that must not be
// forgotten) and terminated.
func TestJournalUnterminatedLastLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "forward.jsonl")
	appendFile(t, path, `{"bucket":"b","key":"k","etag":"e","destinations":["d@x.com"],"state":"sending","time":"2025-01-01T00:00:00Z"}`)
	j := openTestJournal(t, path)
	if e, ok := j.Lookup("b", "k", "e", []string{"d@x.com"}); !ok || e.State != StateSending {
		t.Fatalf("Lookup = %+v, %v", e, ok)
	}
	if err := j.Record(Entry{Bucket: "b", Key: "k2", ETag: "e", Destinations: []string{"d@x.com"}, State: StatePlanned}); err != nil {
		t.Fatal(err)
	}
	j.Close()
	j = openTestJournal(t, path)
	for _, k := range []string{"k", "k2"} {
		if _, ok := j.Lookup("b", k, "e", []string{"d@x.com"}); !ok {
			t.Errorf("%s lost", k)
		}
	}
}

// TestJournalCorruptLine: damage anywhere but the end is an error, never
// skipped, because a skipped "sent" would send again.
func TestJournalCorruptLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "forward.jsonl")
	appendFile(t, path, "{not json\n"+`{"bucket":"b","key":"k","etag":"e","destinations":["d@x.com"],"state":"sent"}`+"\n")
	j, err := OpenJournal(path)
	if err == nil {
		j.Close()
		t.Fatal("no error")
	}
	// What to do first, naming the line: it said "open forward journal
	// PATH: line 1: invalid character 'n' ...", and every forward failed
	// so until the user guessed.
	if h := mailstore.Hint(err); !strings.HasPrefix(h, "line 1 of the forward journal "+path+" is damaged") || !strings.Contains(h, "correct or delete it") {
		t.Errorf("hint %q", h)
	}
	if _, err := ReadJournal(path); !strings.HasPrefix(mailstore.Hint(err), "line 1 of the forward journal "+path) {
		t.Errorf("a dry run's read: %v", err)
	}
	path2 := filepath.Join(t.TempDir(), "forward.jsonl")
	appendFile(t, path2, `{"bucket":"b","key":"k","etag":"e","destinations":["d@x.com"],"state":"gone"}`+"\n")
	if j, err := OpenJournal(path2); err == nil {
		j.Close()
		t.Fatal("unknown state: no error")
	}
}

// TestJournalConcurrentRecord: records from many goroutines each land on a
// line of their own and all replay.
func TestJournalConcurrentRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "forward.jsonl")
	j := openTestJournal(t, path)
	const workers, each = 8, 25
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				e := Entry{Bucket: "b", Key: fmt.Sprintf("k-%d-%d", w, i), ETag: "e", Destinations: []string{"d@x.com"}, State: StateSending}
				if err := j.Record(e); err != nil {
					t.Error(err)
					return
				}
				e.State = StateSent
				if err := j.Record(e); err != nil {
					t.Error(err)
					return
				}
				if got, ok := j.Lookup("b", e.Key, "e", e.Destinations); !ok || got.State != StateSent {
					t.Errorf("Lookup(%s) = %+v, %v", e.Key, got, ok)
				}
			}
		})
	}
	wg.Wait()
	j.Close()

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(data, []byte("\n")); n != 2*workers*each {
		t.Errorf("%d lines, want %d", n, 2*workers*each)
	}
	j = openTestJournal(t, path)
	for w := range workers {
		for i := range each {
			if e, ok := j.Lookup("b", fmt.Sprintf("k-%d-%d", w, i), "e", []string{"d@x.com"}); !ok || e.State != StateSent {
				t.Errorf("k-%d-%d: %+v, %v", w, i, e, ok)
			}
		}
	}
}

func TestEntryKeyNoCollisions(t *testing.T) {
	a := entryKey("b", "k:1", "e", []string{"x"})
	b := entryKey("b", "k", "1:e", []string{"x"})
	if a == b {
		t.Errorf("entries collide: %q", a)
	}
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

// TestReadJournalChangesNothing: ReadJournal (a dry run's view) replays the
// journal while a run holds it, reads a whole record without its newline,
// leaves a torn one out, never writes the file, records nothing, reads a
// missing journal as empty and refuses one reached through a symlink.
func TestReadJournalChangesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "forward.jsonl")
	if j, err := ReadJournal(path); err != nil {
		t.Fatalf("missing journal: %v", err)
	} else if _, ok := j.Lookup("b", "k1", "e", []string{"d@x.com"}); ok {
		t.Error("a missing journal holds a record")
	}
	if _, err := os.Stat(path); err == nil {
		t.Error("ReadJournal created the journal")
	}
	held := openTestJournal(t, path) // a run holds it
	e := Entry{Bucket: "b", Key: "k1", ETag: "e", Destinations: []string{"d@x.com"}, State: StateSent}
	if err := held.Record(e); err != nil {
		t.Fatal(err)
	}
	whole := `{"bucket":"b","key":"k2","etag":"e","destinations":["d@x.com"],"state":"sending","time":"2026-12-06T10:00:00Z"}`
	appendFile(t, path, whole)
	j, err := ReadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"k1", "k2"} {
		if _, ok := j.Lookup("b", k, "e", e.Destinations); !ok {
			t.Errorf("%s not read", k)
		}
	}
	if err := j.Record(Entry{Bucket: "b", Key: "k3", ETag: "e", Destinations: e.Destinations, State: StatePlanned}); err == nil {
		t.Error("a read journal recorded")
	}
	j.Close()
	appendFile(t, path, "\n"+`{"bucket":"b","key":"k4","etag":"e","destinations":["d@x`)
	before, _ := os.ReadFile(path)
	j, err = ReadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := j.Lookup("b", "k4", "e", e.Destinations); ok {
		t.Error("a torn record was read")
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, before) {
		t.Errorf("ReadJournal changed the file:\n%q\n%q", before, after)
	}
	link := filepath.Join(dir, "link.jsonl")
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadJournal(link); err == nil {
		t.Error("a journal read through a symlink")
	}
}

// TestJournalDestinationsMatchWithTheDomainFolded: a message sent with
// --to c@x.example was not found as sent by a run with --to c@X.example
// (the journal keyed destinations byte for byte), which sent it again: the
// same mailbox, a domain being case-insensitive. Destinations are keyed as
// sesaccount.AddressKey has them; a local part still counts as written,
// and a journal written before, replayed, keys the same way.
func TestJournalDestinationsMatchWithTheDomainFolded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "forward.jsonl")
	j := openTestJournal(t, path)
	e := Entry{Bucket: "b", Key: "k", ETag: "e", Destinations: []string{"c@x.example", "d@Y.example"}, State: StateSent, SESMessageID: "id-1", Time: time.Now()}
	if err := j.Record(e); err != nil {
		t.Fatal(err)
	}
	check := func(j *Journal) {
		t.Helper()
		if got, ok := j.Lookup("b", "k", "e", []string{"d@y.EXAMPLE", "c@X.example"}); !ok || got.SESMessageID != "id-1" {
			t.Errorf("the same mailboxes, domains in another case: %+v, %v; want the sent record", got, ok)
		}
		if _, ok := j.Lookup("b", "k", "e", []string{"C@x.example", "d@y.example"}); ok {
			t.Error("C@x.example is another mailbox than c@x.example, but matched")
		}
	}
	check(j)
	j.Close()
	check(openTestJournal(t, path))
}
