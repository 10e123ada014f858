package actionlog

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func sharedChain(t *testing.T, n int, r *rand.Rand) ([]SharedEntry, *SharedHead) {
	t.Helper()
	var entries []SharedEntry
	for i := range n {
		a := Action{Time: time.Unix(int64(r.IntN(1<<30)), 0), User: "u", Host: fmt.Sprint("h", r.IntN(3)), Command: "forward",
			Bucket: "mail", Key: fmt.Sprintf("k%d", i), Destinations: []string{fmt.Sprint(r.IntN(100), "@x")}, Result: "sent"}
		var last *SharedEntry
		if i > 0 {
			last = &entries[i-1]
		}
		raw, err := ChainNext(a, last)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, SharedEntry{Seq: int64(i + 1), Raw: raw, Item: fmt.Sprintf("log/%d", i+1)})
	}
	var head *SharedHead
	if n > 0 {
		head = &SharedHead{Count: int64(n), Last: EntryHash(entries[n-1].Raw), Item: "head"}
	}
	return entries, head
}

// TestVerifySharedNamesEveryEdit: for random chains, an intact one has no
// problem, and changing any one byte of any entry is reported at that
// entry's item.
func TestVerifySharedNamesEveryEdit(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		n := 1 + r.IntN(12)
		entries, head := sharedChain(t, n, r)
		if actions, problems := VerifyShared(entries, head); len(problems) > 0 || len(actions) != n {
			t.Fatalf("intact chain of %d: %v", n, problems)
		}
		i := r.IntN(n)
		raw := slices.Clone(entries[i].Raw)
		raw[r.IntN(len(raw))] ^= byte(1 + r.IntN(255))
		edited := slices.Clone(entries)
		edited[i].Raw = raw
		_, problems := VerifyShared(edited, head)
		if len(problems) == 0 {
			t.Fatalf("edit of entry %d of %d not found", i+1, n)
		}
		found := false
		for _, p := range problems {
			found = found || p.Item == entries[i].Item
		}
		if !found {
			t.Fatalf("edit of entry %d of %d reported as %v", i+1, n, problems)
		}
	}
}

func TestVerifySharedRemovals(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	entries, head := sharedChain(t, 6, r)
	cases := []struct {
		name    string
		entries []SharedEntry
		head    *SharedHead
		want    []string // kind@item
	}{
		{"middle", slices.Delete(slices.Clone(entries), 2, 3), head, []string{"removed@log/4"}},
		{"start", entries[1:], head, []string{"removed@log/2"}},
		{"tail", entries[:4], head, []string{"truncated@head"}},
		{"all", nil, head, []string{"truncated@head"}},
		{"no head", entries, nil, []string{"head@"}},
		{"head behind (an append cut off before it moved the head)", entries, &SharedHead{Count: 5, Last: EntryHash(entries[4].Raw)}, nil},
		{"empty", nil, nil, nil},
	}
	for _, tc := range cases {
		_, problems := VerifyShared(tc.entries, tc.head)
		var got []string
		for _, p := range problems {
			got = append(got, p.Kind+"@"+p.Item)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, problems, tc.want)
		}
	}
}

type memLog struct{ got []Action }

func (m *memLog) Append(a Action) error { m.got = append(m.got, a); return nil }

// TestTeeAndMerge: the two copies Tee writes carry the same fields, so
// Merge shows each action once, marked as in both logs, next to actions
// only one side has, in time order.
func TestTeeAndMerge(t *testing.T) {
	local, shared := &memLog{}, &memLog{}
	tee := Tee{local, shared}
	for i := range 3 {
		if err := tee.Append(Action{Command: "forward", Key: fmt.Sprint("k", i), Time: time.Unix(int64(100+i), 0)}); err != nil {
			t.Fatal(err)
		}
	}
	if local.got[0].User == "" || local.got[0].Host != shared.got[0].Host || local.got[0].Destinations == nil {
		t.Fatalf("tee did not fill the same fields: %+v %+v", local.got[0], shared.got[0])
	}
	for i := range shared.got {
		shared.got[i].Seq = int64(2*i + 10) // another chain's numbering
	}
	other := Action{Command: "reply", Key: "x", User: "op", Host: "elsewhere", Time: time.Unix(101, 500), Seq: 13}
	merged := Merge(local.got, append(slices.Clone(shared.got), other))
	var got []string
	for _, m := range merged {
		got = append(got, fmt.Sprintf("%s %v %d", m.Key, m.Logs, m.SharedSeq))
	}
	want := []string{"k0 [local shared] 10", "k1 [local shared] 12", "x [shared] 13", "k2 [local shared] 14"}
	if !slices.Equal(got, want) {
		t.Errorf("merged %v, want %v", got, want)
	}
}

