package mime

import (
	"bytes"
	"fmt"
	"hash/maphash"
	stdmime "mime"
	"slices"
)

// enmime v2.3.0 looks for a multipart's delimiter at every byte while the
// first read of a part lasts (the 4,096-byte fill of the bufio.Reader it
// puts around each part), not only at line starts, and takes any line
// that holds "--boundary" followed by a blank, or "--boundary--" anywhere,
// for a delimiter. So "see the --boundary above" in a part's text ended
// the part there, and "--boundary trailing words" started a new one
// (testdata/corpus/mime4j-misplaced_boundary.eml). RFC 2046 (5.1.1) has a
// delimiter only at a line start: "--", the boundary, optional blanks
// (and "--" first for the close delimiter), then the line end; mutt and
// Python's email package read it so.
//
// The buffer is enmime's, so no way of handing it the message changes
// where it looks. What does, without a fork: rfcDelimiters gives each
// multipart enmime will descend into a boundary of its own that occurs
// nowhere in the message, written into its Content-Type and into exactly
// the lines RFC 2046 takes for its delimiters. Text that merely looks
// like a delimiter then has nothing to match, and enmime cuts the parts
// where RFC 2046 does. Every other byte is kept, so the parts' contents
// (what save writes) are the stored bytes; show --raw reads the stored
// object, never this copy.

// rfcLevel is one multipart open in rfcDelimiters.
type rfcLevel struct {
	boundary string
	token    string // its new boundary; "" when it is left as written
	header   int    // index in edits of its Content-Type's rewrite
	used     bool   // a delimiter line of it was found
}

// rfcDelimiters returns in (what enmime reads) with the boundary of each
// multipart enmime descends into, to maxMIMEDepth levels, replaced by a
// fresh one at its real delimiter lines (see above). Deeper multiparts
// are left as written: boundMIME flattens them into opaque parts, whose
// bytes save writes as stored. A message that is not multipart is
// returned as it is (changed is false).
func rfcDelimiters(in []byte) (out []byte, changed bool) {
	s := &mimeScan{b: in}
	top := s.header(0)
	if !isTopContainer(top.ctype) {
		return in, false
	}
	r := delimiterRewrite{in: in, base: freshBoundary(in), open: map[string][]int{}}
	r.push(top)
	for i := top.end; i < len(in) && len(r.stack) > 0; {
		line, next := s.line(i)
		k, closing, ok := r.delimiter(line, !bytes.HasSuffix(line, []byte("\n")))
		if !ok {
			i = next
			continue
		}
		r.popTo(k + 1)
		if t := r.stack[k].token; t != "" {
			r.edits = append(r.edits, textEdit{start: i + 2, end: i + 2 + len(r.stack[k].boundary), text: t})
			r.stack[k].used = true
		}
		if closing {
			r.popTo(k)
			i = next
			continue
		}
		h := r.partHeader(next)
		if isPartContainer(h.ctype) && len(r.stack) < maxMIMEDepth {
			r.push(h)
		}
		i = h.end
	}
	r.popTo(0)
	r.edits = slices.DeleteFunc(r.edits, func(e textEdit) bool { return e.text == "" })
	if len(r.edits) == 0 {
		return in, false
	}
	size := len(in)
	for _, e := range r.edits {
		size += len(e.text) - (e.end - e.start)
	}
	out = make([]byte, 0, size)
	at := 0
	for _, e := range r.edits {
		out = append(out, in[at:e.start]...)
		out = append(out, e.text...)
		at = e.end
	}
	return append(out, in[at:]...), true
}

// textEdit replaces in[start:end] with text; "" marks one dropped.
type textEdit struct {
	start, end int
	text       string
}

type delimiterRewrite struct {
	in    []byte
	base  string
	n     int // multiparts given a token so far
	stack []rfcLevel
	open  map[string][]int // boundary -> indexes in stack, outermost first
	edits []textEdit       // in order
}

// freshBoundary is the start of every token rfcDelimiters writes: a
// string found nowhere in in. Each token is it and a number of fixed
// width, so no token is a prefix of another. It is a hash of in, seeded
// once a process: the same message is given the same tokens (tests
// compare boundMIME's output with rfcDelimiters'), and no sender can
// write the string into a message beforehand.
func freshBoundary(in []byte) string {
	var h maphash.Hash
	h.SetSeed(boundarySeed)
	h.Write(in)
	for {
		b := fmt.Sprintf("=_sesbox_%016x_", h.Sum64())
		if !bytes.Contains(in, []byte(b)) {
			return b
		}
		h.WriteByte(0)
	}
}

