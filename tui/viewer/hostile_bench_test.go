package viewer

import (
	"maps"
	"slices"
	"testing"

	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/mailstore/testutil/hostilemail"
)

// BenchmarkViewerHostileShapes measures opening each hostile shape of
// about 60 KB (hostilemail, already parsed) in the viewer at 80x24 and
// drawing it: the body laid out, drawn, scrolled to the end, the parts
// list shown and drawn. docs/reliability.md has the figures.
func BenchmarkViewerHostileShapes(b *testing.B) {
	shapes := hostilemail.Shapes()
	for _, name := range slices.Sorted(maps.Keys(shapes)) {
		raw := shapes[name]
		v := mime.Parse(raw)
		s := v.Summary
		s.Key = "inbox/" + name
		msg := &mailbox.Message{Summary: s, Raw: raw, View: v}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			m0, _ := newViewer(b, 80, 24, korean)
			for b.Loop() {
				m := m0
				if cmd := m.SetMessage(msg); cmd != nil {
					m, _ = m.Update(cmd())
				}
				_ = m.View()
				m, _ = press(b, m, "G", "p")
				_ = m.View()
			}
		})
	}
}
