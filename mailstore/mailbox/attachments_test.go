package mailbox

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/index"
	"github.com/sesbox/sesbox/mailstore/query"
	"github.com/sesbox/sesbox/mailstore/s3store"
	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
)

// bigMessages are multipart messages larger than a first range of 4 KiB,
// in the shapes that make a count from the first bytes hard: the
// attachment's part header past the first range (after a long text), no
// attachment at all (a long newsletter), an attachment cut in its body,
// and several attachments, some past the range.
func bigMessages() map[string][]byte {
	part := func(b *bytes.Buffer, hdr, body string) {
		fmt.Fprintf(b, "--B\r\n%s\r\n\r\n%s\r\n", hdr, body)
	}
	start := func(b *bytes.Buffer, subject, ctype string) {
		fmt.Fprintf(b, "From: a@example.com\r\nSubject: %s\r\nDate: Mon, 16 Nov 2026 09:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: %s; boundary=B\r\n\r\n", subject, ctype)
	}
	long := strings.Repeat("a line of text that goes on\r\n", 400) // 11.6 KB
	out := map[string][]byte{}
	var b bytes.Buffer
	start(&b, "late attachment", "multipart/mixed")
	part(&b, "Content-Type: text/plain", long)
	part(&b, "Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"late.pdf\"", "%PDF-1.4")
	b.WriteString("--B--\r\n")
	out["late"] = bytes.Clone(b.Bytes())

	b.Reset()
	start(&b, "newsletter", "multipart/alternative")
	part(&b, "Content-Type: text/plain", long)
	part(&b, "Content-Type: text/html", "<p>"+long+"</p>")
	b.WriteString("--B--\r\n")
	out["none"] = bytes.Clone(b.Bytes())

	b.Reset()
	start(&b, "cut attachment", "multipart/mixed")
	part(&b, "Content-Type: text/plain", "see attached")
	part(&b, "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"big.bin\"", long)
	part(&b, "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"second.bin\"", "x")
	b.WriteString("--B--\r\n")
	out["cut"] = bytes.Clone(b.Bytes())

	b.Reset()
	start(&b, "mixed content (same header as an attachment, inline)", "multipart/mixed")
	part(&b, "Content-Type: text/plain", long)
	part(&b, "Content-Type: text/plain", "a second inline text")
	b.WriteString("--B--\r\n")
	out["inline"] = bytes.Clone(b.Bytes())
	return out
}

// TestAttachmentsSameBeforeAndAfterOpening: has:attachment and the @ flag
// give the same answer before and after a message is opened, for the demo
// mailbox, the parser corpus and large messages read through a small
// first range; a count marked exact never changes, and one that is not
// is a lower bound of the exact one.
func TestAttachmentsSameBeforeAndAfterOpening(t *testing.T) {
	srv := fakes3.Start(t, "mail")
	idx, err := index.Open(filepath.Join(t.TempDir(), "i.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	st := s3store.New(srv.Client(nil), mailstore.Location{Bucket: "mail", Prefix: "in/"})
	st.HeaderRange = 4 << 10
	m := New("test", st, idx)

	for name, raw := range bigMessages() {
		srv.Put(t, "mail", "in/big-"+name, raw)
	}
	for _, glob := range []string{"../demo/messages/*.eml", "../../testdata/corpus/*.eml"} {
		files, _ := filepath.Glob(glob)
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			srv.Put(t, "mail", "in/"+filepath.Base(f), raw)
		}
	}
	ctx := context.Background()
	if err := m.Refresh(ctx, nil); err != nil {
		t.Fatal(err)
	}
	has, _ := query.Parse("has:attachment", mailstore.Object{}.LastModified)
	keysOf := func() map[string]mailstore.Summary {
		sums, err := m.Summaries(ctx, has, query.ByDate, false)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]mailstore.Summary{}
		for _, s := range sums {
			out[s.Key] = s
		}
		return out
	}
	all, err := m.Summaries(ctx, query.Query{}, query.ByDate, false)
	if err != nil || len(all) < 90 {
		t.Fatalf("%d messages indexed: %v", len(all), err)
	}
	before := keysOf()
	var bounds, changed int
	for _, s := range all {
		msg, err := m.Open(ctx, s.Key)
		if err != nil {
			t.Fatal(err)
		}
		after := msg.Summary
		if (s.Attachments > 0) != (after.Attachments > 0) {
			t.Errorf("%s: @ flag changed on opening: %d (exact %v) -> %d", s.Key, s.Attachments, s.AttachmentsExact, after.Attachments)
		}
		if s.AttachmentsExact && after.Attachments != s.Attachments || s.Attachments > after.Attachments {
			t.Errorf("%s: count %d (exact %v) indexed, %d opened", s.Key, s.Attachments, s.AttachmentsExact, after.Attachments)
		}
		if !after.AttachmentsExact {
			t.Errorf("%s: not exact after opening", s.Key)
		}
		if !s.AttachmentsExact {
			bounds++
		}
		if s.Attachments != after.Attachments {
			changed++
		}
	}
	afterKeys := keysOf()
	if len(afterKeys) != len(before) {
		t.Errorf("has:attachment: %d messages before opening, %d after", len(before), len(afterKeys))
	}
	for k := range before {
		if _, ok := afterKeys[k]; !ok {
			t.Errorf("%s: has:attachment before opening, not after", k)
		}
	}
	// The shapes this is about were met: lower bounds that opening made
	// exact, and large messages with no attachment counted exactly.
	if bounds == 0 || changed == 0 {
		t.Errorf("%d lower bounds, %d counts made exact by opening: the test saw no large message", bounds, changed)
	}
	for name, want := range map[string]int{"late": 1, "none": 0, "cut": 2, "inline": 0} {
		if got := afterKeys["in/big-"+name].Attachments; got != want {
			t.Errorf("big-%s: %d attachments after opening, want %d", name, got, want)
		}
	}
	t.Logf("%d messages, %d with attachments, %d lower bounds, %d made exact by opening", len(all), len(before), bounds, changed)
}
