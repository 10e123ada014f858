package audit

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/actionlog"
	"github.com/sesbox/sesbox/mailstore/audit"
	"github.com/sesbox/sesbox/mailstore/posture"
	"github.com/sesbox/sesbox/tui/common"
	"github.com/sesbox/sesbox/tui/internal/fixture"
)

// memBucket is an in-memory audit.Bucket and posture.BucketConfig: the
// component is tested without any storage server (and without the AWS
// SDK, which nothing under tui/ imports).
type memBucket struct {
	mu       sync.Mutex
	objs     map[string][]byte
	versions map[string][]audit.Version
	// modified is an object's last-modified time when not when.
	modified map[string]time.Time
	// versioning is the bucket's status when not "Enabled".
	versioning string
	// gate, when set, holds every Open until it is closed.
	gate chan struct{}
	// meta is an object's metadata when not plainMeta.
	meta map[string]map[string]string
	// unreadable is a key whose every GET fails.
	unreadable string
}

// plainMeta is what a GET says of an object of memBucket.
var plainMeta = map[string]string{"content-type": "application/octet-stream"}

var when = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

func (b *memBucket) Location() mailstore.Location {
	return mailstore.Location{Bucket: "mail", Prefix: "inbox/"}
}

func (b *memBucket) ListSorted(ctx context.Context, after string, fn func([]mailstore.Object) error) error {
	b.mu.Lock()
	var page []mailstore.Object
	for _, k := range slices.Sorted(func(y func(string) bool) {
		for k := range b.objs {
			if !y(k) {
				return
			}
		}
	}) {
		if k > after {
			page = append(page, mailstore.Object{Key: k, Size: int64(len(b.objs[k])), ETag: etag(b.objs[k])})
		}
	}
	b.mu.Unlock()
	return fn(page)
}

func etag(b []byte) string { s := md5.Sum(b); return hex.EncodeToString(s[:]) }

