package forward

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sesbox/sesbox/mailstore/headerfold"
	"github.com/sesbox/sesbox/mailstore/testutil/lambdafwd"
)

// diffConfigs are the Lambda config objects every message is run with,
// written as the JSON an operator deploys (so the odd forms reach both
// sides unchanged): with and without fromEmail, prefix and toEmail, plus
// tags, empty-string destinations and non-boolean allowPlusSign.
var diffConfigs = []string{
	`{"forwardMapping": {"info@example.com": ["jim@example.com", "jane@example.com"], "@example.org": ["org@example.com"], "info": ["any-info@example.com"], "@": ["catch-all@example.com"]}}`,
	`{"fromEmail": "noreply@example.com", "forwardMapping": {"info@example.com": ["jim@example.com"], "@": ["catch-all@example.com"]}}`,
	`{"subjectPrefix": "[PREFIX] ", "toEmail": "actualTarget@example.com", "forwardMapping": {"info@example.com": ["jim@example.com"]}}`,
	`{"fromEmail": "noreply@example.com", "subjectPrefix": "Fwd: ", "allowPlusSign": true, "forwardMapping": {"info@example.com": ["jim@example.com"], "@example.org": []}}`,
	`{"allowPlusSign": "false", "forwardMapping": {"info@example.com": ["jim@example.com"]}}`,
	`{"allowPlusSign": 1, "fromEmail": "noreply@example.com", "forwardMapping": {"info@example.com": ["jim@example.com"]}}`,
	`{"forwardMapping": {"info@example.com": [""], "@example.org": ["", "org@example.com"], "info": ""}}`,
	`{"fromEmail": "", "toEmail": "", "subjectPrefix": "", "forwardMapping": {"@": ["", ""]}}`,
	`{"subjectPrefix": "[P]", "forwardMapping": {"@": ["catch-all@example.com"]}}`,
}

// diffRecipients are the receipt recipient lists paired with the configs.
var diffRecipients = [][]string{
	{"info@example.com"},
	{"Info+tag@Example.com"},
	{"someone@example.org", "info@example.com"},
	{"INFO@elsewhere.example"},
	{"nobody@nowhere.example"},
}

type diffCase struct {
	origin     string // file or generator seed, for the failure message
	raw        []byte
	config     string
	recipients []string
}

// sesboxSend is what sesbox does with a case: ParseConfig, Map, Rewrite.
type sesboxSend struct {
	refused error // config or rewrite refused
	sent    bool
	dests   []string
	data    []byte
}

func runSesbox(c diffCase) sesboxSend {
	cfg, err := ParseConfig([]byte(c.config))
	if err != nil {
		return sesboxSend{refused: err}
	}
	dests, original, err := Map(cfg, c.recipients)
	if errors.Is(err, ErrNoRecipients) {
		return sesboxSend{}
	}
	if err != nil {
		return sesboxSend{refused: err}
	}
	out, err := Rewrite(cfg, c.raw, original)
	if err != nil {
		return sesboxSend{refused: err}
	}
	return sesboxSend{sent: true, dests: dests, data: out}
}

// TestLambdaDifferential runs the real Lambda and sesbox on the corpus, the
// upstream fixtures and generated messages, with every config of
// diffConfigs, and fails on any difference that no row of the table of
// deliberate differences in docs/forwarding.md explains.
func TestLambdaDifferential(t *testing.T) {
	cases := append(diffCorpus(t), handWrittenCases()...)
	nCorpus := len(cases)
	cases = append(cases, generatedCases(2400, 1)...)
	cases = append(cases, hostileCases(1200, 7)...)

	lc := make([]lambdafwd.Case, len(cases))
	for i, c := range cases {
		lc[i] = lambdafwd.Case{ID: i, Raw: c.raw, Config: json.RawMessage(c.config), Recipients: c.recipients}
	}
	results := lambdafwd.Run(t, lc)

	counts := map[int]int{}
	var unexplained []string
	differing := 0
	for i, c := range cases {
		ses := runSesbox(c)
		asp := compareSend(results[i], ses)
		if asp == 0 {
			continue
		}
		differing++
		rows := explain(c, results[i], ses, asp)
		if rows == nil {
			if len(unexplained) < 15 {
				unexplained = append(unexplained, describe(c, results[i], ses, asp))
			}
			counts[0]++
			continue
		}
		for _, r := range rows {
			counts[r]++
		}
	}
	keys := make([]int, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	var summary []string
	for _, k := range keys {
		summary = append(summary, fmt.Sprintf("row %d: %d", k, counts[k]))
	}
	t.Logf("%d cases (%d from files and written by hand, %d generated), %d differ; by row: %s", len(cases), nCorpus, len(cases)-nCorpus, differing, strings.Join(summary, ", "))
	if counts[0] > 0 {
		t.Errorf("%d differences from the Lambda are in no row of docs/forwarding.md; first ones:\n%s", counts[0], strings.Join(unexplained, "\n\n"))
	}
}

func diffCorpus(t *testing.T) []diffCase {
	t.Helper()
	var paths []string
	patterns := []string{
		"../../testdata/corpus/*.eml",
		"../../../shared/corpus/*/*.eml",
		"../../testdata/forwarder/message*.txt",
		"../../../shared/conformance/ses-forwarder/message*.txt",
	}
	// SESBOX_DIFF_CORPUS adds globs (separated by the OS's list separator)
	// of other stored messages to compare on, such as another project's
	// fixtures: the corpus here cannot hold every kind of mail.
	if extra := os.Getenv("SESBOX_DIFF_CORPUS"); extra != "" {
		patterns = append(patterns, filepath.SplitList(extra)...)
	}
	for _, pat := range patterns {
		m, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, m...)
	}
	seen := map[[32]byte]bool{}
	var cases []diffCase
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for i, variant := range [][]byte{b, toCRLF(b)} {
			h := sha256.Sum256(variant)
			if seen[h] || (i == 1 && bytes.Contains(b, []byte("\r\n"))) {
				continue
			}
			seen[h] = true
			for ci, cfg := range diffConfigs {
				cases = append(cases, diffCase{origin: fmt.Sprintf("%s (variant %d)", p, i), raw: variant, config: cfg, recipients: diffRecipients[ci%len(diffRecipients)]})
			}
		}
	}
	if len(cases) < 40 {
		t.Fatalf("only %d corpus cases: testdata missing?", len(cases))
	}
	return cases
}

