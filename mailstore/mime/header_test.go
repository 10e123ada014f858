package mime

import (
	"bytes"
	"strings"
	"testing"
)

func TestHeaderEnd(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int
	}{
		{"lf", "A: 1\nB: 2\n\nbody", len("A: 1\nB: 2\n\n")},
		{"crlf", "A: 1\r\nB: 2\r\n\r\nbody", len("A: 1\r\nB: 2\r\n\r\n")},
		{"crlf lines then lf blank", "A: 1\r\n\nbody", len("A: 1\r\n\n")},
		{"lf lines then crlf blank", "A: 1\n\r\nbody", len("A: 1\n\r\n")},
		{"header only, blank line last", "A: 1\r\n\r\n", len("A: 1\r\n\r\n")},
		{"folded field", "A: 1\r\n  more\r\n\tand more\r\n\r\nx", len("A: 1\r\n  more\r\n\tand more\r\n\r\n")},
		{"white space line is a fold, not the end", "A: 1\r\n   \r\n x\r\n\r\nbody", len("A: 1\r\n   \r\n x\r\n\r\n")},
		{"empty header", "\r\nbody", 2},
		{"no blank line yet", "A: 1\r\nB: 2\r\n", -1},
		{"cut inside a value", "A: 1\r\nSubject: hel", -1},
		{"cut inside a name", "A: 1\r\nX-SES-RECEI", -1},
		{"cut between CR and LF of the blank line", "A: 1\r\n\r", -1},
		{"empty input", "", -1},
		{"body line without a blank line", "A: 1\nno colon in this line\nmore", len("A: 1\n")},
		{"mbox from line skipped", "From a@b Mon May  2 16:07:05 2005\nA: 1\n\nx", len("From a@b Mon May  2 16:07:05 2005\nA: 1\n\n")},
		{"not a header at all", "just some text\nmore\n\n", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HeaderEnd([]byte(tt.in)); got != tt.want {
				t.Errorf("HeaderEnd(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

// TestHeaderEndPrefixes checks what the S3 reader relies on: no prefix of a
// message shorter than its header block claims a complete header.
func TestHeaderEndPrefixes(t *testing.T) {
	msg := []byte("Received: from x\r\n by inbound-smtp.us-east-1.amazonaws.com\r\n" +
		"Subject: hello\r\nX-Long: " + strings.Repeat("A", 300) + "\r\n\r\nbody\r\n")
	end := HeaderEnd(msg)
	if end != strings.Index(string(msg), "body") {
		t.Fatalf("HeaderEnd = %d, want the index of the body", end)
	}
	for k := 0; k < end; k++ {
		if got := HeaderEnd(msg[:k]); got != -1 {
			t.Fatalf("HeaderEnd(msg[:%d]) = %d, want -1", k, got)
		}
	}
}

func TestScanHeaderFields(t *testing.T) {
	in := "Subject :The obsolete syntax\r\n" +
		"       \r\n" +
		" and a blank fold.\r\n" +
		"HeaderWithWSP \t :\tvalue.\r\n" +
		"X-Tab: a\r\n\tb\r\n" +
		"Empty:\r\n" +
		"\r\n"
	h := scanHeader([]byte(in))
	want := []rawField{
		{"Subject", "The obsolete syntax and a blank fold."},
		{"HeaderWithWSP", "value."},
		{"X-Tab", "a b"},
		{"Empty", ""},
	}
	if len(h.Fields) != len(want) {
		t.Fatalf("fields = %q, want %q", h.Fields, want)
	}
	for i := range want {
		if h.Fields[i] != want[i] {
			t.Errorf("field %d = %q, want %q", i, h.Fields[i], want[i])
		}
	}
	if h.Stop != stopBlank || h.Body != len(in) {
		t.Errorf("stop = %v at %d, want blank line at %d", h.Stop, h.Body, len(in))
	}
}

// TestScanHeaderLongFold feeds a field folded over many lines, as SES's
// X-SES-RECEIPT is, and checks it unfolds whole.
func TestScanHeaderLongFold(t *testing.T) {
	var b strings.Builder
	b.WriteString("X-SES-RECEIPT: AEFBQUFB")
	for range 400 {
		b.WriteString("\r\n " + strings.Repeat("QUFB", 19))
	}
	b.WriteString("\r\nSubject: after\r\n\r\n")
	h := scanHeader([]byte(b.String()))
	if len(h.Fields) != 2 || h.Fields[1].Value != "after" {
		t.Fatalf("fields after a long fold = %d, last %q", len(h.Fields), h.Fields[len(h.Fields)-1])
	}
	if got, want := len(h.Fields[0].Value), len("AEFBQUFB")+400*(1+19*4); got != want {
		t.Errorf("unfolded X-SES-RECEIPT length = %d, want %d", got, want)
	}
}

// FuzzHeaderEnd: the scan without fields (HeaderEnd's) ends the header
// block where the scan with them does.
func FuzzHeaderEnd(f *testing.F) {
	for _, s := range []string{
		"From: a@example.com\r\nSubject: hi\r\n\r\nbody",
		" folded first\r\nX: y\r\n\r\n",
		"From sender Mon Jan  1 00:00:00 2024\nTo: b\n\tfolded\n\nbody",
		"Subject: no blank line\r\nthis is body text\r\n",
		"X-A : spaced\r\nBad Name: no\r\n\r\n",
		"Subject: cut sho",
		"Subject: x\r\n\r",
		"\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		with, without := scanHeaderOf(b, true), scanHeaderOf(b, false)
		if with.Start != without.Start || with.Body != without.Body || with.Stop != without.Stop {
			t.Fatalf("%q: with fields %d %d %v, without %d %d %v", b, with.Start, with.Body, with.Stop, without.Start, without.Body, without.Stop)
		}
		if len(without.Fields) != 0 || len(without.Warnings) != 0 {
			t.Fatalf("%q: the scan without fields kept %d fields, %d warnings", b, len(without.Fields), len(without.Warnings))
		}
	})
}

// FuzzHeaderLine: headerLine's two byte searches end a line where a search
// for the first CR or LF does (a LF; a run of CRs then a LF, one ending; a
// bare CR; a run of CRs at the end, incomplete), from every start.
func FuzzHeaderLine(f *testing.F) {
	for _, s := range []string{"a: b\r\nc: d\n\ne", "a\rb\r\r\nc\r\r", "\r", "\n", "x", "a: b\r\r\r", "\r\r\rx\n"} {
		f.Add([]byte(s))
	}
	anyOf := func(b []byte, i int) (line []byte, next int, complete bool) {
		j := bytes.IndexAny(b[i:], "\r\n")
		if j < 0 {
			return b[i:], len(b), false
		}
		j += i
		if b[j] == '\n' {
			return b[i:j], j + 1, true
		}
		k := j
		for k < len(b) && b[k] == '\r' {
			k++
		}
		switch {
		case k == len(b):
			return b[i:j], len(b), false
		case b[k] == '\n':
			return b[i:j], k + 1, true
		default:
			return b[i:j], j + 1, true
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for i := 0; i <= len(b); i++ {
			line, next, complete := headerLine(b, i)
			wl, wn, wc := anyOf(b, i)
			if !bytes.Equal(line, wl) || next != wn || complete != wc {
				t.Fatalf("%q from %d: %q %d %v, want %q %d %v", b, i, line, next, complete, wl, wn, wc)
			}
		}
	})
}
