package actionlog

import (
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/quick"
	"time"
	"unicode"
)

// mailText is a random string of the characters mail puts in keys,
// subjects and addresses, weighted towards those that act on a terminal
// or reorder text: C0 and C1 controls, DEL, the bidirectional controls.
type mailText string

func (mailText) Generate(r *rand.Rand, size int) reflect.Value {
	alphabet := []rune("aZ09/.-_@ \"\\\t\n\x1b\x07\x7f\u0080\u0085\u009b\u009f\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u00e9\ud55c\U0001F600")
	var b strings.Builder
	for range r.Intn(size + 1) {
		b.WriteRune(alphabet[r.Intn(len(alphabet))])
	}
	return reflect.ValueOf(mailText(b.String()))
}

// rawOnScreen reports a character no log line may hold as it is.
func rawOnScreen(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r <= 0x9f) || unicode.Is(unicode.Bidi_Control, r)
}

// TestLogLinesEscapeAndRoundTrip: whatever a key, destination or result
// holds, the log line written for it holds no control or bidirectional
// character as it is, and VerifyLog reads back exactly what was appended,
// with an intact chain.
func TestLogLinesEscapeAndRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "actions.jsonl")
	l, err := OpenLog(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var want []Action
	appendOne := func(key, subject, dest, result, draft, note mailText) bool {
		a := Action{
			Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), User: "u", Host: "h", Command: "forward",
			Bucket: "mail", Key: string(key), ETag: "e", SHA256: "s", Destinations: []string{string(dest)},
			Result: string(result), Export: &ExportAction{What: string(subject), Kind: "mbox"}, Draft: string(draft), Note: string(note),
		}
		if err := l.Append(a); err != nil {
			t.Error(err)
			return false
		}
		want = append(want, a)
		return true
	}
	if err := quick.Check(appendOne, &quick.Config{MaxCount: 300}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range strings.ReplaceAll(string(data), "\n", "") {
		if rawOnScreen(r) {
			t.Fatalf("the log holds %U as it is", r)
		}
	}
	got, problems, err := VerifyLog(path)
	if err != nil || len(problems) != 0 {
		t.Fatalf("VerifyLog: %v, problems %v", err, problems)
	}
	if len(got) != len(want) {
		t.Fatalf("read %d actions, appended %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Key != w.Key || g.Result != w.Result || !reflect.DeepEqual(g.Destinations, w.Destinations) || g.Export.What != w.Export.What || g.Draft != w.Draft || g.Note != w.Note {
			t.Fatalf("action %d read back as key %q result %q dests %q what %q draft %q note %q; appended %q %q %q %q %q %q",
				i, g.Key, g.Result, g.Destinations, g.Export.What, g.Draft, g.Note, w.Key, w.Result, w.Destinations, w.Export.What, w.Draft, w.Note)
		}
	}
}

// TestChainNextEscapes: a shared log's entry is escaped the same way and
// decodes to the same action.
func TestChainNextEscapes(t *testing.T) {
	key := "inbox/\u202egpj.exe\u0085\x7f"
	raw, err := ChainNext(Action{Command: "forward", Key: key, Destinations: []string{"a@b"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range string(raw) {
		if rawOnScreen(r) {
			t.Fatalf("entry holds %U as it is: %s", r, raw)
		}
	}
	if !strings.Contains(string(raw), `\u202e`) {
		t.Errorf("entry %s does not spell U+202E out", raw)
	}
}