// handWrittenConfigs are config values the corpus configs do not try: a
// subjectPrefix written as RFC 2047 words or in UTF-8, and a toEmail with
// "$" patterns, which the Lambda hands to String.prototype.replace.
var handWrittenConfigs = []string{
	`{"subjectPrefix": "=?utf-8?Q?[R=C3=A9]?= ", "forwardMapping": {"@": ["jim@example.com"]}}`,
	`{"subjectPrefix": "=?utf-8?Q?[R=C3=A9]?=", "fromEmail": "noreply@example.com", "forwardMapping": {"@": ["jim@example.com"]}}`,
	`{"subjectPrefix": "[R\u00e9union] ", "forwardMapping": {"@": ["jim@example.com"]}}`,
	`{"toEmail": "a$1b@example.com", "forwardMapping": {"@": ["jim@example.com"]}}`,
	`{"toEmail": "x$'@example.com", "fromEmail": "noreply@example.com", "forwardMapping": {"@": ["jim@example.com"]}}`,
}

// handWrittenCases are messages written for the forms the corpus and the
// generator leave out (From names in odd charsets, groups, headers near
// 998 octets, long In-Reply-To and References, mixed line endings, 8-bit
// bodies), each in LF and CRLF, with every config of diffConfigs and
// handWrittenConfigs.
func handWrittenCases() []diffCase {
	var ids []string
	for i := 0; len(strings.Join(ids, "")) < 2017-len("In-Reply-To: "); i++ {
		ids = append(ids, fmt.Sprintf("<msg-%04d.%s@mail.example.com>", i, strings.Repeat("q", 20)))
	}
	x := strings.Repeat
	msgs := []struct{ name, header, body string }{
		{"iso-2022-jp name", "From: =?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?= <jp@example.jp>\nTo: info@example.com\nSubject: hi\n", "body\n"},
		{"koi8-r name", "From: =?KOI8-R?Q?=F0=D2=C9=D7=C5=D4?= <r@example.ru>\nTo: info@example.com\nSubject: hi\n", "body\n"},
		{"gb18030 name", "From: =?GB18030?B?1tDOxA==?= <c@example.cn>\nTo: info@example.com\nSubject: hi\n", "body\n"},
		{"utf-7 name", "From: =?UTF-7?Q?+AMk-cole?= <u7@example.com>\nTo: info@example.com\nSubject: hi\n", "body\n"},
		{"language tag", "From: =?UTF-8*ko?Q?=ED=95=9C?= <ko@example.kr>\nTo: info@example.com\nSubject: hi\n", "body\n"},
		{"two charsets", "From: =?iso-8859-1?q?J=F6rg?= =?windows-1252?q?_M=FCller?= <jm@example.de>\nTo: info@example.com\nSubject: hi\n", "body\n"},
		{"no name", "From: plain@example.com\nTo: info@example.com\nSubject: hi\n", "body\n"},
		{"group", "From: Team: a@example.com, b@example.org;\nTo: info@example.com\nSubject: hi\n", "body\n"},
		{"empty group", "From: undisclosed-recipients:;\nTo: info@example.com\nSubject: hi\n", "body\n"},
		{"two From", "From: A <a@example.com>\nFROM: B <b@example.com>\nTo: info@example.com\n", "body\n"},
		{"Reply-To", "From: A <a@example.com>\nReply-To: list@example.com\nTo: info@example.com\nSubject: hi\n", "body\n"},
		{"empty Reply-To", "From: A <a@example.com>\nReply-To:\nTo: info@example.com\nSubject: hi\n", "body\n"},
		{"removed fields", "Return-Path: <>\nSender: =?utf-8?q?S=C3=A9?=\n <s@example.com>\nDKIM-Signature: v=1; a=rsa-sha256;\n\tb=abc\nARC-Message-Signature: i=1; b=x\nX-Google-DKIM-Signature: v=1\ndkim-signature:v=1\nFrom: A <a@example.com>\nTo: info@example.com\nSubject: hi\nMessage-ID: <m@x>\n", "body\n"},
		{"folded", "From: A\n <a@example.com>\nTo: info@example.com,\n\tother@example.com\nSubject: a\n folded\n\tsubject\n", "body\n"},
		{"998-octet line", "From: A <a@example.com>\nX-Long: " + x("x", 990) + "\nSubject: hi\n", "body\n"},
		{"999-octet line", "From: A <a@example.com>\nX-Long: " + x("x", 991) + "\nSubject: hi\n", "body\n"},
		{"2,000-octet Subject", "From: A <a@example.com>\nSubject: " + x("word ", 400) + "\n", "body\n"},
		{"2,000-octet Subject run", "From: A <a@example.com>\nSubject: " + x("x", 2000) + "\n", "body\n"},
		{"glued In-Reply-To", "From: A <a@example.com>\nIn-Reply-To: " + strings.Join(ids, "") + "\nReferences: " + strings.Join(ids, " ") + "\n", "body\n"},
		{"glued References", "From: A <a@example.com>\nReferences: " + strings.Join(ids, "") + "\n", "body\n"},
		{"bare LF and CRLF", "From: A <a@example.com>\r\nTo: info@example.com\nSubject: hi\r\n", "\r\nline1\nline2\r\nline3\n"},
		{"8-bit body", "From: A <a@example.com>\nSubject: hi\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n", "caf\xe9 \xfc\xf6\n"},
		{"UTF-8 Subject and body", "From: A <a@example.com>\nSubject: caf\u00e9\nContent-Type: text/plain; charset=utf-8\n", "caf\u00e9 \u65e5\u672c\n"},
	}
	var cases []diffCase
	for _, m := range msgs {
		raw := m.header + "\n" + m.body
		if strings.HasPrefix(m.body, "\r\n") {
			raw = m.header + m.body
		}
		for v, variant := range [][]byte{[]byte(raw), toCRLF([]byte(raw))} {
			if v == 1 && strings.Contains(raw, "\r\n") {
				continue
			}
			for ci, cfg := range append(slices.Clone(diffConfigs), handWrittenConfigs...) {
				cases = append(cases, diffCase{origin: fmt.Sprintf("hand-written %q (variant %d)", m.name, v), raw: variant, config: cfg, recipients: diffRecipients[ci%len(diffRecipients)]})
			}
		}
	}
	return cases
}

