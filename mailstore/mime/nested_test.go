package mime

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore/testutil/cpubudget"
)

// TestForwardedMessagesAreShown: a message/rfc822 part (inline, or an
// attachment: mutt shows both, $honor_disposition being off), a
// message/global one and a text/rfc822-headers one are each parsed to be
// shown in the body, their header fields and bodies decoded in their own
// charsets (ISO-8859-1 quoted-printable, KOI8-R base64 and words, raw
// UTF-8), the inner attachments listed; each part stays an attachment, to
// save as it is. They were listed only as attachments.
func TestForwardedMessagesAreShown(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/corpus/sesbox-forwarded_messages_charsets.eml")
	if err != nil {
		t.Fatal(err)
	}
	v := Parse(raw)
	fw := v.Forwarded()
	want := []struct {
		path, ctype, from, subject, body string
	}{
		{"2", "message/rfc822", "Jürgen Müller <juergen@example.de>", "Grüße", "Grüße aus Köln, voilà."},
		{"3", "message/rfc822", "Иван <ivan@example.ru>", "Отчёт", "Привет, это пересланное письмо.\nВторая строка."},
		{"4", "message/global", "Zoë <zoe@bücher.example>", "Bücher für Zoë", "Das Bücherregal ist fertig."},
		{"5", "text/rfc822-headers", "Original Sender <orig@example.org>", "the returned header", ""},
	}
	if len(fw) != len(want) {
		t.Fatalf("%d nested messages, want %d: %+v", len(fw), len(want), fw)
	}
	for i, w := range want {
		n := fw[i]
		if n.Path != w.path || n.Depth != 1 || n.ContentType != w.ctype || n.View == nil {
			t.Fatalf("nested %d: %+v", i, n)
		}
		fields := map[string]string{}
		for _, f := range n.View.Fields() {
			fields[f.Name] = f.Value
		}
		if fields["From"] != w.from || fields["Subject"] != w.subject || fields["Date"] == "" {
			t.Errorf("part %s: fields %q", n.Path, fields)
		}
		if got := strings.TrimSpace(n.View.Body()); got != w.body {
			t.Errorf("part %s: body %q, want %q", n.Path, got, w.body)
		}
		if p := v.Parts[n.Part-1]; !p.IsAttachment || p.Index != n.Part {
			t.Errorf("part %s is not an attachment to save: %+v", n.Path, p)
		}
		for _, wn := range n.View.Warnings {
			if !IsNote(wn) {
				t.Errorf("part %s warns %q", n.Path, wn)
			}
		}
	}
	if a := fw[0].View.Attachments(); len(a) != 1 || a[0].Filename != "bericht.pdf" {
		t.Errorf("the forwarded message's attachments: %+v", a)
	}
	if n := fw[3].Title(); n != "message header in part 5" {
		t.Errorf("title %q", n)
	}
	for _, w := range v.Warnings {
		if w == "no text body" {
			t.Error("a message whose body is forwarded messages warns of no text body")
		}
	}
	// The part saved is the message as it was sent, byte for byte.
	if got := string(v.Parts[2].Bytes()); !strings.HasPrefix(got, "From: =?KOI8-R?B?") || !strings.HasSuffix(got, "NCg==\r\n") {
		t.Errorf("part 3 saves as %q", got)
	}
}

// nestedChain is a message holding a message holding a message... depth
// levels deep, each level's part claiming to be 1 GB (Content-Length, a
// size= parameter), the innermost holding body.
func nestedChain(depth int, body string) []byte {
	var b strings.Builder
	for i := range depth {
		fmt.Fprintf(&b, "From: level%d@example.com\r\nSubject: level %d\r\nContent-Length: 1073741824\r\nMIME-Version: 1.0\r\n"+
			"Content-Type: multipart/mixed; boundary=\"L%d\"\r\n\r\n--L%d\r\nContent-Type: text/plain\r\n\r\nlevel %d\r\n"+
			"--L%d\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment; size=1073741824\r\n\r\n", i, i, i, i, i, i)
	}
	b.WriteString("From: inner@example.com\r\nSubject: innermost\r\n\r\n" + body + "\r\n")
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--L%d--\r\n", i)
	}
	return []byte(b.String())
}

// TestNestedMessagesAreBounded: a message nesting 50 messages, each
// claiming 1 GB, is read within a CPU and a memory bound: the first
// maxNestedDepth levels are shown, the next says why it is not (it is
// still a part to save), and no declared size is believed.
func TestNestedMessagesAreBounded(t *testing.T) {
	raw := nestedChain(50, "deepest")
	var v *View
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if used := cpubudget.Used(func() { v = Parse(raw) }); used > 2*time.Second {
		t.Errorf("Parse took %v of CPU", used)
	}
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64*uint64(len(raw))+8<<20 {
		t.Errorf("Parse of %d bytes allocated %d", len(raw), alloc)
	}
	fw := v.Forwarded()
	if len(fw) != maxNestedDepth+1 {
		t.Fatalf("%d nested messages listed, want %d", len(fw), maxNestedDepth+1)
	}
	for i, n := range fw[:maxNestedDepth] {
		if n.View == nil || n.Depth != i+1 || n.Part != 2 || n.View.Summary.Subject != fmt.Sprintf("level %d", i+1) {
			t.Fatalf("level %d: %+v", i+1, n)
		}
	}
	last := fw[maxNestedDepth]
	if last.View != nil || !strings.Contains(last.NotShown, "nested deeper than 8") || last.Path != strings.Repeat("2.", maxNestedDepth)+"2" {
		t.Errorf("past the bound: %+v", last)
	}

	// A chain of forwards of one large text: each level holds it again,
	// so levels are opened while nestedBudget lasts.
	big := strings.Repeat("a line of the forwarded text\r\n", 400<<10/30)
	raw = nestedChain(maxNestedDepth, big)
	v = Parse(raw)
	fw = v.Forwarded()
	shown, notShown := 0, 0
	for _, n := range fw {
		if n.View != nil {
			shown++
		} else if strings.Contains(n.NotShown, "too large") {
			notShown++
		}
	}
	if shown == 0 || notShown != 1 || shown*len(big) > nestedBudget(len(raw)) {
		t.Errorf("%d levels of %d bytes shown and %d not (budget %d)", shown, len(big), notShown, nestedBudget(len(raw)))
	}
}
