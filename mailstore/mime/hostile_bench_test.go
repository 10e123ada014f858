package mime

import (
	"maps"
	"slices"
	"testing"

	"github.com/sesbox/sesbox/mailstore/sanitize"
	"github.com/sesbox/sesbox/mailstore/testutil/hostilemail"
)

// BenchmarkHostileShapes measures, per hostile shape of about 60 KB
// (hostilemail), the time and memory of what `ls` and `show` do with
// it: Summarize (the list's header summary), CountAttachments (the
// list's attachment count) and Parse with the body sanitized (show, the
// viewer). docs/reliability.md has the figures; the bound is 100 ms and
// 50 MB a call.
func BenchmarkHostileShapes(b *testing.B) {
	shapes := hostilemail.Shapes()
	for _, name := range slices.Sorted(maps.Keys(shapes)) {
		raw := shapes[name]
		b.Run(name+"/summarize", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Summarize(raw)
			}
		})
		b.Run(name+"/count", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				CountAttachments(raw, int64(len(raw)))
			}
		})
		b.Run(name+"/parse", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				v := safeParse(raw)
				_ = sanitize.Text(v.Body())
				v.AllLinks()
			}
		})
	}
}

// TestHostileShapesAreBounded: what Parse makes of each hostile shape is
// bounded by the caps, whatever the shape: the parts by maxMIMEParts, the
// text by three bytes an input byte (a U+FFFD each) plus the HTML layout
// bound (4 times the input plus 64 KB), the
// text's links by MaxTextLinks, the header's warnings by
// maxHeaderWarnings; and the attachment count the list shows is the one
// the viewer shows. The work these bound is measured by
// BenchmarkHostileShapes (no test here times anything).
func TestHostileShapesAreBounded(t *testing.T) {
	for name, raw := range hostilemail.Shapes() {
		v := Parse(raw)
		if len(v.Parts) > maxMIMEParts {
			t.Errorf("%s: %d parts, more than %d", name, len(v.Parts), maxMIMEParts)
		}
		if n := len(v.Text) + len(v.HTMLText); n > 3*len(raw)+4*len(raw)+64<<10 {
			t.Errorf("%s: %d bytes of text from %d", name, n, len(raw))
		}
		if n := len(Summarize(raw).Warnings); n > maxHeaderWarnings+4 {
			t.Errorf("%s: %d warnings about the header", name, n)
		}
		if links, _ := v.AllLinks(); len(links) > len(v.Links)+MaxTextLinks {
			t.Errorf("%s: %d links", name, len(links))
		}
		if n, exact := CountAttachments(raw, int64(len(raw))); !v.Source && (!exact || n != v.Summary.Attachments) {
			t.Errorf("%s: the list counts %d attachments (exact %v), the viewer %d", name, n, exact, v.Summary.Attachments)
		}
	}
}
