package list

import (
	"slices"
	"sort"
	"strings"

	"github.com/sesbox/sesbox/mailstore/index"
	"github.com/sesbox/sesbox/mailstore/query"
)

// threadIndex groups a sorted slice of messages into threads. It depends only on
// the slice (and its order), never on the filter, so it is built once per
// data or sort change and reused for every filter keystroke.
type threadIndex struct {
	parent []int32   // index of the parent in all, or -1
	kids   [][]int32 // children of each message, oldest first
	roots  []int32   // thread roots in display order
	size   []int32   // messages in the thread rooted here (roots only)
	top    []int32   // the root of each message's thread
}

// buildThreads links messages by In-Reply-To, then References (nearest
// first), then by subject: a reply ("Re: x") with no known parent joins the
// oldest message whose subject is "x". Threads are ordered by where their
// first member appears in all, so under the default newest-first sort the
// thread with the latest activity comes first.
func buildThreads(all []index.Thread) *threadIndex {
	n := len(all)
	t := &threadIndex{
		parent: make([]int32, n),
		kids:   make([][]int32, n),
		size:   make([]int32, n),
		top:    make([]int32, n),
	}
	byID := make(map[string]int32, n)
	for i := range all {
		if id := all[i].MessageID; id != "" {
			if _, dup := byID[id]; !dup {
				byID[id] = int32(i)
			}
		}
	}
	// The oldest message of each normalised subject, for the fallback.
	bySubject := make(map[string]int32)
	for i := range all {
		ns, _ := normSubject(all[i].Subject)
		if ns == "" {
			continue
		}
		if j, ok := bySubject[ns]; !ok || all[i].Date.Before(all[j].Date) {
			bySubject[ns] = int32(i)
		}
	}
	for i := range all {
		s := &all[i]
		p := int32(-1)
		if j, ok := byID[s.InReplyTo]; ok && s.InReplyTo != "" && int(j) != i {
			p = j
		}
		for r := len(s.References) - 1; p < 0 && r >= 0; r-- {
			if j, ok := byID[s.References[r]]; ok && int(j) != i {
				p = j
			}
		}
		if p < 0 {
			if ns, reply := normSubject(s.Subject); reply && ns != "" {
				if j, ok := bySubject[ns]; ok && int(j) != i {
					p = j
				}
			}
		}
		t.parent[i] = p
	}
	// Break cycles (a References loop, or two replies pointing at each
	// other): walk up from every message; a message met twice on one walk
	// becomes a root.
	state := make([]uint8, n) // 0 unknown, 1 on the current walk, 2 done
	var path []int32
	for i := 0; i < n; i++ {
		path = path[:0]
		j := int32(i)
		for j >= 0 && state[j] == 0 {
			state[j] = 1
			path = append(path, j)
			j = t.parent[j]
		}
		if j >= 0 && state[j] == 1 {
			t.parent[j] = -1 // j closes a loop: cut it there
		}
		for _, k := range path {
			state[k] = 2
		}
	}
	for i := range all {
		if p := t.parent[i]; p >= 0 {
			t.kids[p] = append(t.kids[p], int32(i))
		}
	}
	for i := range t.kids {
		if len(t.kids[i]) > 1 {
			k := t.kids[i]
			sort.SliceStable(k, func(a, b int) bool { return all[k[a]].Date.Before(all[k[b]].Date) })
		}
	}
	// Each message's root, found once: a sender's chain of replies, each
	// In-Reply-To the one before, is as deep as it is long, and walking up
	// from every message of it was quadratic (50,000 replies: 2.3 s of
	// CPU on each thread view). A walk stops at the first message whose
	// root is known and hands it down the path it took.
	known := make([]bool, n)
	for i := 0; i < n; i++ {
		path = path[:0]
		j := int32(i)
		for !known[j] && t.parent[j] >= 0 {
			path = append(path, j)
			j = t.parent[j]
		}
		r := j
		if known[j] {
			r = t.top[j]
		}
		t.top[j], known[j] = r, true
		for _, k := range path {
			t.top[k], known[k] = r, true
		}
	}
	seen := make([]bool, n)
	for i := range all {
		r := t.top[i]
		t.size[r]++
		if !seen[r] {
			seen[r] = true
			t.roots = append(t.roots, r)
		}
	}
	return t
}

