package actionlog

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/sesbox/sesbox/mailstore/sanitize"
)

// A shared action log (team mode, mailstore/team) is the same hash chain
// as the local one, kept as one record per entry in a store that several
// machines append to: each record holds the exact JSON bytes of one
// Action, filed under its sequence number, and the store refuses a second
// record under a number already taken (a conditional write), so two
// writers cannot fork the chain. A head record keeps the count and the
// last hash, so entries cut off the end are seen.

// SharedEntry is one record of a shared action log, as stored.
type SharedEntry struct {
	Seq  int64  // the sequence number the record is filed under
	Raw  []byte // the entry's exact bytes
	Item string // how the store names the record, for problems
}

// SharedHead is the shared log's head record.
type SharedHead struct {
	Count int64
	Last  string // hash of entry Count
	Item  string
}

// ChainNext fills in the chain fields of a to follow last (nil for the
// first entry) and returns its bytes: what a shared log stores.
func ChainNext(a Action, last *SharedEntry) ([]byte, error) {
	a.Time = a.Time.UTC()
	if a.Destinations == nil {
		a.Destinations = []string{}
	}
	a.Prev, a.Seq = "", 1
	if last != nil {
		a.Prev, a.Seq = lineHash(last.Raw), last.Seq+1
	}
	return marshalLine(a)
}

// marshalLine is a's line in a log, local or shared. Keys, subjects and
// destinations come from mail: the bidirectional controls, C1 controls
// and DEL in them are written as \uXXXX (sanitize.JSON), which any JSON
// reader decodes back to the same strings, so a log printed by cat or
// tail cannot reorder or hide what a line says. <, > and & are written
// as they are, as `audit log --json` writes them, so that its export of
// a log is the log's lines byte for byte and the chain checks on it. The
// chain hashes the bytes written, so lines written otherwise before
// (raw controls, \u003c) stay valid.
func marshalLine(a Action) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(a)
	return sanitize.JSON(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), err
}

// EntryHash is the hash the next entry's Prev carries.
func EntryHash(raw []byte) string { return lineHash(raw) }

// VerifyShared checks a shared log read in sequence order: every entry
// parses, is filed under its own sequence number, follows the one before
// without gaps and carries its hash, and the head matches. Problems name
// the record (Item) and its sequence number (Line). A head behind the
// last entry is no problem: a writer stopped between its two writes, and
// the next append moves the head on.
func VerifyShared(entries []SharedEntry, head *SharedHead) ([]Action, []Problem) {
	var (
		actions  []Action
		problems []Problem
	)
	add := func(e SharedEntry, kind, format string, args ...any) {
		problems = append(problems, Problem{Line: int(e.Seq), Kind: kind, Detail: fmt.Sprintf(format, args...), Item: e.Item})
	}
	var prev *SharedEntry
	for i := range entries {
		e := entries[i]
		var a Action
		if err := json.Unmarshal(e.Raw, &a); err != nil {
			add(e, "malformed", "not a JSON action: %v", err)
			prev = &entries[i]
			continue
		}
		actions = append(actions, a)
		if a.Seq != e.Seq {
			add(e, "edited", "the entry says it is number %d but is filed as %d", a.Seq, e.Seq)
		}
		switch {
		case prev == nil && e.Seq != 1:
			add(e, "removed", "the log should start with entry 1: entries 1-%d are missing", e.Seq-1)
		case prev == nil && a.Prev != "":
			add(e, "edited", "the first entry names a previous one")
		case prev != nil && e.Seq != prev.Seq+1:
			add(e, "removed", "%d entries missing before this one (entries %d-%d)", e.Seq-prev.Seq-1, prev.Seq+1, e.Seq-1)
		case prev != nil && a.Prev != lineHash(prev.Raw):
			add(*prev, "edited", "this entry was changed after entry %d was written (its hash no longer matches)", e.Seq)
		}
		prev = &entries[i]
	}
	switch {
	case head == nil && len(entries) > 0:
		problems = append(problems, Problem{Kind: "head", Detail: "the head record is missing: entries cut off the end cannot be detected"})
	case head == nil:
	case prev == nil && head.Count > 0, prev != nil && head.Count > prev.Seq:
		last := int64(0)
		if prev != nil {
			last = prev.Seq
		}
		problems = append(problems, Problem{Kind: "truncated", Item: head.Item,
			Detail: fmt.Sprintf("the head records %d entries but the log ends at entry %d: the tail was removed", head.Count, last)})
	default:
		for _, e := range entries {
			if e.Seq == head.Count && lineHash(e.Raw) != head.Last {
				add(e, "edited", "the entry does not match the hash in the head: it was changed")
			}
		}
	}
	slices.SortStableFunc(problems, func(a, b Problem) int { return a.Line - b.Line })
	return actions, problems
}

