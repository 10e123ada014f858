package mime

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// manyParams is a message whose top Content-Type and whose attachment's
// Content-Disposition each carry n parameters of the given form (%d is the
// parameter's number).
func manyParams(n int, form string) []byte {
	var ps strings.Builder
	for i := range n {
		ps.WriteString(";" + fmt.Sprintf(form, i))
	}
	return []byte("From: a@example.com\r\nSubject: params\r\n" +
		"Content-Type: multipart/mixed; boundary=b" + ps.String() + "\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n" +
		"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=a.pdf" + ps.String() + "\r\n\r\nx\r\n" +
		"--b--\r\n")
}

// allocatedBy returns the bytes fn allocates.
func allocatedBy(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestManyMediaParametersBoundWork: enmime v2.3.0 repairs a Content-Type
// or Content-Disposition value by appending its parameters one by one to a
// string it searches for each next one (mediatype.fixMangledMediaType), so
// its work grows with the square of the parameter count: 2,000 parameters
// without values (11 KB) took over a second to parse, 4,000 (23 KB) three,
// and CountAttachments as long again on every index. The work is measured
// in bytes allocated, which the repair's string building dominates, and
// which does not depend on the machine's speed.
func TestManyMediaParametersBoundWork(t *testing.T) {
	for _, form := range []string{"a%d", "a%d=b", "a%d=(@)", "x*%d*=%%41"} {
		raw := manyParams(2000, form)
		limit := uint64(200 * len(raw))
		var v *View
		if got := allocatedBy(func() { v = safeParse(raw) }); got > limit {
			t.Errorf("%q: Parse of %d bytes allocated %d bytes, want at most %d", form, len(raw), got, limit)
		}
		if got := allocatedBy(func() { CountAttachments(raw, int64(len(raw))) }); got > limit {
			t.Errorf("%q: CountAttachments of %d bytes allocated %d bytes, want at most %d", form, len(raw), got, limit)
		}
		// The parameters that come first still count.
		if v.Source || len(v.Attachments()) != 1 || v.Attachments()[0].Filename != "a.pdf" || v.Text != "hello" {
			t.Errorf("%q: parts not read: source %v, text %q, %d attachments", form, v.Source, v.Text, len(v.Attachments()))
		}
	}
}
