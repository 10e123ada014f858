package main

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"unicode"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/index"
	"github.com/sesbox/sesbox/mailstore/testutil/gensum"
)

// TestLsJSONRoundTripProperty: for any summary, what `ls --json` prints
// after the summary went through the index decodes to the row made from
// the summary itself: attachments and attachmentsExact included (the
// lower bound is never lost or guessed), lists exact, every string one
// sanitized line. 1,000 generated summaries, a fixed seed.
func TestLsJSONRoundTripProperty(t *testing.T) {
	x, err := index.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	ctx := context.Background()
	src := gensum.NewRand(5)
	sums := make([]mailstore.Summary, 1000)
	var lower int
	for i := range sums {
		sums[i] = gensum.Summary(src, i)
		sums[i].Read, sums[i].Missing = false, false
		if !sums[i].AttachmentsExact && sums[i].Attachments > 0 {
			lower++
		}
	}
	if err := x.Put(ctx, "b", sums); err != nil {
		t.Fatal(err)
	}
	// The forward status is written by its own path (the log group's).
	forwards := map[string]mailstore.Forward{}
	for _, s := range sums {
		forwards[s.Key] = s.Forward
	}
	if err := x.SetForward(ctx, "b", forwards); err != nil {
		t.Fatal(err)
	}
	for _, s := range sums {
		got, ok, err := x.Get(ctx, "b", s.Key)
		if err != nil || !ok {
			t.Fatalf("Get %q: %v %v", s.Key, ok, err)
		}
		// As ls --json writes it: through terminalSafe.
		var buf bytes.Buffer
		if err := json.NewEncoder(terminalSafe{&buf}).Encode(lsRowOf(&got)); err != nil {
			t.Fatal(err)
		}
		line := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
		if r, ok := termActive(string(line)); ok {
			t.Fatalf("the line holds %U as it is: %q", r, line)
		}
		var back lsRow
		if err := json.Unmarshal(line, &back); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		norm := gensum.Normal(s) // the index keeps instants in UTC
		want := lsRowOf(&norm)
		if !reflect.DeepEqual(back, want) {
			t.Fatalf("ls --json row changed:\n got %#v\nwant %#v", back, want)
		}
		var fields map[string]any
		if err := json.Unmarshal(line, &fields); err != nil {
			t.Fatal(err)
		}
		if exact, ok := fields["attachmentsExact"].(bool); !ok || exact != s.AttachmentsExact {
			t.Fatalf("attachmentsExact %v (%T) for %v", fields["attachmentsExact"], fields["attachmentsExact"], s.AttachmentsExact)
		}
		if fields["key"] != s.Key {
			t.Fatalf("key %q, want exactly %q", fields["key"], s.Key)
		}
		// Every text exactly as the index holds it (before, subject and
		// names went through sanitize.Line: a tab, a newline or a bidi
		// override became other text).
		to := make([]string, len(norm.To))
		for i, a := range norm.To {
			to[i] = a.String()
		}
		if back.Subject != norm.Subject || back.FromName != norm.From.Name || back.FromAddress != norm.From.Address ||
			back.MessageID != norm.MessageID || !slices.Equal(back.To, to) || !slices.Equal(back.Recipients, norm.Recipients) ||
			back.ForwardError != norm.Forward.Error {
			t.Fatalf("ls --json row is not the summary's text:\n got %#v\nfrom %#v", back, norm)
		}
		if n, ok := fields["attachments"].(float64); !ok || int(n) != s.Attachments {
			t.Fatalf("attachments %v for %d", fields["attachments"], s.Attachments)
		}
	}
	if lower < 100 {
		t.Fatalf("only %d lower bounds generated", lower)
	}
}

// termActive returns the first character of s that acts on a terminal
// (a control, DEL, a C1 control, a bidirectional control).
func termActive(s string) (rune, bool) {
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return r, true
		}
	}
	return 0, false
}