func (b *memBucket) Open(ctx context.Context, key, version string) (io.ReadCloser, mailstore.Object, error) {
	if b.gate != nil {
		select {
		case <-b.gate:
		case <-ctx.Done():
			return nil, mailstore.Object{}, ctx.Err()
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if key == b.unreadable {
		return nil, mailstore.Object{}, errors.New("connection reset by peer")
	}
	raw, ok := b.objs[key]
	if version != "" {
		raw, ok = nil, false
		for _, v := range b.versions[key] {
			if v.VersionID == version && !v.DeleteMarker {
				raw, ok = []byte(v.ETag), true // versions keep their bytes in ETag, for brevity
			}
		}
	}
	if !ok {
		return nil, mailstore.Object{}, mailstore.ErrNotFound
	}
	lm := when
	if t, ok := b.modified[key]; ok && version == "" {
		lm = t
	}
	md := plainMeta
	if m, ok := b.meta[key]; ok {
		md = m
	}
	return io.NopCloser(bytes.NewReader(raw)), mailstore.Object{Key: key, ETag: etag(raw), Size: int64(len(raw)), LastModified: lm, Metadata: md}, nil
}

func (b *memBucket) Versions(ctx context.Context, key string) ([]audit.Version, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []audit.Version
	for _, v := range b.versions[key] {
		if !v.DeleteMarker {
			v.Size = int64(len(v.ETag))
		}
		out = append(out, v)
	}
	return out, nil
}

func (b *memBucket) Versioning(context.Context) (posture.Versioning, error) {
	if b.versioning != "" {
		return posture.Versioning{Status: b.versioning}, nil
	}
	return posture.Versioning{Status: "Enabled"}, nil
}
func (b *memBucket) ObjectLock(context.Context) (posture.ObjectLock, error) {
	return posture.ObjectLock{}, posture.ErrNotConfigured
}
func (b *memBucket) Lifecycle(context.Context) ([]posture.LifecycleRule, error) {
	return []posture.LifecycleRule{{ID: "purge", Enabled: true, Prefix: "inbox/", ExpirationDays: 30}}, nil
}
func (b *memBucket) Encryption(context.Context) (posture.Encryption, error) {
	return posture.Encryption{Algorithm: "AES256"}, nil
}
func (b *memBucket) PublicAccessBlock(context.Context) (posture.PublicAccessBlock, error) {
	return posture.PublicAccessBlock{}, mailstore.ErrUnsupported
}
func (b *memBucket) Policy(context.Context) (string, error) { return "", posture.ErrNotConfigured }

func newBucket() *memBucket {
	b := &memBucket{objs: map[string][]byte{}, versions: map[string][]audit.Version{}}
	for i, s := range []string{"alpha", "bravo", "charlie", "delta", "echo"} {
		b.objs["inbox/"+s] = []byte("Subject: " + s + " \x1b[31mred\x1b[0m\n\nbody " + strings.Repeat("x", i) + "\n")
	}
	return b
}

// drive runs cmd and every command that its messages lead to, feeding the
// messages to m, until nothing is left to run.
func drive(t *testing.T, m Model, cmd tea.Cmd) (Model, []tea.Msg) {
	t.Helper()
	var seen []tea.Msg
	deadline := time.Now().Add(10 * time.Second)
	for cmd != nil {
		if time.Now().After(deadline) {
			t.Fatal("commands did not settle")
		}
		msg := cmd()
		if msg == nil {
			break
		}
		seen = append(seen, msg)
		m, cmd = m.Update(msg)
	}
	return m, seen
}

func press(m Model, keys ...string) (Model, tea.Cmd) {
	var cmd tea.Cmd
	for _, k := range keys {
		var msg tea.KeyMsg
		switch k {
		case "enter":
			msg = tea.KeyMsg{Type: tea.KeyEnter}
		case "esc":
			msg = tea.KeyMsg{Type: tea.KeyEsc}
		default:
			msg = tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
		}
		m, cmd = m.Update(msg)
	}
	return m, cmd
}

func newModel(t *testing.T, b *memBucket, manifest string) Model {
	t.Helper()
	m := New(fixture.Common(100, 40), Env{Bucket: b, Config: b, Manifest: manifest, Parallel: 2})
	m.SetSize(100, 40)
	m, _ = drive(t, m, m.Init())
	return m
}

func TestPostureView(t *testing.T) {
	m := newModel(t, newBucket(), "")
	v := m.View()
	for _, want := range []string{"Audit  s3://mail/inbox/", "OK       versioning", `WARNING  lifecycle      rule "purge" hides (delete marker) all mail under inbox/`,
		"UNKNOWN  public-access", "fix: ", "press v to compare"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	golden.RequireEqual(t, []byte(v))
}

func snapshotOf(t *testing.T, b *memBucket) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "m.jsonl")
	if _, err := audit.WriteSnapshot(context.Background(), b, path, audit.SnapshotOptions{}); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestVerifyRunShowsFindings(t *testing.T) {
	b := newBucket()
	path := snapshotOf(t, b)
	orig := b.objs["inbox/bravo"]
	b.objs["inbox/bravo"] = []byte("Subject: replaced\n\n")
	delete(b.objs, "inbox/delta")
	b.objs["inbox/\x1b]0;evil\x07new"] = []byte("hi\n")
	b.modified = map[string]time.Time{"inbox/charlie": when.Add(time.Hour)} // the same bytes put again
	b.versions["inbox/bravo"] = []audit.Version{{Key: "inbox/bravo", VersionID: "v2", IsLatest: true, ETag: "Subject: replaced\n\n"},
		{Key: "inbox/bravo", VersionID: "v1", ETag: string(orig), LastModified: when}}
	b.versions["inbox/delta"] = []audit.Version{{Key: "inbox/delta", VersionID: "dm", IsLatest: true, DeleteMarker: true, LastModified: when}}

	m := newModel(t, b, path)
	m, cmd := press(m, "v")
	if !m.Running() || cmd == nil {
		t.Fatal("v did not start a verify")
	}
	m, msgs := drive(t, m, cmd)
	if _, ok := msgs[0].(VerifyStartedMsg); !ok {
		t.Fatalf("first message %T", msgs[0])
	}
	fin, ok := msgs[len(msgs)-1].(VerifyFinishedMsg)
	if !ok || fin.Err != nil || fin.Summary.Changed != 1 || fin.Summary.Deleted != 1 || fin.Summary.Recoverable != 1 {
		t.Fatalf("last message %#v", msgs[len(msgs)-1])
	}
	if m.Running() {
		t.Error("still running after VerifyFinishedMsg")
	}
	m.SetSize(100, 60)
	v := m.View()
	for _, want := range []string{"FAILED: the bucket no longer matches the manifest", "3 unchanged, 1 changed, 1 deleted, 1 new, 0 errors",
		"CHANGED   inbox/bravo", "recoverable: version v1", "DELETED   inbox/delta", "delete marker dm  2025-03-01 09:00:00  (latest)",
		`NEW       "inbox/\x1b]0;evil\anew"`, "recoverable: 1 of 2 changed or deleted", "manifest intact: 5 entries",
		"UNCHANGED inbox/charlie", "the same bytes, but written again since the manifest: last modified 2025-03-01T10:00:00Z",
		"rewritten: 1 unchanged, but written again since the manifest"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	// A row's status is in a column as wide as UNCHANGED and a space,
	// after the margin the posture's rows have, and what is said of the
	// object lines up under its key.
	lines := strings.Split(v, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, " UNCHANGED inbox/charlie") && (i+1 == len(lines) || !strings.HasPrefix(lines[i+1], strings.Repeat(" ", 11)+"charlie red")) {
			t.Errorf("the note is not under the key:\n%s", strings.Join(lines[i:min(i+2, len(lines))], "\n"))
		}
	}
	if !strings.Contains(v, "\n UNCHANGED inbox/charlie") || !strings.Contains(v, "\n CHANGED   inbox/bravo") {
		t.Errorf("rows not in a column of 10 after a margin:\n%s", v)
	}
	if strings.ContainsAny(v, "\x1b\x07") {
		t.Errorf("view holds control characters: %q", v)
	}
}

func TestVerifyPromptsForManifest(t *testing.T) {
	b := newBucket()
	path := snapshotOf(t, b)
	m := newModel(t, b, "")
	m, _ = press(m, "v")
	if !m.Capturing() || !strings.Contains(m.View(), "manifest: ") {
		t.Fatal("v without a manifest did not open the prompt")
	}
	m, _ = press(m, "esc")
	if m.Capturing() || m.Running() {
		t.Fatal("esc did not close the prompt")
	}
	// Letters typed into the prompt (q, x, j) stay there.
	m, _ = press(m, "v", "qxj")
	if !m.Capturing() || !strings.Contains(m.View(), "manifest: qxj") {
		t.Fatalf("prompt did not take the letters:\n%s", m.View())
	}
	m, _ = press(m, "esc", "v", path)
	m, cmd := press(m, "enter")
	if m.Capturing() || !m.Running() {
		t.Fatal("enter did not start the verify")
	}
	m, _ = drive(t, m, cmd)
	if !strings.Contains(m.View(), "OK: nothing changed or deleted") {
		t.Errorf("clean verify view:\n%s", m.View())
	}
}

func TestVerifyStopAndStaleMessages(t *testing.T) {
	b := newBucket()
	path := snapshotOf(t, b)
	b.gate = make(chan struct{}) // every read waits: the run cannot finish
	m := newModel(t, b, path)
	m, cmd := press(m, "v")
	started := cmd().(VerifyStartedMsg)
	m, _ = m.Update(started)
	m, cmd = press(m, "x")
	if m.Running() || !strings.Contains(m.View(), "stopped") {
		t.Fatalf("x did not stop the verify:\n%s", m.View())
	}
	if n, ok := cmd().(common.NoticePostedMsg); !ok || n.Text != "verify stopped" {
		t.Errorf("stop posted %#v", n)
	}
	// The background run ends and closes its channel.
	done := make(chan struct{})
	go func() {
		for range started.Events {
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the stopped verify goroutine did not end")
	}
	// Messages of the stopped run, or of another run, change nothing.
	before := m.View()
	m, cmd = m.Update(VerifyProgressedMsg{Run: started.Run, Results: []audit.Result{{Key: "inbox/x", Status: audit.Changed}}})
	m, _ = m.Update(VerifyFinishedMsg{Run: started.Run + 7})
	if m.View() != before || cmd != nil {
		t.Error("a stale message changed the view")
	}
}

func TestScrolling(t *testing.T) {
	m := newModel(t, newBucket(), "")
	m.SetSize(100, 5)
	first := m.View()
	m, _ = press(m, "j")
	if m.View() == first {
		t.Error("j did not scroll")
	}
	m, _ = press(m, "G")
	last := m.View()
	m, _ = press(m, "j", "j", "j")
	if m.View() != last {
		t.Error("scrolled past the end")
	}
	m, _ = press(m, "g")
	if m.View() != first {
		t.Error("g did not go back to the top")
	}
	if lines := strings.Count(m.View(), "\n") + 1; lines != 5 {
		t.Errorf("view is %d lines for a height of 5", lines)
	}
}

func TestHelpKeys(t *testing.T) {
	m := New(fixture.Common(80, 20), Env{})
	m.SetSize(80, 20)
	if len(m.ShortHelp()) == 0 || len(m.FullHelp()) == 0 {
		t.Error("no help")
	}
	if m.Init() != nil {
		t.Error("Init without a bucket config should do nothing")
	}
	if !strings.Contains(m.View(), "not available") {
		t.Errorf("view without a bucket:\n%s", m.View())
	}
}

// A fix is a command to copy: at any width, every word of it is on one
// line whole (wrapped at spaces only, never at a hyphen), or, wider than
// the screen, cut and said where to read whole; no fix line is wider than
// the screen.
func TestPostureFixWordsAreNeverSplit(t *testing.T) {
	for _, w := range []int{40, 60, 80, 100, 120} {
		m := newModel(t, newBucket(), "")
		m.SetSize(w, 40)
		lines := m.lines()
		view := ansi.Strip(strings.Join(lines, "\n"))
		for _, l := range lines {
			if lw := ansi.StringWidth(l); strings.Contains(l, "fix: ") && lw > w {
				t.Errorf("width %d: fix line %d wide: %q", w, lw, ansi.Strip(l))
			}
		}
		fixes := 0
		for _, f := range m.findings {
			for _, word := range strings.Fields(f.Fix) {
				fixes++
				if len(word) > w {
					if !strings.Contains(strings.Join(strings.Fields(view), " "), "sesbox audit posture prints it whole") {
						t.Errorf("width %d: %q is cut without saying where to read it whole", w, word)
					}
					continue
				}
				if !slices.ContainsFunc(strings.Split(view, "\n"), func(l string) bool { return slices.Contains(strings.Fields(l), word) }) {
					t.Errorf("width %d: fix word %q is not whole on any line:\n%s", w, word, view)
				}
			}
		}
		if fixes == 0 {
			t.Fatal("no fix in the fixture's findings")
		}
	}
}

// Every word of a finding is on the screen at every width: at 40 columns
// the text beside a finding's label was wrapped to 20 cells where 15 were
// left, and the screen cut each line ("versioning is …": "off:" lost);
// below 80, the line saying where to read a cut fix whole lost just that.
func TestPostureWordsAreNeverLost(t *testing.T) {
	for _, w := range []int{40, 44, 60, 80} {
		m := newModel(t, newBucket(), "")
		m.SetSize(w, 40)
		lines := m.lines()
		for _, l := range lines {
			if lw := ansi.StringWidth(l); lw > w {
				t.Errorf("width %d: line %d wide: %q", w, lw, ansi.Strip(l))
			}
		}
		view := strings.Split(ansi.Strip(strings.Join(lines, "\n")), "\n")
		texts := []string{"press v to compare the bucket with a manifest"}
		for _, f := range m.findings {
			texts = append(texts, f.Summary)
		}
		for _, text := range texts {
			for _, word := range strings.Fields(text) {
				if !slices.ContainsFunc(view, func(l string) bool { return slices.Contains(strings.Fields(l), word) }) {
					t.Errorf("width %d: %q of %q is not whole on any line:\n%s", w, word, text, strings.Join(view, "\n"))
				}
			}
		}
	}
}

// A verify that fails is said whole, wrapped to the screen: on one line
// its end, which says what is wrong, was cut off at 80 columns.
func TestVerifyFailureIsSaidWhole(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "a-manifest-that-is-not-there.jsonl")
	m := newModel(t, newBucket(), missing)
	m.SetSize(80, 60)
	m, cmd := press(m, "v")
	m, _ = drive(t, m, cmd)
	var tail []string
	for _, l := range strings.Split(m.View(), "\n") {
		tail = append(tail, strings.TrimSpace(ansi.Strip(l)))
	}
	if v := strings.Join(tail, " "); !strings.Contains(v, "no such file or directory") {
		t.Fatalf("the verify failure is not said whole:\n%s", strings.Join(tail, "\n"))
	}
}

// TestVerifyChecksTheActionLog: the view's verify checks the manifest
// against the action log's entry of it, as `sesbox audit verify` does: an
// entry recording another hash (a manifest edited, its trailer recomputed
// to match) fails the manifest, and an entry that agrees is said.
func TestVerifyChecksTheActionLog(t *testing.T) {
	b := newBucket()
	logPath := filepath.Join(t.TempDir(), "actions.jsonl")
	lg, err := actionlog.OpenLog(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer lg.Close()
	path := filepath.Join(t.TempDir(), "m.jsonl")
	if _, err := audit.WriteSnapshot(context.Background(), b, path, audit.SnapshotOptions{Log: lg}); err != nil {
		t.Fatal(err)
	}
	logged, problems, err := actionlog.VerifyLog(logPath)
	if err != nil || len(problems) > 0 || len(logged) != 1 || logged[0].Export == nil {
		t.Fatalf("log %+v %v %v", logged, problems, err)
	}
	tampered := logged[0]
	export := *tampered.Export
	export.ManifestSHA256 = strings.Repeat("0", 64)
	tampered.Export = &export
	for _, c := range []struct {
		actions []actionlog.Action
		want    []string
	}{
		{logged, []string{"OK: nothing changed or deleted", "action log: "}},
		{[]actionlog.Action{tampered}, []string{"FAILED: the manifest fails its own check", "manifest: "}},
	} {
		m := New(fixture.Common(100, 40), Env{Bucket: b, Config: b, Manifest: path, Parallel: 2,
			Actions: func(context.Context) ([]actionlog.Action, error) { return c.actions, nil }})
		m.SetSize(100, 40)
		m, _ = drive(t, m, m.Init())
		m, cmd := press(m, "v")
		m, _ = drive(t, m, cmd)
		m.SetSize(100, 60)
		v := m.View()
		for _, want := range c.want {
			if !strings.Contains(v, want) {
				t.Errorf("view lacks %q:\n%s", want, v)
			}
		}
	}
}

// TestVerifySaysVersioningWasSuspended: versioning suspended since the
// manifest was made is said under the verify's summary, as the CLI says.
func TestVerifySaysVersioningWasSuspended(t *testing.T) {
	b := newBucket()
	path := snapshotOf(t, b)
	b.versioning = "Suspended"
	m := newModel(t, b, path)
	m, cmd := press(m, "v")
	m, _ = drive(t, m, cmd)
	m.SetSize(100, 60)
	if v := m.View(); !strings.Contains(v, "bucket versioning: Suspended") ||
		!strings.Contains(v, "Enabled when the manifest was made: from now on an overwrite or delete destroys the message") {
		t.Errorf("view:\n%s", v)
	}
}

// vanishing is b with one listed key that cannot be read.
type vanishing struct {
	*memBucket
	key string
}

func (v vanishing) Open(ctx context.Context, key, version string) (io.ReadCloser, mailstore.Object, error) {
	if key == v.key {
		return nil, mailstore.Object{}, mailstore.ErrNotFound
	}
	return v.memBucket.Open(ctx, key, version)
}

// TestVerifySaysWhatTheManifestLacks: objects deleted while the snapshot
// ran are said under the summary, as the CLI says.
func TestVerifySaysWhatTheManifestLacks(t *testing.T) {
	b := newBucket()
	path := filepath.Join(t.TempDir(), "m.jsonl")
	if _, err := audit.WriteSnapshot(context.Background(), vanishing{b, "inbox/charlie"}, path, audit.SnapshotOptions{}); err != nil {
		t.Fatal(err)
	}
	delete(b.objs, "inbox/charlie")
	m := newModel(t, b, path)
	m, cmd := press(m, "v")
	m, _ = drive(t, m, cmd)
	m.SetSize(100, 60)
	if v := m.View(); !strings.Contains(v, "manifest: 1 object was deleted while the snapshot ran: it is not in the manifest and cannot be") {
		t.Errorf("view:\n%s", v)
	}
}

// TestVerifyShowsMetadataChanged: an object whose bytes are the
// manifest's but whose metadata is not (another Content-Type, a planted
// x-amz-meta-*) is shown as METADATA with what changed, counted, and
// fails the run; before, the manifest held no metadata and the view said
// nothing changed.
func TestVerifyShowsMetadataChanged(t *testing.T) {
	b := newBucket()
	path := snapshotOf(t, b)
	b.meta = map[string]map[string]string{"inbox/charlie": {"content-type": "text/html", "x-amz-meta-planted": "\x1b[2Jyes"}}
	m := newModel(t, b, path)
	m, cmd := press(m, "v")
	m, msgs := drive(t, m, cmd)
	fin, ok := msgs[len(msgs)-1].(VerifyFinishedMsg)
	if !ok || fin.Err != nil || fin.Summary.MetadataChanged != 1 || fin.Summary.OK() {
		t.Fatalf("last message %#v", msgs[len(msgs)-1])
	}
	m.SetSize(160, 40)
	v := m.View()
	for _, want := range []string{"FAILED: the bucket no longer matches the manifest", "4 unchanged, 0 changed, 1 metadata changed, 0 deleted, 0 new, 0 errors",
		"METADATA  inbox/charlie", `content-type "application/octet-stream" -> "text/html"`, `x-amz-meta-planted added: "\x1b[2Jyes"`} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "metadata was not recorded") || strings.ContainsAny(v, "\x1b\x07") {
		t.Errorf("view:\n%q", v)
	}
}

// TestVerifySaysAnIncompleteRunIsNoFinding: a run that could not read an
// object and found nothing else says so, as the CLI does (exit status 2
// there); before, it said "FAILED: the bucket no longer matches the
// manifest" of a bucket that may well match it.
func TestVerifySaysAnIncompleteRunIsNoFinding(t *testing.T) {
	b := newBucket()
	path := snapshotOf(t, b)
	b.unreadable = "inbox/charlie"
	m := newModel(t, b, path)
	m, cmd := press(m, "v")
	m, _ = drive(t, m, cmd)
	m.SetSize(100, 40)
	v := m.View()
	if !strings.Contains(v, "INCOMPLETE: 1 object could not be read; nothing read was changed or deleted") || strings.Contains(v, "no longer matches") {
		t.Errorf("view:\n%s", v)
	}
}

// TestVerifyOfAnAsOfManifestSaysSo: a manifest of the bucket as it
// stood at a past date (snapshot --as-of) was verified against the bucket
// now without a word of it, so what changed since that date read as
// damage; the view says it under the verdict, as audit verify's report
// does (ManifestCheck.AsOfNote), and so a comparison with a past date
// (Summary.AsOfNote).
func TestVerifyOfAnAsOfManifestSaysSo(t *testing.T) {
	b := newBucket()
	path := snapshotOf(t, b)
	sum, err := audit.Verify(context.Background(), b, path, audit.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m := newModel(t, b, path)
	m, _ = press(m, "v")
	if !m.Running() {
		t.Fatal("v did not start a verify")
	}
	m, _ = m.Update(VerifyFinishedMsg{Run: m.run, Summary: sum})
	m.SetSize(80, 60)
	if v := m.View(); strings.Contains(v, "as of") {
		t.Fatalf("a manifest of the bucket as it was said 'as of':\n%s", v)
	}
	sum.Manifest.Header.AsOf = when
	sum.AsOf = when.Add(24 * time.Hour)
	m, _ = press(m, "v")
	m, _ = m.Update(VerifyFinishedMsg{Run: m.run, Summary: sum})
	v := ansi.Strip(m.View())
	for _, want := range []string{
		"manifest: the bucket as of 2025-03-01T09:00:00Z, rebuilt from its versions",
		"compared with: the bucket as of 2025-03-02T09:00:00Z, rebuilt from its",
	} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	if i, j := strings.Index(v, "OK: nothing changed"), strings.Index(v, "manifest: the bucket as of"); i < 0 || j < i {
		t.Errorf("the note is not under the verdict:\n%s", v)
	}
}

// TestVerifySaysWhatTheLifecycleRulesMayHaveDone: the bucket's rule
// "purge" expires mail under inbox/ 30 days after it is stored, and an
// object of the manifest stored long before is gone: the view's verify
// says, as the CLI's does, that the rule may have removed it (its note,
// and a warning under the summary); before, the view showed it deleted
// with nothing to tell a rule from a person.
func TestVerifySaysWhatTheLifecycleRulesMayHaveDone(t *testing.T) {
	b := newBucket()
	path := snapshotOf(t, b)
	delete(b.objs, "inbox/delta")
	m := newModel(t, b, path)
	m, cmd := press(m, "v")
	m, _ = drive(t, m, cmd)
	m.SetSize(200, 80)
	v := m.View()
	for _, want := range []string{
		"warning: see the notes of the deleted objects: 1 of 1 were due to expire under the bucket's lifecycle rules (Expiration)",
		`lifecycle rule "purge" of mail (all mail under inbox/) expires mail 30 days after it is stored (Expiration): this one was due by 2025-03-31T09:00:00Z`,
	} {
		if !strings.Contains(strings.Join(strings.Fields(v), " "), want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
}

// TestVerifyShowsDigestsAndRestoreWhole: at 80 columns the verify view
// cut the manifest's SHA-256 ("sha256 3f2a…"), showed no digest of a
// changed object, and no restore command, all of which audit verify
// prints: the digests show whole, and the restore line is the CLI's own
// (audit.RestoreCommand), wrapped.
func TestVerifyShowsDigestsAndRestoreWhole(t *testing.T) {
	b := newBucket()
	path := snapshotOf(t, b)
	orig := b.objs["inbox/bravo"]
	b.objs["inbox/bravo"] = []byte("Subject: replaced\n\n")
	b.versions["inbox/bravo"] = []audit.Version{{Key: "inbox/bravo", VersionID: "01M996RN2SB80G8RBNPSXKQ2KH.Lx7qA2", IsLatest: true, ETag: "Subject: replaced\n\n"},
		{Key: "inbox/bravo", VersionID: "3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY", ETag: string(orig), LastModified: when}}
	m := newModel(t, b, path)
	m, cmd := press(m, "v")
	m, msgs := drive(t, m, cmd)
	fin, ok := msgs[len(msgs)-1].(VerifyFinishedMsg)
	if !ok || fin.Summary.Changed != 1 || fin.Summary.Recoverable != 1 {
		t.Fatalf("last message %#v", msgs[len(msgs)-1])
	}
	m.SetSize(80, 200)
	v := m.View()
	for _, l := range strings.Split(v, "\n") {
		if w := ansi.StringWidth(l); w > 80 || strings.Contains(l, "…") {
			t.Errorf("line cut or too wide (%d): %q", w, l)
		}
	}
	var changed audit.Result
	for _, r := range m.results {
		if r.Key == "inbox/bravo" {
			changed = r
		}
	}
	for _, want := range []string{"sha256 " + changed.SHA256, "was    " + changed.ManifestSHA256, fin.Summary.Manifest.SHA256} {
		if len(want) < 64 || !strings.Contains(v, want) {
			t.Errorf("view lacks %q whole:\n%s", want, v)
		}
	}
	restore := audit.RestoreCommand("mail", "inbox/bravo", "3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY")
	squeeze := func(s string) string { return strings.Join(strings.Fields(s), "") }
	if !strings.Contains(squeeze(v), squeeze("manifest intact: 5 entries, sha256 "+fin.Summary.Manifest.SHA256)) {
		t.Errorf("view lacks the manifest's digest:\n%s", v)
	}
	if restore == "" || !strings.Contains(squeeze(v), squeeze("restore: "+restore)) {
		t.Errorf("view lacks %q:\n%s", restore, v)
	}
}

// TestRestoreCommandIsCopiedWhole: the restore command of an object
// whose key is an SES message id (a copy source of 118 cells) was
// wrapped at 80 columns, inside its quoted copy source, so what the
// screen showed could not be copied and pasted; at 80x23 it is now
// wrapped at spaces only (a word wider than the screen cut, said so),
// and y puts the first one on the screen on the clipboard whole (OSC
// 52), exactly audit.RestoreCommand, even when only its last line is
// on the screen; with none on the screen y says where to scroll.
func TestRestoreCommandIsCopiedWhole(t *testing.T) {
	b := newBucket()
	key := "inbox/0100019386f5b7a4-0c3e8b1f-5d2a-4e7b-9c61-3f8a2d4e6b10-000000"
	b.objs[key] = []byte("Subject: long\n\nthe original\n")
	path := snapshotOf(t, b)
	orig := b.objs[key]
	b.objs[key] = []byte("Subject: long\n\nreplaced!!!!\n")
	vid := "3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY.a8b7c6d5e4f3"
	b.versions[key] = []audit.Version{{Key: key, VersionID: "01M996RN2SB80G8RBNPSXKQ2KH.Lx7qA2", IsLatest: true, ETag: string(b.objs[key])},
		{Key: key, VersionID: vid, ETag: string(orig), LastModified: when}}
	var term bytes.Buffer
	c := fixture.Common(80, 23)
	c.Terminal = &term
	m := New(c, Env{Bucket: b, Config: b, Manifest: path, Parallel: 2})
	m.SetSize(80, 23)
	m, _ = drive(t, m, m.Init())
	m, cmd := press(m, "v")
	m, _ = drive(t, m, cmd)
	want := audit.RestoreCommand("mail", key, vid)
	if len(want) < 200 {
		t.Fatalf("restore command %q", want)
	}

	// Nothing on the first screen: y says where to scroll.
	m, cmd = press(m, "y")
	if msg, ok := cmd().(common.NoticePostedMsg); !ok || !strings.Contains(msg.Text, "scroll to one") || term.Len() != 0 {
		t.Errorf("y with no restore command on the screen: %#v, %q", msg, term.String())
	}
	m, _ = press(m, "G")
	v := m.View()
	var shown []string
	for _, l := range strings.Split(v, "\n") {
		if w := ansi.StringWidth(l); w > 80 {
			t.Errorf("line too wide (%d): %q", w, l)
		}
		shown = append(shown, strings.Fields(l)...)
	}
	// Every word of the command is on the screen as a word, or cut
	// (ending in …) only when wider than the screen.
	for _, w := range strings.Fields(want) {
		if !slices.Contains(shown, w) && (len(w) <= 80 || !slices.ContainsFunc(shown, func(s string) bool {
			return strings.HasSuffix(s, "…") && strings.HasPrefix(w, strings.TrimSuffix(s, "…"))
		})) {
			t.Errorf("the word %q of the restore command is not whole on the screen:\n%s", w, v)
		}
	}
	if !strings.Contains(strings.Join(strings.Fields(v), " "), "y copies the first restore command on the screen whole (OSC 52)") {
		t.Errorf("the view does not say y copies it:\n%s", v)
	}
	m, cmd = press(m, "y")
	m, msgs := drive(t, m, cmd)
	if len(msgs) == 0 {
		t.Fatal("y sent nothing")
	}
	if r, ok := msgs[0].(RestoreCopiedMsg); !ok || r.Err != nil || r.Key != key {
		t.Errorf("y: %#v", msgs[0])
	}
	if got := term.String(); !strings.HasPrefix(got, ansi.SetSystemClipboard(want)) {
		t.Errorf("the terminal got %q\nwant OSC 52 of %q", got, want)
	}
	// Only its last line on the screen, at the top: it is still the
	// one copied.
	_, rs := m.render()
	term.Reset()
	m.offset = rs[0].end - 1
	if _, cmd = press(m, "y"); cmd == nil {
		t.Fatal("y with the command's last line on the screen sent nothing")
	}
	if r, ok := cmd().(RestoreCopiedMsg); !ok || r.Key != key || !strings.HasPrefix(term.String(), ansi.SetSystemClipboard(want)) {
		t.Errorf("y with the command's last line on the screen: %#v, %q", r, term.String())
	}
}

// TestVerifySaysDestroyedVersionsAndLockChanges: the summary's count of
// the manifest's versions deleted for good and of versions whose Object
// Lock changed (audit verify's rows destroyed and object lock) were not
// in the TUI's summary; they are, at 80 columns, whole.
func TestVerifySaysDestroyedVersionsAndLockChanges(t *testing.T) {
	m := newModel(t, newBucket(), "")
	m.SetSize(80, 40)
	m.run, m.state = 7, verifyRunning
	m, _ = m.Update(VerifyFinishedMsg{Run: 7, Summary: audit.Summary{Unchanged: 3, MetadataChanged: 2, Rewritten: 1, Destroyed: 1, LockChanged: 2}})
	v := strings.Join(strings.Fields(m.View()), " ")
	for _, want := range []string{"destroyed: 1 of the manifest's versions deleted for good (s3:DeleteObjectVersion)",
		"object lock: 2 changed (the retention or legal hold of the manifest's version)"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, m.View())
		}
	}
}

// TestVerifyShowsMailDeletedSinceTheManifest: an object verify found
// among the bucket's versions, put after the manifest and deleted, is a
// finding (the verdict FAILED, its row DELETED in the failure style, its
// restore command and note below it) and the summary counts it, at 80
// columns, whole.
func TestVerifyShowsMailDeletedSinceTheManifest(t *testing.T) {
	m := newModel(t, newBucket(), "")
	m.SetSize(80, 40)
	m.run, m.state = 7, verifyRunning
	r := audit.Result{Key: "inbox/n", Status: audit.DeletedSinceManifest, Recoverable: "v1",
		Note: "put 2026-12-08T01:31:37Z (version v1), after the manifest's run started (2026-12-08T01:31:36Z), and deleted 2026-12-08T01:31:38Z (delete marker m1): mail lost since the manifest, which does not hold it"}
	m, _ = m.Update(VerifyProgressedMsg{Run: 7, Results: []audit.Result{r}})
	m, _ = m.Update(VerifyFinishedMsg{Run: 7, Summary: audit.Summary{Unchanged: 3, DeletedSinceManifest: 1}})
	v := strings.Join(strings.Fields(ansi.Strip(m.View())), " ")
	for _, want := range []string{"FAILED", "DELETED inbox/n", "recoverable: version v1", "restore: aws s3api copy-object",
		"deleted since the manifest: 1 put after it was made (or left out of it) and deleted, as the bucket's versions show",
		"mail lost since the manifest, which does not hold it"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, m.View())
		}
	}
	if got, want := m.statusLabel(audit.DeletedSinceManifest), m.c.Styles.Fail.Render("DELETED   "); got != want {
		t.Errorf("label %q, want %q", got, want)
	}
}