// aspect is one part of the outcome that can differ.
type aspect uint

const (
	aspDests   aspect = 1 << iota // sent or not, or other destinations
	aspRefused                    // sesbox refused the config or the rewrite
	aspBody                       // the bytes after the header
	aspFrom                       // From fields
	aspReplyTo                    // Reply-To fields
	aspSubject                    // Subject fields
	aspTo                         // To fields
	aspRemoved                    // Return-Path, Sender, Message-ID, DKIM-Signature
	aspOther                      // any other header line
	aspHeader  = aspFrom | aspReplyTo | aspSubject | aspTo | aspRemoved | aspOther
)

var aspectNames = []string{"dests", "refused", "body", "from", "reply-to", "subject", "to", "removed", "other"}

func (a aspect) String() string {
	var s []string
	for i, n := range aspectNames {
		if a&(1<<i) != 0 {
			s = append(s, n)
		}
	}
	return strings.Join(s, "|")
}

// compareSend says which aspects of the two outcomes differ.
func compareSend(lam lambdafwd.Result, ses sesboxSend) aspect {
	if ses.refused != nil {
		if lam.Sent || lam.Err == "" {
			return aspRefused
		}
		return 0
	}
	if lam.Sent != ses.sent || !slices.Equal(lam.Destinations, ses.dests) {
		var a aspect = aspDests
		if lam.Sent && ses.sent {
			a |= compareMessage(lam.Data, ses.data)
		}
		return a
	}
	if !ses.sent {
		return 0
	}
	return compareMessage(lam.Data, ses.data)
}

func compareMessage(lam, ses []byte) aspect {
	if bytes.Equal(lam, ses) {
		return 0
	}
	lh, lb := splitMessage(lam)
	sh, sb := splitMessage(ses)
	var a aspect
	if !bytes.Equal(lb, sb) {
		a |= aspBody
	}
	group := func(h []byte) map[fieldKind][]string {
		g := map[fieldKind][]string{}
		for _, f := range parseFields(h) {
			g[f.kind] = append(g[f.kind], string(f.raw))
		}
		return g
	}
	lg, sg := group(lh), group(sh)
	for k, asp := range kindAspect {
		if !slices.Equal(lg[k], sg[k]) {
			a |= asp
		}
	}
	if a == 0 {
		a = aspOther // same fields, another order
	}
	return a
}

func describe(c diffCase, lam lambdafwd.Result, ses sesboxSend, a aspect) string {
	return fmt.Sprintf("%s\n  config %s recipients %q\n  differs in: %v\n  input:  %q\n  lambda: sent=%v dests=%q err=%q\n          %q\n  sesbox: sent=%v dests=%q refused=%v\n          %q",
		c.origin, c.config, c.recipients, a, clip(c.raw), lam.Sent, lam.Destinations, lam.Err, clip(lam.Data), ses.sent, ses.dests, ses.refused, clip(ses.data))
}

func clip(b []byte) []byte {
	if len(b) > 1500 {
		return append(bytes.Clone(b[:1500]), "..."...)
	}
	return b
}

// explain returns the rows of the table of deliberate differences that
// account for every differing aspect of a case, or nil when they do not.
// A row accounts for a case when its trigger holds for the case's input and
// config, and then only for the aspects it names.
func explain(c diffCase, lam lambdafwd.Result, ses sesboxSend, a aspect) []int {
	in := newDiffInput(c)
	in.lambda, in.refused = lam.Data, ses.refused
	var rows []int
	var covered aspect
	for _, r := range deliberateDifferences {
		asp := r.aspects
		if r.aspectsFor != nil {
			asp = r.aspectsFor(in)
		}
		if asp&a != 0 && (r.applies == nil || r.applies(in)) {
			rows = append(rows, r.id)
			covered |= asp
		}
	}
	if a&^covered != 0 {
		return nil
	}
	return rows
}