// TestSharedLogShowsLinesCutOffTheLocalLog: the local log's tail is cut
// off and its head rewritten to match (anyone who can write the two files
// can): the chain and the head see nothing, the shared copy does.
func TestSharedLogShowsLinesCutOffTheLocalLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "actions.jsonl")
	local, err := OpenLog(path)
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	shared := &memLog{}
	tee := Tee{local, shared}
	for i := range 5 {
		if err := tee.Append(Action{Command: "forward", Key: fmt.Sprint("k", i), Result: "sent", Time: time.Unix(int64(100+i), 0)}); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte(`"origin"`)) {
		t.Error("the local log carries an origin")
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	first := lineHash(bytes.TrimSuffix(lines[0], []byte("\n")))
	for i, a := range shared.got {
		if a.Origin != first {
			t.Fatalf("shared copy %d has origin %q, want the first line's hash %q", i, a.Origin, first)
		}
	}
	actions, problems, err := VerifyLog(path)
	if err != nil || len(problems) != 0 {
		t.Fatalf("intact log: %v %v", problems, err)
	}
	if p, err := VerifyAgainstShared(path, actions, shared.got); err != nil || len(p) != 0 {
		t.Fatalf("intact log against the shared one: %v %v", p, err)
	}

	// Cut off the last two lines and write the head that matches.
	cut := bytes.Join(lines[:3], nil)
	if err := os.WriteFile(path, cut, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := writeHead(HeadPath(path), head{Count: 3, Last: lineHash(bytes.TrimSuffix(lines[2], []byte("\n"))), Size: int64(len(cut))}); err != nil {
		t.Fatal(err)
	}
	actions, problems, err = VerifyLog(path)
	if err != nil || len(problems) != 0 || len(actions) != 3 {
		t.Fatalf("the cut log alone: %d actions, %v %v", len(actions), problems, err)
	}
	p, err := VerifyAgainstShared(path, actions, shared.got)
	if err != nil {
		t.Fatal(err)
	}
	if len(p) != 2 || p[0].Kind != "removed" || !strings.Contains(p[0].Detail, "k3") || !strings.Contains(p[1].Detail, "k4") {
		t.Errorf("against the shared log: %v", p)
	}
	// Actions of another log (another machine, or before the team table)
	// are not this log's business.
	other := Action{Command: "reply", Key: "x", Origin: "elsewhere", Time: time.Unix(1, 0)}
	if p, _ := VerifyAgainstShared(path, actions, []Action{other}); len(p) != 0 {
		t.Errorf("another log's action: %v", p)
	}
}

// TestMergeKeepsTheTablesOrder: machine A's clock is ten minutes behind
// B's. The shared log's numbers are the order the actions reached the
// table (B's b1, then A's a1, B's b2, A's a3); A's a2 never reached it
// (the table was down) and follows a1, the action before it in A's own
// log. The merged view keeps that order. Before, it was sorted by each
// writer's clock: all of A's actions came first, ten minutes "before" B's
// action that the table had before them.
func TestMergeKeepsTheTablesOrder(t *testing.T) {
	at := func(m int) time.Time { return time.Date(2026, 12, 6, 10, m, 0, 0, time.UTC) }
	act := func(host, key string, tm time.Time) Action {
		return Action{Command: "forward", Key: key, User: "op", Host: host, Time: tm}
	}
	a1, a2, a3 := act("a", "a1", at(-10)), act("a", "a2", at(-9)), act("a", "a3", at(-8))
	b1, b2 := act("b", "b1", at(0)), act("b", "b2", at(1))
	local := []Action{a1, a2, a3}
	var shared []Action
	for i, x := range []Action{b1, a1, b2, a3} {
		x.Seq = int64(i + 1)
		shared = append(shared, x)
	}
	var got []string
	for _, m := range Merge(local, shared) {
		got = append(got, fmt.Sprintf("%s %v %d", m.Key, m.Logs, m.SharedSeq))
	}
	want := []string{"b1 [shared] 1", "a1 [local shared] 2", "a2 [local] 0", "b2 [shared] 3", "a3 [local shared] 4"}
	if !slices.Equal(got, want) {
		t.Errorf("merged %q,\nwant %q", got, want)
	}
}

// TestMergeTakesARepublishedSendForItsLocalLine: A's send reached its
// local log and its shared entry was lost; A's next run wrote it back
// from its journal, at another time, with its note. The merged view holds
// the send once, in both logs (it was listed twice, and the recipe that
// shows no message went twice printed it); a republished send without a
// local line (another machine's) and one of another SES id stay apart.
func TestMergeTakesARepublishedSendForItsLocalLine(t *testing.T) {
	at := func(m int) time.Time { return time.Date(2026, 12, 6, 10, m, 0, 0, time.UTC) }
	sent := func(key, id string, tm time.Time) Action {
		return Action{Command: "forward", Key: key, ETag: "e", User: "op", Host: "a", Time: tm, SESMessageID: id, Result: "sent"}
	}
	k1, k2 := sent("k1", "ses-1", at(0)), sent("k2", "ses-2", at(1))
	republished := func(a Action, id string, seq int64) Action {
		a.Time, a.SESMessageID, a.Seq = a.Time.Add(-time.Second), id, seq
		a.Note = NoteRepublished + "op@a pid 2 at 2026-12-06T10:05:00Z from its forward journal"
		return a
	}
	other := republished(sent("k3", "ses-3", at(2)), "ses-3", 3)
	var got []string
	for _, m := range Merge([]Action{k1, k2}, []Action{republished(k1, "ses-1", 1), republished(k2, "ses-9", 2), other}) {
		got = append(got, fmt.Sprintf("%s %s %v %d", m.Key, m.SESMessageID, m.Logs, m.SharedSeq))
	}
	want := []string{"k1 ses-1 [local shared] 1", "k2 ses-2 [local] 0", "k2 ses-9 [shared] 2", "k3 ses-3 [shared] 3"}
	if !slices.Equal(got, want) {
		t.Errorf("merged %q,\nwant %q", got, want)
	}
}

// TestMergeByTimeKeepsEachLogsOrder: logs collected from several
// machines are merged by time, but a log whose clock went back keeps its
// own order, and an action in two logs appears once naming both; for
// any logs, every action of each is there once, in that log's order.
func TestMergeByTimeKeepsEachLogsOrder(t *testing.T) {
	at := func(m int) time.Time { return time.Date(2026, 12, 1, 9, m, 0, 0, time.UTC) }
	act := func(m int, key string) Action { return Action{Time: at(m), Command: "reply", Key: key, Result: "sent"} }
	both := act(4, "both")
	a := []Action{act(1, "a1"), act(5, "a5"), act(3, "a3-clock-back"), both}
	b := []Action{act(2, "b2"), both, act(6, "b6")}
	var got []string
	for _, x := range MergeByTime([]string{"a", "b"}, [][]Action{a, b}) {
		got = append(got, strings.Join(x.Logs, "+")+":"+x.Key)
	}
	want := []string{"a:a1", "b:b2", "b+a:both", "a:a5", "a:a3-clock-back", "b:b6"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}

	r := rand.New(rand.NewPCG(3, 5))
	for range 200 {
		n := 1 + r.IntN(4)
		names, logs := make([]string, n), make([][]Action, n)
		for i := range n {
			names[i] = fmt.Sprint("log", i)
			for j := range r.IntN(8) {
				logs[i] = append(logs[i], act(r.IntN(30), fmt.Sprintf("%d-%d", i, j)))
			}
		}
		seen := make([][]string, n)
		for _, x := range MergeByTime(names, logs) {
			if len(x.Logs) != 1 {
				t.Fatalf("distinct actions merged: %+v", x)
			}
			i := slices.Index(names, x.Logs[0])
			seen[i] = append(seen[i], x.Key)
		}
		for i := range n {
			var keys []string
			for _, a := range logs[i] {
				keys = append(keys, a.Key)
			}
			if !slices.Equal(seen[i], keys) {
				t.Fatalf("log %d: merged %q, had %q", i, seen[i], keys)
			}
		}
	}
}
