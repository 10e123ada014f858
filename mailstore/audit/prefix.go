package audit

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/alessio/shellescape"

	"github.com/sesbox/sesbox/mailstore"
)

// PrefixGroup is the objects a run covered under one "folder" of the
// keys its prefix reaches, when the prefix does not end in "/": S3 takes
// a prefix as it is, so "inbound" reaches inbound/…, inbound2/… and
// inbound-old/… alike. Prefix is the prefix and the rest of the key up
// to its first "/" ("inbound2/"), or the prefix alone for keys with no
// "/" after it (SES writes PREFIX+message id under a prefix without a
// "/": "inbound0000…").
type PrefixGroup struct {
	Prefix  string `json:"prefix"`
	Objects int64  `json:"objects"`
}

// maxPrefixGroups bounds the groups a run keeps apart: the rest are
// counted together (prefixGroups.other).
const maxPrefixGroups = 16

// prefixGroups counts a run's keys by PrefixGroup; nothing under a
// prefix that is empty or ends in "/" (it reaches one folder only).
type prefixGroups struct {
	prefix string
	n      map[string]int64
	other  int64 // keys of groups past maxPrefixGroups
}

func (g *prefixGroups) add(key string) {
	if g.prefix == "" || strings.HasSuffix(g.prefix, "/") || !strings.HasPrefix(key, g.prefix) {
		return
	}
	group := g.prefix
	if rest := key[len(g.prefix):]; strings.Contains(rest, "/") {
		group += rest[:strings.IndexByte(rest, '/')+1]
	}
	if g.n == nil {
		g.n = map[string]int64{}
	}
	if _, ok := g.n[group]; !ok && len(g.n) == maxPrefixGroups {
		g.other++
		return
	}
	g.n[group]++
}

// groups are the groups counted, in key order, with one more of Prefix
// "" for the keys past the bound; nil when the prefix reached one
// group alone that is its own folder or its own flat keys (nothing
// beside what it names).
func (g *prefixGroups) groups() []PrefixGroup {
	if len(g.n) == 0 || (len(g.n) == 1 && g.other == 0 && (g.n[g.prefix+"/"] > 0 || g.n[g.prefix] > 0)) {
		return nil
	}
	out := make([]PrefixGroup, 0, len(g.n)+1)
	for _, k := range slices.Sorted(maps.Keys(g.n)) {
		out = append(out, PrefixGroup{Prefix: k, Objects: g.n[k]})
	}
	if g.other > 0 {
		out = append(out, PrefixGroup{Objects: g.other})
	}
	return out
}

// PrefixNote says, hint first, that a prefix without a trailing "/"
// reached the groups of keys a run covered (PrefixGroups), which S3
// does as the prefix says: what each holds, and what to give for one
// folder. "" when groups is empty.
func PrefixNote(prefix string, groups []PrefixGroup) string {
	if len(groups) == 0 {
		return ""
	}
	parts := make([]string, 0, len(groups))
	for _, g := range groups {
		switch {
		case g.Prefix == "":
			parts = append(parts, fmt.Sprintf("%s under other folders", mailstore.Count(g.Objects, "object")))
		case g.Prefix == prefix:
			parts = append(parts, fmt.Sprintf("%s named %s… with no further \"/\" (as SES writes them under a prefix without one)", mailstore.Count(g.Objects, "object"), strconv.Quote(prefix)))
		default:
			parts = append(parts, fmt.Sprintf("%s under %s", mailstore.Count(g.Objects, "object"), strconv.Quote(g.Prefix)))
		}
	}
	return fmt.Sprintf("to cover one folder only, give --prefix %s (or a mailbox with that prefix): the prefix %s has no trailing \"/\" and S3 takes it as it is, so this covered every key that begins with it: %s",
		shellescape.Quote(prefix+"/"), strconv.Quote(prefix), strings.Join(parts, ", "))
}