// unquoted counts the c in v outside quoted strings: for "<", the angle
// addresses v opens.
func unquoted(v []byte, c byte) int {
	n, quoted := 0, false
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '\\':
			i++
		case '"':
			quoted = !quoted
		case c:
			if !quoted {
				n++
			}
		}
	}
	return n
}

// diffInput is a case taken apart the way the triggers need it.
type diffInput struct {
	raw     []byte
	header  []byte
	body    []byte
	fields  []field
	config  map[string]any // the config object as JSON values (nil when it is not one)
	cfg     Config         // as ParseConfig reads it (zero when it refuses)
	cfgErr  error
	lambda  []byte // what the Lambda sent
	refused error  // why sesbox refused the case, if it did
}

func newDiffInput(c diffCase) *diffInput {
	in := &diffInput{raw: c.raw}
	in.header, in.body = splitMessage(c.raw)
	in.fields = parseFields(in.header)
	_ = json.Unmarshal([]byte(c.config), &in.config)
	in.cfg, in.cfgErr = ParseConfig([]byte(c.config))
	return in
}

// anyField reports whether a field of the given kind satisfies ok.
func (in *diffInput) anyField(kind fieldKind, ok func(f *field) bool) bool {
	for i := range in.fields {
		if in.fields[i].kind == kind && ok(&in.fields[i]) {
			return true
		}
	}
	return false
}

// hasControl reports whether a field holds a control character other than
// tab and its line breaks.
func hasControl(f *field) bool { return !bytes.Equal(dropControls(f.raw), f.raw) }

// folded reports whether a field has continuation lines.
func folded(f *field) bool {
	return bytes.Contains(bytes.TrimRight(f.raw, "\r\n"), []byte("\n"))
}

// jsSpace reports whether JavaScript's \s matches r.
func jsSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', '\u00a0', '\u1680', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000', '\ufeff':
		return true
	}
	return r >= '\u2000' && r <= '\u200a'
}

// lines returns the header's lines without their line endings.
func (in *diffInput) lines() []string {
	return strings.Split(strings.TrimRight(string(in.header), "\n"), "\n")
}

// deliberateDifference is one row of the table in docs/forwarding.md: the
// trigger that makes it apply to an input, and the aspects of the outcome
// it may change. TestDeliberateDifferencesDocumented checks that the ids
// are exactly the rows of the table.
type deliberateDifference struct {
	id      int
	aspects aspect
	applies func(in *diffInput) bool
	// aspectsFor, when set, replaces aspects and applies: the aspects the
	// row may change for this input, none when it does not apply.
	aspectsFor func(in *diffInput) aspect
}

var kindAspect = map[fieldKind]aspect{kindFrom: aspFrom, kindReplyTo: aspReplyTo, kindSubject: aspSubject, kindTo: aspTo, kindRemoved: aspRemoved, kindOther: aspOther}