var boundarySeed = maphash.MakeSeed()

// push opens the multipart whose header is h, and writes its new
// boundary into the header's first Content-Type field (the one enmime
// reads) when that field can be written again.
func (r *delimiterRewrite) push(h partHeader) {
	mtype, params, _, _ := parseMediaType(h.ctype)
	lv := rfcLevel{boundary: params["boundary"]}
	token := fmt.Sprintf("%s%07d", r.base, r.n)
	params["boundary"] = token
	if v := stdmime.FormatMediaType(mtype, params); v != "" && len(h.fields) > 0 {
		f := h.fields[0]
		eol := ""
		if field := r.in[f.start:f.end]; bytes.HasSuffix(field, []byte("\r\n")) {
			eol = "\r\n"
		} else if bytes.HasSuffix(field, []byte("\n")) {
			eol = "\n"
		}
		lv.header = len(r.edits)
		r.edits = append(r.edits, textEdit{start: f.start, end: f.end, text: "Content-Type: " + v + eol})
		lv.token = token
		r.n++
	}
	r.open[lv.boundary] = append(r.open[lv.boundary], len(r.stack))
	r.stack = append(r.stack, lv)
}

// popTo closes the levels from n on. A level none of whose lines is a
// delimiter by RFC 2046 keeps its boundary, so enmime reads it as it
// would have (a mailer that writes "--boundary" and more on the line
// still has its parts read), and nothing is copied for it.
func (r *delimiterRewrite) popTo(n int) {
	for len(r.stack) > n {
		lv := r.stack[len(r.stack)-1]
		if lv.token != "" && !lv.used {
			r.edits[lv.header].text = "" // dropped
		}
		ks := r.open[lv.boundary]
		if len(ks) == 1 {
			delete(r.open, lv.boundary)
		} else {
			r.open[lv.boundary] = ks[:len(ks)-1]
		}
		r.stack = r.stack[:len(r.stack)-1]
	}
}

// delimiter reports whether line (with its line end, if any) is a
// delimiter line of an open multipart, by RFC 2046: "--", the boundary,
// blanks, the line end; or, closing it, "--", the boundary, "--", blanks,
// then the line end or the end of the data (atEOF: line has no line
// end). k is the outermost open level whose line it is, as enmime's
// chain of readers (and Python's email package, and mutt) takes it when
// a multipart reuses an outer one's boundary, which RFC 2046 forbids.
func (r *delimiterRewrite) delimiter(line []byte, atEOF bool) (k int, closing, ok bool) {
	if len(line) < 2 || line[0] != '-' || line[1] != '-' {
		return 0, false, false
	}
	rest := bytes.TrimSuffix(bytes.TrimSuffix(line[2:], []byte("\n")), []byte("\r"))
	rest = bytes.TrimRight(rest, " \t")
	k = len(r.stack)
	if ks := r.open[string(rest)]; len(ks) > 0 && !atEOF {
		k = ks[0]
	}
	if b, found := bytes.CutSuffix(rest, []byte("--")); found {
		if ks := r.open[string(b)]; len(ks) > 0 && ks[0] < k {
			k, closing = ks[0], true
		}
	}
	return k, closing, k < len(r.stack)
}

// partHeader reads the header of a part at i: its lines up to a blank
// line, a delimiter line of an open level (a part without a blank line
// ends its header there, and enmime's readers stop there too), or the end
// of the data; read as mimeScan.header reads a header.
func (r *delimiterRewrite) partHeader(i int) partHeader {
	s := &mimeScan{b: r.in}
	end, after := i, -1 // where the header's lines end; after a blank line ending it
	for end < len(r.in) {
		line, next := s.line(end)
		if len(trimLineEnd(line)) == 0 {
			after = next
			break
		}
		if _, _, ok := r.delimiter(line, !bytes.HasSuffix(line, []byte("\n"))); ok {
			break
		}
		end = next
	}
	h := (&mimeScan{b: r.in[:end]}).header(i)
	if after >= 0 {
		h.end = after
	}
	return h
}