// Tee appends every action to each log in turn (the local log first, then
// the team table's), so both hold the same entries, each chained on its
// own. Time, User and Host are filled once so every copy records the same
// values. The first failure stops: a run that cannot log must not go on.
type Tee []interface{ Append(Action) error }

// Append implements the action log. The copies after a local log (Log)
// carry its origin (Action.Origin), so the shared log can later show an
// action removed from the local one.
func (t Tee) Append(a Action) error {
	a = a.stamped()
	for _, l := range t {
		if lg, ok := l.(*Log); ok {
			origin, err := lg.appendOrigin(a)
			if err != nil {
				return err
			}
			a.Origin = origin
			continue
		}
		if err := l.Append(a); err != nil {
			return err
		}
	}
	return nil
}

// VerifyAgainstShared compares the local log at path (its actions as
// VerifyLog returned them) with the shared log's actions: every shared
// action whose Origin is this log's (the hash of its first line) was
// written to this log too, so one the log lacks was removed from it. The
// chain and the head cannot show lines cut off the end when the head was
// rewritten to match; the shared log, which the local account cannot
// rewrite on its own, can. Actions in the local log only are no problem (a
// run stops when the shared append fails, after the local one). A log
// deleted whole, head and all, leaves no origin to compare: its actions
// are still in the shared log, marked there as in it alone.
func VerifyAgainstShared(path string, local, shared []Action) ([]Problem, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read action log: %w", err)
	}
	defer f.Close()
	first, err := firstLine(f)
	if err != nil {
		return nil, fmt.Errorf("read action log: %w", err)
	}
	if len(first) == 0 {
		return nil, nil
	}
	origin := lineHash(first)
	have := map[string]int{}
	for _, a := range local {
		have[mergeID(a)]++
	}
	var problems []Problem
	for _, a := range shared {
		if a.Origin != origin {
			continue
		}
		if k := mergeID(a); have[k] > 0 {
			have[k]--
			continue
		}
		problems = append(problems, newProblem(0, "removed", fmt.Sprintf(
			"shared log entry %d (%s %s %s, %s) was written to this log and is not in it: lines were removed from this log (and its head rewritten if nothing else is reported)",
			a.Seq, a.Time.UTC().Format(time.RFC3339), a.Command, a.Key, a.Result)))
	}
	return problems, nil
}

// MergedAction is one action of the merged local and shared views.
type MergedAction struct {
	// Action is the local log's copy when this machine has one (Seq and
	// Prev are then the local chain's), else the shared log's.
	Action
	// Logs says where the action is: "local", "shared" or both.
	Logs []string `json:"logs"`
	// SharedSeq is the entry's number in the shared log.
	SharedSeq int64 `json:"sharedSeq,omitempty"`
}