var deliberateDifferences = []deliberateDifference{
	{id: 1, aspects: aspTo, applies: func(in *diffInput) bool { // folded To with toEmail
		return in.cfg.ToEmail != "" && in.anyField(kindTo, folded)
	}},
	{id: 3, aspects: aspHeader, applies: func(in *diffInput) bool { // folded Return-Path, Sender, Message-ID
		return in.anyField(kindRemoved, func(f *field) bool {
			return folded(f) && !asciiEqualFold(bytes.TrimRight(f.raw[:max(f.colon, 0)], " \t"), "dkim-signature")
		})
	}},
	{id: 4, aspects: aspBody, applies: func(in *diffInput) bool { // body whose last character is not white space
		if len(in.body) == 0 {
			return false
		}
		r, _ := utf8.DecodeLastRune(in.raw)
		return !jsSpace(r)
	}},
	{id: 5, aspects: aspHeader | aspBody, applies: func(in *diffInput) bool { // bare CR in the header
		return bytes.Contains(bytes.ReplaceAll(in.header, []byte("\r\n"), nil), []byte("\r"))
	}},
	{id: 6, aspects: aspHeader | aspBody, applies: func(in *diffInput) bool { // bytes that are not UTF-8
		return !utf8.Valid(in.raw)
	}},
	{id: 7, aspects: aspFrom, applies: func(in *diffInput) bool { // folded From
		return in.anyField(kindFrom, folded)
	}},
	{id: 8, aspects: aspFrom, applies: func(in *diffInput) bool { // From without a display name
		return in.anyField(kindFrom, func(f *field) bool {
			name, _ := firstMailbox(unfold(f.value()))
			return len(name) == 0
		})
	}},
	{id: 9, aspects: aspFrom, applies: func(in *diffInput) bool { // display name blank or an address
		return in.anyField(kindFrom, func(f *field) bool {
			name, _ := firstMailbox(unfold(f.value()))
			return len(name) > 0 && (blankName(name) || addressLike(name))
		})
	}},
	{id: 10, aspects: aspFrom, applies: func(in *diffInput) bool { // several mailboxes (or a group) in From
		return in.anyField(kindFrom, func(f *field) bool {
			v := unfold(f.value())
			return bytes.ContainsAny(v, ",;") || unquoted(v, '<') > 1 // "A <a> B <b>": a list without its comma
		})
	}},
	{id: 11, aspects: aspFrom | aspReplyTo, applies: func(in *diffInput) bool { // From with an empty value
		return in.anyField(kindFrom, func(f *field) bool { return len(unfold(f.value())) == 0 })
	}},
	{id: 12, aspects: aspHeader, applies: func(in *diffInput) bool { // header-only message with an unterminated last line
		return len(in.body) == 0 && !bytes.HasSuffix(in.raw, []byte("\n"))
	}},
	{id: 13, aspects: aspHeader | aspBody, applies: func(in *diffInput) bool { // leading empty line
		return len(in.header) == 0 && len(in.raw) > 0
	}},
	{id: 14, aspects: aspHeader, applies: func(in *diffInput) bool { // blanks before the colon
		for i := range in.fields {
			f := &in.fields[i]
			if f.kind != kindOther && f.colon > 0 && (f.raw[f.colon-1] == ' ' || f.raw[f.colon-1] == '\t') {
				return true
			}
		}
		return false
	}},
	{id: 15, aspects: aspHeader | aspBody, applies: func(in *diffInput) bool { // U+2028, U+2029 in the header
		return bytes.Contains(in.header, []byte("\u2028")) || bytes.Contains(in.header, []byte("\u2029"))
	}},
	{id: 16, aspects: aspRefused, applies: func(in *diffInput) bool { // line breaks and control characters in config values
		return in.cfgErr != nil && (strings.Contains(in.cfgErr.Error(), "line break") || strings.Contains(in.cfgErr.Error(), "control character"))
	}},
	{id: 17, aspects: aspRefused, applies: func(in *diffInput) bool { // no original recipient and no fromEmail
		return in.refused != nil && strings.Contains(in.refused.Error(), "no original recipient and no fromEmail")
	}},
	{id: 18, aspects: aspRefused, applies: func(in *diffInput) bool { // config keys in the wrong case
		return in.cfgErr != nil && strings.Contains(in.cfgErr.Error(), "the Lambda only reads")
	}},
	{id: 19, aspects: aspRefused, applies: func(in *diffInput) bool { // a flag that is not true, false or null
		for _, k := range []string{"allowPlusSign", "sesboxQuoteFromName"} {
			if v, ok := in.config[k]; ok && v != nil {
				if _, isBool := v.(bool); !isBool {
					return in.cfgErr != nil
				}
			}
		}
		return false
	}},
	{id: 21, aspects: aspHeader | aspBody, applies: func(in *diffInput) bool { // CRLF message without an empty line
		return len(in.body) == 0 && bytes.Contains(in.header, []byte("\r\n"))
	}},
	{id: 22, aspects: aspFrom, applies: func(in *diffInput) bool { // blanks and comments around the From mailbox
		return in.anyField(kindFrom, func(f *field) bool {
			v := f.value()
			if len(v) > 0 && (v[0] == ' ' || v[0] == '\t') {
				v = v[1:]
			}
			v = bytes.TrimRight(v, "\r\n")
			lt := bytes.IndexByte(v, '<')
			return bytes.IndexByte(v, '(') >= 0 || bytes.Contains(v, []byte("  ")) ||
				bytes.ContainsAny(v, "\t") || bytes.TrimSpace(v) == nil ||
				len(bytes.TrimLeft(v, " ")) != len(v) || len(bytes.TrimRight(v, " ")) != len(v) ||
				(lt > 0 && v[lt-1] != ' ') ||
				(bytes.IndexByte(v, '>') >= 0 && bytes.LastIndexByte(v, '>') != len(v)-1)
		})
	}},
	{id: 23, aspects: aspHeader | aspBody, applies: func(in *diffInput) bool { // a line of blanks only inside the header
		for _, l := range in.lines() {
			if l = strings.TrimRight(l, "\r"); l != "" && strings.Trim(l, " \t") == "" {
				return true
			}
		}
		return false
	}},
	{id: 24, aspects: aspFrom, applies: func(in *diffInput) bool { // "<" or ">" inside a quoted display name
		return in.anyField(kindFrom, func(f *field) bool {
			quoted := false
			for _, c := range f.value() {
				switch {
				case c == '"':
					quoted = !quoted
				case quoted && (c == '<' || c == '>'):
					return true
				}
			}
			return false
		})
	}},
	{id: 25, aspects: aspFrom | aspReplyTo | aspSubject | aspTo | aspRefused, applies: func(in *diffInput) bool { // a line Rewrite writes over 78 octets
		if errors.Is(in.refused, ErrUnfoldable) {
			return true
		}
		hadReplyTo := false
		for _, f := range in.fields {
			hadReplyTo = hadReplyTo || f.kind == kindReplyTo
		}
		lh, _ := splitMessage(in.lambda)
		for _, f := range parseFields(lh) {
			created := f.kind == kindFrom || f.kind == kindReplyTo && !hadReplyTo ||
				f.kind == kindSubject && in.cfg.SubjectPrefix != "" || f.kind == kindTo && in.cfg.ToEmail != ""
			limit := headerfold.Soft
			if bytes.Contains(f.raw, []byte("=?")) {
				limit = headerfold.Encoded // RFC 2047 2, as headerfold.Created folds
			}
			if created && headerfold.LongestLine(f.raw) > limit {
				return true
			}
		}
		return false
	}},
	{id: 26, aspectsFor: func(in *diffInput) aspect { // a header line over 998 octets passed on: only its own field, or refused
		var a aspect
		for _, f := range in.fields {
			if headerfold.LongestLine(f.raw) > headerfold.Hard {
				a |= kindAspect[f.kind]
			}
		}
		if a != 0 && errors.Is(in.refused, ErrUnfoldable) {
			a |= aspRefused
		}
		return a
	}},
	{id: 27, aspects: aspFrom, applies: func(in *diffInput) bool { // "<", ">", "\\" or an open quote or comment in the From phrase; an empty angle address
		return in.anyField(kindFrom, func(f *field) bool {
			v := unfold(f.value())
			name, addr := firstMailbox(v)
			if unquoted(v, '<') > 0 && (len(addr) == 0 || unquoted(v, '>') == 0) {
				return true // "<>", or an angle address never closed
			}
			p := append(append(bytes.Clone(name), ' '), addr...)
			return !bytes.Equal(balancedPhrase(p), p)
		})
	}},
	{id: 28, aspects: aspRefused, applies: func(in *diffInput) bool { // a sender address that is not one plain address
		err := in.refused
		if err == nil {
			err = in.cfgErr
		}
		return err != nil && strings.Contains(err.Error(), "not one plain address")
	}},
	{id: 29, aspects: aspRefused, applies: func(in *diffInput) bool { // more than one From field
		// Counted as Rewrite reads the header, where a bare CR ends a
		// line (row 5), as it does for the Lambda's ^from:, which
		// rewrites each.
		h, _ := splitMessage(crLines(in.raw))
		return errors.Is(in.refused, ErrSeveralFrom) && countKind(parseFields(h), kindFrom) > 1
	}},
	{id: 30, aspects: aspFrom | aspReplyTo | aspSubject, applies: func(in *diffInput) bool { // a control character in the From, or in a prefixed Subject
		return in.anyField(kindFrom, hasControl) || in.cfg.SubjectPrefix != "" && in.anyField(kindSubject, hasControl)
	}},
	{id: 31, aspects: aspBody | aspOther | aspRefused, applies: func(in *diffInput) bool { // a body line over 998 octets
		return headerfold.LongestLine(in.body) > headerfold.Hard
	}},
	{id: 32, aspects: aspRefused, applies: func(in *diffInput) bool { // a non-ASCII fromEmail or destination
		return in.cfgErr != nil && (strings.Contains(in.cfgErr.Error(), "non-ASCII") || strings.Contains(in.cfgErr.Error(), "punycode"))
	}},
	{id: 33, aspects: aspHeader, applies: func(in *diffInput) bool { // a "$" pattern in toEmail, which String.prototype.replace expands
		return jsReplacePattern.MatchString(in.cfg.ToEmail)
	}},
	{id: 20, aspects: aspHeader, applies: func(in *diffInput) bool { // a header line starting with white space other than SP or HT
		for _, l := range in.lines() {
			if r, _ := utf8.DecodeRuneInString(l); l != "" && r != ' ' && r != '\t' && jsSpace(r) {
				return true
			}
		}
		return false
	}},
}