// byNewest orders the threads by their newest message, newest first
// (oldest first with rev): a reply to an old thread brings it to the top,
// whichever member sorts first.
func (t *threadIndex) byNewest(all []index.Thread, rev bool) {
	newest := make(map[int32]int64, len(t.roots))
	for _, r := range t.roots {
		var n int64
		t.walk(r, 0, func(i int32, _ int) {
			if u := all[i].Date.UnixNano(); u > n {
				n = u
			}
		})
		newest[r] = n
	}
	sort.SliceStable(t.roots, func(a, b int) bool {
		if rev {
			return newest[t.roots[a]] < newest[t.roots[b]]
		}
		return newest[t.roots[a]] > newest[t.roots[b]]
	})
}

// walk calls fn for i and its descendants, depth first, oldest child
// first, with their depth below i (depth is i's). It keeps its own stack:
// a thread is as deep as a sender's chain of replies is long.
func (t *threadIndex) walk(i int32, depth int, fn func(i int32, depth int)) {
	type step struct {
		i     int32
		depth int
	}
	stack := []step{{i, depth}}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		fn(s.i, s.depth)
		kids := t.kids[s.i]
		for k := len(kids) - 1; k >= 0; k-- {
			stack = append(stack, step{kids[k], s.depth + 1})
		}
	}
}

// replyPrefixes are the reply and forward markers mail clients put before a
// subject, lower-case, in the languages of the demo and beyond.
var replyPrefixes = []string{"re:", "re :", "fwd:", "fw:", "aw:", "wg:", "sv:", "vs:", "antw:", "回复:", "答复:", "转发:", "답장:", "회신:", "전달:"}

// normSubject strips reply/forward prefixes (also "Re[2]:") and case, and
// reports whether there were any.
func normSubject(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	reply := false
	for {
		cut := false
		for _, p := range replyPrefixes {
			if rest, ok := strings.CutPrefix(s, p); ok {
				s, cut = strings.TrimSpace(rest), true
				break
			}
		}
		if !cut && strings.HasPrefix(s, "re[") {
			if end := strings.Index(s, "]:"); end > 0 {
				s, cut = strings.TrimSpace(s[end+2:]), true
			}
		}
		if !cut {
			return s, reply
		}
		reply = true
	}
}

// reorder returns the threads of t in the order of (by, rev), sharing its
// messages and links, which do not depend on the order: only the order of
// the threads does. By date that is their newest message; otherwise where
// each thread's first message is in all, every message id in the new
// order. It returns nil when all does not hold exactly t's messages (mail
// came or went since t was read): they must be read and linked again.
// Threads whose newest messages share a date keep the order they had
// (a fresh read orders them by where they come in the date order). At
// 10^6 messages this is a pass over all instead of reading and linking
// every message again (BenchmarkThreadResort).
func (t *threadSet) reorder(by query.SortField, rev bool, all []int64) *threadSet {
	ix := *t.index
	out := &threadSet{tall: t.tall, tpos: t.tpos, index: &ix}
	if by == query.ByDate {
		ix.roots = slices.Clone(t.index.roots)
		ix.byNewest(t.tall, rev)
		return out
	}
	if len(all) != len(t.tall) {
		return nil
	}
	seen := make([]bool, len(t.tall))
	ix.roots = make([]int32, 0, len(t.index.roots))
	for _, id := range all {
		i, ok := t.tpos[id]
		if !ok {
			return nil
		}
		if r := ix.top[i]; !seen[r] {
			seen[r] = true
			ix.roots = append(ix.roots, r)
		}
	}
	return out
}