// Merge joins the local and the shared log into one list: an action this
// machine wrote is in both (Tee) and appears once. The order is the
// table's, the shared log's numbers: every writer's clock stamps its
// actions' times, and sorted by them a machine ten minutes behind put its
// actions before the ones the table had before them
// (TestMergeKeepsTheTablesOrder). An action only the local log holds (the
// table was down) follows the action before it in the local log.
func Merge(local, shared []Action) []MergedAction {
	id := mergeID
	var out []MergedAction
	byID := map[string][]int{}
	bySend := map[string][]int{} // the local log's sends, for republished copies
	for _, a := range local {
		byID[id(a)] = append(byID[id(a)], len(out))
		bySend[sendID(a)] = append(bySend[sendID(a)], len(out))
		out = append(out, MergedAction{Action: a, Logs: []string{"local"}})
	}
	inShared := func(i int) bool { return slices.Contains(out[i].Logs, "shared") }
	for _, a := range shared {
		k := id(a)
		if idx := byID[k]; len(idx) > 0 && !inShared(idx[0]) {
			byID[k] = idx[1:]
			out[idx[0]].Logs = append(out[idx[0]].Logs, "shared")
			out[idx[0]].SharedSeq = a.Seq
			continue
		}
		if strings.HasPrefix(a.Note, NoteRepublished) {
			// Written back from this machine's journal after the run's
			// own shared entry was lost: the same send as the local
			// line of its SES message id, at another time. Listed twice,
			// it read as a message sent twice.
			if i := slices.IndexFunc(bySend[sendID(a)], func(i int) bool { return !inShared(i) }); i >= 0 {
				j := bySend[sendID(a)][i]
				out[j].Logs = append(out[j].Logs, "shared")
				out[j].SharedSeq = a.Seq
				continue
			}
		}
		out = append(out, MergedAction{Action: a, Logs: []string{"shared"}, SharedSeq: a.Seq})
	}
	// Each action's place: its shared number, or for a local action the
	// table lacks, the number of the last local action before it that
	// the table has, then its place in the local log.
	type place struct {
		seq        int64
		localOnly  bool
		localIndex int
	}
	places := make([]place, len(out))
	var anchor int64
	for i := range out {
		switch {
		case i >= len(local): // shared only
			places[i] = place{seq: out[i].SharedSeq}
		case out[i].SharedSeq > 0:
			anchor = out[i].SharedSeq
			places[i] = place{seq: anchor, localIndex: i}
		default:
			places[i] = place{seq: anchor, localOnly: true, localIndex: i}
		}
	}
	order := make([]int, len(out))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		pa, pb := places[a], places[b]
		if c := cmp.Compare(pa.seq, pb.seq); c != 0 {
			return c
		}
		if pa.localOnly != pb.localOnly {
			if pa.localOnly {
				return 1
			}
			return -1
		}
		return cmp.Compare(pa.localIndex, pb.localIndex)
	})
	sorted := make([]MergedAction, len(out))
	for i, j := range order {
		sorted[i] = out[j]
	}
	return sorted
}

// MergeByTime joins the local logs collected from several machines
// (logs[i] read from names[i]) into one list, each action naming in Logs
// the log it came from. Without a shared log there is no common
// numbering, so the logs are merged by the times their own clocks
// stamped: two machines' actions are only as well ordered as their clocks
// agree, and each log keeps its own order whatever its times say. An
// action found in several of them (a log collected twice) appears once,
// naming each.
func MergeByTime(names []string, logs [][]Action) []MergedAction {
	var out []MergedAction
	seen := map[string][]int{} // by mergeID: the actions in out
	next := make([]int, len(logs))
	for {
		pick := -1
		for i, l := range logs {
			if next[i] < len(l) && (pick < 0 || l[next[i]].Time.Before(logs[pick][next[pick]].Time)) {
				pick = i
			}
		}
		if pick < 0 {
			return out
		}
		a := logs[pick][next[pick]]
		next[pick]++
		id := mergeID(a)
		if j := slices.IndexFunc(seen[id], func(j int) bool { return !slices.Contains(out[j].Logs, names[pick]) }); j >= 0 {
			out[seen[id][j]].Logs = append(out[seen[id][j]].Logs, names[pick])
			continue
		}
		seen[id] = append(seen[id], len(out))
		out = append(out, MergedAction{Action: a, Logs: []string{names[pick]}})
	}
}

// mergeID is what tells one action from another across the two logs
// (their chain fields and Origin differ).
func mergeID(a Action) string {
	return strings.Join([]string{a.Time.UTC().Format(time.RFC3339Nano), a.User, a.Host, a.Command, a.Bucket, a.Key, a.ETag,
		a.SHA256, strings.Join(a.Destinations, "\x00"), a.SESMessageID, a.Result, exportID(a.Export)}, "\x01")
}

// NoteRepublished begins the Note of a forward send written back to a
// shared log from its machine's forward journal (team mode), its own
// entry having been lost: Merge takes it for the local log's line of
// the same send.
const NoteRepublished = "republished by "

// sendID names a sent forward (its SES message id, by whom): "" for
// anything else.
func sendID(a Action) string {
	if a.Command != "forward" || a.Result != "sent" || a.SESMessageID == "" {
		return ""
	}
	return strings.Join([]string{a.User, a.Host, a.Bucket, a.Key, strings.Trim(a.ETag, `"`), a.SESMessageID}, "\x01")
}

// exportID is what tells two exports apart beyond the common fields.
func exportID(e *ExportAction) string {
	if e == nil {
		return ""
	}
	return fmt.Sprintf("%s\x00%s\x00%d\x00%d\x00%s", e.What, e.Kind, e.Count, e.Failed, e.ManifestSHA256)
}

// ErrNoSharedLog is returned when a shared log is asked for but none is
// configured.
var ErrNoSharedLog = errors.New("no team table configured (team_table in the mailbox's config)")