// jsReplacePattern matches the replacement patterns of JavaScript's
// String.prototype.replace that expand with the Lambda's To regular
// expression (one group): "$$", "$&", "$`", "$'" and "$1" (also "$01").
var jsReplacePattern = regexp.MustCompile("\\$([$&`']|0?1)")

// generatedCases makes n messages from a fixed seed, each with one config
// and recipient list.
func generatedCases(n int, seed uint64) []diffCase {
	r := rand.New(rand.NewPCG(seed, 2))
	cases := make([]diffCase, n)
	for i := range cases {
		ci := r.IntN(len(diffConfigs))
		cases[i] = diffCase{
			origin:     fmt.Sprintf("generated #%d (seed %d)", i, seed),
			raw:        genMessage(r),
			config:     diffConfigs[ci],
			recipients: diffRecipients[r.IntN(len(diffRecipients))],
		}
	}
	return cases
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

var (
	genFromValues = []string{
		`Betsy <betsy@example.com>`,
		"Ctl\x00Na\x1bme\x7f <ctl@example.com>",
		`"Doe, Jane" <jane@example.com>`,
		`bare@example.com`,
		`<angle@example.com>`,
		`bare@example.com (Bare Comment)`,
		`(lead comment) bare@example.com`,
		`"Quoted" <q@example.com> (trailing comment)`,
		`Name <n@example.com> (comment)`,
		`"A <b@evil.example> C" <a@example.com>`,
		`"x>y" <xy@example.com>`,
		`"a<b" <ab@example.com>`,
		`Extra   Blanks   In   Name <blank@example.com>`,
		`  Leading Blanks <lead@example.com>  `,
		`=?UTF-8?B?8J+YiiBuYW1l?= <enc@example.com>`,
		`=?utf-8?q?J=C3=B6rg?= <j@example.com>`,
		"J\u00f6rg M\u00fcller <jm@example.com>",
		`A <a@example.com>, B <b@example.com>`,
		`Bob <bob@example.com> Bobby <bobby@example.com>`,
		`"A <x>" <a@example.com> B <b@example.com>`,
		`"A, B" <ab@example.com>, c@example.com`,
		`""  <blankname@example.com>`,
		`"same@example.com" <same@example.com>`,
		`other@bank.example <real@example.com>`,
		``,
		` `,
		"Folded Name\n <folded@example.com>",
		"\"Unicode =?UTF-8?B?8J+YiiBuYW1l?=\"\n\t<multi@example.com>",
		`group: g1@example.com, g2@example.com;`,
		`Trailing <t@example.com>,`,
		strings.Repeat("Very Long Name ", 8) + "<long@example.com>",
		strings.Repeat("N", 1200) + " <run@example.com>",
		`Name <<double@example.com>>`,
		`Name <>`,
		`Name <unclosed@example.com`,
		`"open <open@example.com>`,
		`(open <open@example.com>`,
		`Name (<ceo@bank.example>) <c@example.com>`,
		`\"Esc\" <esc@example.com>`,
		`=?utf-8?q?boss=40bank.example?= <real@example.com>`,
		`"boss@bank.example " <real@example.com>`,
		`=?utf-8?q?_?= <blank@example.com>`,
	}
	genSubjects = []string{
		"Hello", "  two blanks", "", "\tTab first", "folded\n continuation",
		"=?UTF-8?Q?Gr=C3=BC=C3=9Fe?= aus K\u00f6ln", "Re: [list] a much longer subject line that goes on past the usual seventy-eight columns of a line",
		"\n\tstarts on the next line", "=?utf-8?b?5pel5pys6Kqe44Gu5Lu25ZCN?=",
		strings.Repeat("long subject ", 100), strings.Repeat("x", 1500), "=?utf-8?q?" + strings.Repeat("y", 1200) + "?=",
	}
	genTos = []string{
		"info@example.com", "Info <info@example.com>, other@example.org",
		"one@example.com,\n  two@example.com", "undisclosed-recipients:;",
	}
	genExtras = []string{
		"Return-Path: <bounce@example.com>", "Return-Path:\n <folded-bounce@example.com>",
		"Sender: sender@example.com", "Message-ID: <id1@example.com>", "Message-Id:\n\t<id2@example.com>",
		"DKIM-Signature: v=1; a=rsa-sha256; d=example.com;\n\tb=abc\n\t def", "dkim-signature: v=1",
		"Date: Wed, 07 Oct 2015 12:34:56 +0000", "MIME-Version: 1.0",
		"Content-Type: text/plain; charset=utf-8", "X-Mailer: gen", "Cc: cc@example.com",
		"Received: from a by b\n\twith SMTP id x\n\tfor <info@example.com>; Wed, 07 Oct 2015",
		"Reply-To: rt@example.com", "reply-to:rt2@example.com", "REPLY-TO : spaced@example.com",
		"X-Long: " + strings.Repeat("spaced words ", 90), "X-Run: " + strings.Repeat("z", 1100),
	}
	// lines that begin with a character JavaScript's \s matches but RFC
	// 5322 does not count as folding white space, and whitespace-only lines
	genOddLines = []string{
		"\u00a0X-NBSP: after no-break space", "\u3000X-Ideo: after ideographic space",
		"\u2028X-LS: after line separator", "\u2003em space line", "\u000bX-VT: vertical tab",
		"\u000cX-FF: form feed", "\ufeffX-BOM: after BOM",
		" ", "\t", "  \t ",
	}
	genBodies = []string{
		"body line\n", "line one\nline two\n\n", "no final newline", "ends in blank \n", "trailing text after blank x",
		"From: looks like a header\nTo: x@example.com\n",
		strings.Repeat("a long body line ", 70) + "=\n" + strings.Repeat("é", 600) + " \n",
	}
	genNames = []string{"From", "from", "FROM", "From ", "fROM"}
)

// genMessage builds one message from the forms above: fields in random
// order, LF or CRLF, sometimes header-only (ending in a line break or not),
// sometimes with a leading empty line.
func genMessage(r *rand.Rand) []byte {
	var lines []string
	nFrom := 1
	switch r.IntN(10) {
	case 0:
		nFrom = 0
	case 1:
		nFrom = 2
	}
	for range nFrom {
		name := "From"
		if r.IntN(4) == 0 {
			name = pick(r, genNames)
		}
		sep := pick(r, []string{" ", " ", "", "  ", "\t"})
		lines = append(lines, name+":"+sep+pick(r, genFromValues))
	}
	if r.IntN(5) > 0 {
		lines = append(lines, "Subject:"+pick(r, []string{" ", "", " "})+pick(r, genSubjects))
	}
	if r.IntN(5) > 0 {
		lines = append(lines, "To: "+pick(r, genTos))
	}
	for range r.IntN(6) {
		lines = append(lines, pick(r, genExtras))
	}
	r.Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })
	if r.IntN(4) == 0 {
		// an odd line goes anywhere but first, often right after a From
		at := 1 + r.IntN(len(lines)+1)
		if at > len(lines) {
			at = len(lines)
		}
		odd := pick(r, genOddLines)
		lines = slices.Insert(lines, at, odd)
	}
	msg := strings.Join(lines, "\n") + "\n"
	switch r.IntN(8) {
	case 0: // header only, ending in a line break
	case 1: // header only, last line unterminated
		msg = strings.TrimSuffix(msg, "\n")
	default:
		msg += "\n" + pick(r, genBodies)
	}
	if r.IntN(40) == 0 {
		msg = "\n" + msg
	}
	if r.IntN(2) == 0 {
		msg = strings.ReplaceAll(msg, "\n", "\r\n")
	}
	return []byte(msg)
}

