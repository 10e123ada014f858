// Package gensum generates arbitrary mailstore.Summary values for property
// and fuzz tests of everything that stores or prints summaries (the index,
// `ls --json`): names with separators, quotes, control characters, any
// script, empty lists and nil lists.
package gensum

import (
	"fmt"
	"math/rand/v2"
	"time"
	"unicode/utf8"

	"github.com/sesbox/sesbox/mailstore"
)

// Source is where choices come from: a *rand.Rand, or Bytes for a fuzz
// input.
type Source interface {
	IntN(n int) int
}

// Bytes is a Source that reads choices from a fuzz input, then zeros.
type Bytes struct {
	b []byte
}

// NewBytes returns a Source over b.
func NewBytes(b []byte) *Bytes { return &Bytes{b: b} }

// IntN returns a number in [0, n) taken from the next bytes.
func (s *Bytes) IntN(n int) int {
	if n <= 1 {
		return 0
	}
	var v uint32
	for i := 0; i < 3 && len(s.b) > 0; i++ {
		v = v<<8 | uint32(s.b[0])
		s.b = s.b[1:]
	}
	return int(v % uint32(n))
}

// NewRand returns a Source seeded with seed.
func NewRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

// tricky are the runes most likely to break a format: the old index
// separators, quotes and brackets, JSON and SQL specials, controls (C0,
// DEL, C1), U+FFFD, bidi overrides, line separators, combining marks,
// scripts written right to left, wide CJK and Hangul, and emoji beyond the
// BMP.
var tricky = []rune{
	'\x1e', '\x1f', '"', '\'', '\\', '<', '>', ',', ';', ':', '@', '(', ')', '[', ']', '{', '}', '%', '_', '`',
	'\x01', '\x07', '\x08', '\t', '\n', '\r', '\x1b', '\x7f', '\u0080', '\u009b', '\u009d', '\uFFFD', '\u202e',
	'\u2066', '\u2028', '\u2029', '\u0301', '\u200d', 'ا', 'ש', '中', '日', '한', 'ß', 'é', '😀', '\U0001F1EF', ' ',
	'=', '?', 'Q', 'B',
}

// String returns an arbitrary valid UTF-8 string without NUL, up to max
// runes: mostly tricky runes and ASCII, sometimes any Unicode scalar.
func String(src Source, max int) string {
	n := src.IntN(max + 1)
	b := make([]rune, 0, n)
	for range n {
		switch src.IntN(4) {
		case 0:
			b = append(b, tricky[src.IntN(len(tricky))])
		case 1:
			b = append(b, rune(' '+src.IntN(95)))
		default:
			r := rune(1 + src.IntN(utf8.MaxRune))
			if !utf8.ValidRune(r) {
				r = '\uFFFD'
			}
			b = append(b, r)
		}
	}
	return string(b)
}

func strs(src Source, max int) []string {
	switch src.IntN(5) {
	case 0:
		return nil
	case 1:
		return []string{}
	}
	out := make([]string, 1+src.IntN(max))
	for i := range out {
		out[i] = String(src, 24)
	}
	return out
}

func addrs(src Source, max int) []mailstore.Address {
	switch src.IntN(5) {
	case 0:
		return nil
	case 1:
		return []mailstore.Address{}
	}
	out := make([]mailstore.Address, 1+src.IntN(max))
	for i := range out {
		out[i] = Address(src)
	}
	return out
}

// Address returns an arbitrary address: either part may be empty.
func Address(src Source) mailstore.Address {
	return mailstore.Address{Name: String(src, 20), Address: String(src, 20)}
}

// Time returns the zero time or an instant between 1970 and 2200 (the
// dates the parser accepts) in an arbitrary fixed zone.
func Time(src Source) time.Time {
	if src.IntN(8) == 0 {
		return time.Time{}
	}
	sec := int64(src.IntN(1<<30))*7 + int64(src.IntN(1<<20))
	zone := time.FixedZone("", (src.IntN(28*4)-14*4)*15*60)
	return time.Unix(sec, int64(src.IntN(1e9))).In(zone)
}

// Summary returns an arbitrary summary whose key ends in "-<n>" (unique
// keys for unique n).
func Summary(src Source, n int) mailstore.Summary {
	return mailstore.Summary{
		Object: mailstore.Object{
			Key:          fmt.Sprintf("%s-%d", String(src, 30), n),
			ETag:         String(src, 34),
			Size:         int64(src.IntN(1 << 30)),
			LastModified: Time(src),
			VersionID:    String(src, 8),
		},
		Kind:             mailstore.Kind(src.IntN(3)),
		Date:             Time(src),
		DateFromStore:    src.IntN(2) == 0,
		From:             Address(src),
		To:               addrs(src, 4),
		Cc:               addrs(src, 3),
		ReplyTo:          addrs(src, 2),
		Recipients:       strs(src, 3),
		Subject:          String(src, 60),
		MessageID:        String(src, 30),
		InReplyTo:        String(src, 30),
		References:       strs(src, 4),
		Attachments:      src.IntN(40),
		AttachmentsExact: src.IntN(2) == 0,
		Verdicts: mailstore.Verdicts{
			Spam: String(src, 6), Virus: String(src, 6), SPF: String(src, 6), DKIM: String(src, 6), DMARC: String(src, 6),
		},
		Forward: mailstore.Forward{
			Status: String(src, 10), Error: String(src, 80), Destinations: strs(src, 3), Time: Time(src), Requests: strs(src, 3),
		},
		Read:     src.IntN(2) == 0,
		Missing:  src.IntN(2) == 0,
		Warnings: strs(src, 3),
	}
}

// Normal is s in the one form a summary read back from the index has:
// empty lists are nil and times are UTC. Two summaries that differ only in
// those respects are the same summary.
func Normal(s mailstore.Summary) mailstore.Summary {
	s.LastModified, s.Date = s.LastModified.UTC(), s.Date.UTC()
	if len(s.To) == 0 {
		s.To = nil
	}
	if len(s.Cc) == 0 {
		s.Cc = nil
	}
	if len(s.ReplyTo) == 0 {
		s.ReplyTo = nil
	}
	if len(s.Recipients) == 0 {
		s.Recipients = nil
	}
	if len(s.References) == 0 {
		s.References = nil
	}
	if len(s.Warnings) == 0 {
		s.Warnings = nil
	}
	s.Forward.Time = s.Forward.Time.UTC()
	if len(s.Forward.Destinations) == 0 {
		s.Forward.Destinations = nil
	}
	if len(s.Forward.Requests) == 0 {
		s.Forward.Requests = nil
	}
	return s
}