// hostileCases makes n messages of hostile header shapes from a fixed
// seed (genHostile), each with one config and recipient list.
func hostileCases(n int, seed uint64) []diffCase {
	r := rand.New(rand.NewPCG(seed, 3))
	cases := make([]diffCase, n)
	for i := range cases {
		ci := r.IntN(len(diffConfigs))
		cases[i] = diffCase{
			origin:     fmt.Sprintf("hostile #%d (seed %d)", i, seed),
			raw:        genHostile(r),
			config:     diffConfigs[ci],
			recipients: diffRecipients[r.IntN(len(diffRecipients))],
		}
	}
	return cases
}

// genHostile builds a message from hostile header shapes: folded From,
// Reply-To, Return-Path, Sender and DKIM-Signature (a blank-only
// continuation among them), encoded words, very long lines, NULs in
// fields and body, fields written twice, a field with an empty name,
// header fields only in the body, no empty line at all, and lines ended
// by LF, CRLF or a bare CR, mixed.
func genHostile(r *rand.Rand) []byte {
	pool := []string{
		"From: Jane\n Doe\n\t<jane@example.com>",
		"From: =?utf-8?b?8J+YiiBKYW5l?=\n <jane@example.com>",
		"From: \"J\x00ane\" <jane@example.com>",
		"From: " + strings.Repeat("Long Name ", 120) + "<long@example.com>",
		"Reply-To: =?utf-8?q?R=C3=A9ply?=\n <r@example.com>,\n\tother@example.org",
		"Reply-To: r\x00@example.com",
		"Return-Path:\n <bounce@example.com>",
		"Sender: =?utf-8?q?S=C3=A9?=\n\t<s@example.com>",
		"DKIM-Signature: v=1; a=rsa-sha256;\n\tb=AAAA\n \n\tBBBB",
		"DKIM-Signature: v=1; d=example.com; b=" + strings.Repeat("A", 1100),
		"Message-ID:\n\t<folded@example.com>",
		"Subject: =?utf-8?q?" + strings.Repeat("=C3=A9", 200) + "?=",
		"Subject: NUL\x00in subject",
		"Subject: " + strings.Repeat("word ", 300),
		"To: info@example.com",
		"To: a@example.com,\n b@example.com",
		"Date: Mon, 7 Dec 2026 10:00:00 +0000",
		"X-Null: a\x00b",
		"X-Long: " + strings.Repeat("y", 1200),
		": empty name",
		"Received: from a by b\n\tfor <info@example.com>; Mon, 7 Dec 2026",
	}
	var lines []string
	if r.IntN(12) > 0 {
		lines = append(lines, pick(r, pool[:4]))
	}
	for range 1 + r.IntN(7) {
		lines = append(lines, pick(r, pool[4:]))
	}
	if r.IntN(4) == 0 { // a field written twice
		lines = append(lines, pick(r, lines))
	}
	r.Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })
	msg := strings.Join(lines, "\n") + "\n"
	bodies := []string{
		"body\n", "From: evil@example.com\nReply-To: evil@example.com\n\nnot header\n",
		"nul \x00 byte\n", "no final newline", strings.Repeat("z", 1500) + "\n",
	}
	if r.IntN(8) > 0 {
		msg += "\n" + pick(r, bodies)
	}
	// Line endings: all LF, all CRLF, all bare CR, or each its own.
	switch r.IntN(4) {
	case 0:
	case 1:
		msg = strings.ReplaceAll(msg, "\n", "\r\n")
	case 2:
		msg = strings.ReplaceAll(msg, "\n", "\r")
	default:
		var b strings.Builder
		for _, c := range msg {
			if c == '\n' {
				b.WriteString(pick(r, []string{"\n", "\r\n", "\r"}))
				continue
			}
			b.WriteRune(c)
		}
		msg = b.String()
	}
	return []byte(msg)
}

// TestDeliberateDifferencesDocumented: the rows the differential test
// accepts are exactly the rows of the table "Deliberate differences from
// the Lambda" in docs/forwarding.md, so no difference is accepted without
// a documented reason and no documented row goes unchecked.
func TestDeliberateDifferencesDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/forwarding.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "## Deliberate differences from the Lambda")
	if !ok {
		t.Fatal("docs/forwarding.md has no section \"Deliberate differences from the Lambda\"")
	}
	if next := strings.Index(section, "\n## "); next >= 0 {
		section = section[:next]
	}
	row := regexp.MustCompile(`(?m)^\| (\d+) \|`)
	var documented []int
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		n, _ := strconv.Atoi(m[1])
		documented = append(documented, n)
	}
	var checked []int
	for _, r := range deliberateDifferences {
		checked = append(checked, r.id)
	}
	sort.Ints(documented)
	sort.Ints(checked)
	if !slices.Equal(documented, checked) {
		t.Errorf("rows in docs/forwarding.md: %v\nrows the differential test accepts: %v", documented, checked)
	}
}

// TestExplainIsSelective: a difference no row's trigger covers is not
// explained, so the differential test can fail.
func TestExplainIsSelective(t *testing.T) {
	plain := diffCase{
		raw:        []byte("From: Betsy <betsy@example.com>\r\nSubject: hello\r\nX-Other: 1\r\n\r\nbody\r\n"),
		config:     diffConfigs[0],
		recipients: []string{"info@example.com"},
	}
	lam := lambdafwd.Result{Sent: true}
	for _, a := range []aspect{aspOther, aspBody, aspDests, aspSubject, aspTo, aspReplyTo, aspRemoved, aspRefused, aspFrom} {
		if rows := explain(plain, lam, sesboxSend{}, a); rows != nil {
			t.Errorf("a difference in %v of a plain message is explained by rows %v", a, rows)
		}
	}
	eightBit := plain
	eightBit.raw = []byte("From: Betsy <betsy@example.com>\r\nSubject: caf\xe9\r\n\r\nbody\r\n")
	if rows := explain(eightBit, lam, sesboxSend{}, aspSubject); !slices.Contains(rows, 6) {
		t.Errorf("8-bit Subject: rows %v, want 6", rows)
	}
	if rows := explain(eightBit, lam, sesboxSend{}, aspDests); rows != nil {
		t.Errorf("8-bit bytes explain other destinations: rows %v", rows)
	}
}
