package mime

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore/testutil/cpubudget"
)

// scalingHead is the header every scaling shape starts with.
const scalingHead = "From: a@b.example\r\nTo: c@d.example\r\nSubject: s\r\n" +
	"Date: Mon, 1 Jan 2024 00:00:00 +0000\r\nMIME-Version: 1.0\r\n"

// grow is head, then unit repeated to about n bytes, then tail.
func grow(n int, head, unit, tail string) []byte {
	return []byte(head + strings.Repeat(unit, max(n/len(unit), 1)) + tail)
}

// growNumbered is head, then unit formatted with 0, 1, 2... to about n
// bytes, then tail.
func growNumbered(n int, head, unit, tail string) []byte {
	var b strings.Builder
	b.WriteString(head)
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, unit, i)
	}
	b.WriteString(tail)
	return []byte(b.String())
}

// scalingShapes are adversarial messages of about n bytes, by the shape
// they grow in: each is a way a sender makes one message cost its reader
// more than its size.
func scalingShapes() map[string]func(n int) []byte {
	mixed := scalingHead + "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	part := mixed + "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhello\r\n--b\r\n"
	return map[string]func(n int) []byte{
		"ctype-semicolons": func(n int) []byte {
			return grow(n, scalingHead+"Content-Type: text/plain", ";", "\r\n\r\nbody\r\n")
		},
		"part-ctype-semicolons": func(n int) []byte {
			return grow(n, part+"Content-Type: application/pdf; name=a.pdf", ";", "\r\n\r\nx\r\n--b--\r\n")
		},
		"disposition-semicolons": func(n int) []byte {
			return grow(n, part+"Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=a.pdf", ";", "\r\n\r\nx\r\n--b--\r\n")
		},
		"ctype-folded-semicolons": func(n int) []byte {
			return grow(n, scalingHead+"Content-Type: text/plain", ";\r\n ;", "\r\n\r\nbody\r\n")
		},
		"ctype-params": func(n int) []byte {
			return growNumbered(n, scalingHead+"Content-Type: text/plain", "; a%d=b", "\r\n\r\nbody\r\n")
		},
		"ctype-quoted-semicolons": func(n int) []byte {
			return grow(n, scalingHead+"Content-Type: text/plain; x=\"", ";", "\"\r\n\r\nbody\r\n")
		},
		"rfc2231-continuations": func(n int) []byte {
			return growNumbered(n, part+"Content-Type: application/pdf\r\nContent-Disposition: attachment", "; name*%d*=%%41", "\r\n\r\nx\r\n--b--\r\n")
		},
		"rfc2231-filename": func(n int) []byte {
			return growNumbered(n, part+"Content-Type: application/pdf\r\nContent-Disposition: attachment", ";\r\n filename*%d*=utf-8''%%41", "\r\n\r\nx\r\n--b--\r\n")
		},
		"encoded-words": func(n int) []byte {
			return grow(n, "From: a@b.example\r\nSubject:", " =?utf-8?q?a?=", "\r\n\r\nbody\r\n")
		},
		"encoded-words-glued": func(n int) []byte {
			return grow(n, "From: a@b.example\r\nSubject: ", "=?utf-8?b?w6k=?=", "\r\n\r\nbody\r\n")
		},
		"encoded-words-from": func(n int) []byte {
			return grow(n, "From: ", "=?utf-8?q?a?= ", "<a@b.example>\r\n\r\nbody\r\n")
		},
		"deep-nesting": func(n int) []byte {
			var b strings.Builder
			b.WriteString(scalingHead + "Content-Type: multipart/mixed; boundary=b0\r\n\r\n")
			for i := 1; b.Len() < n; i++ {
				fmt.Fprintf(&b, "--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n", i-1, i)
			}
			return []byte(b.String())
		},
		"many-parts": func(n int) []byte {
			return grow(n, mixed, "--b\r\nContent-Type: application/octet-stream; name=x.bin\r\n\r\nx\r\n", "--b--\r\n")
		},
		"long-boundary": func(n int) []byte {
			bd := strings.Repeat("b", n/2)
			return []byte(scalingHead + "Content-Type: multipart/mixed; boundary=\"" + bd + "\"\r\n\r\n--" + bd + "\r\n\r\nx\r\n--" + bd + "--\r\n")
		},
		"many-headers": func(n int) []byte {
			return growNumbered(n, scalingHead, "X-H%d: v\r\n", "\r\nbody\r\n")
		},
		"folded-header": func(n int) []byte {
			return grow(n, scalingHead+"X-Folded: a", "\r\n x", "\r\n\r\nbody\r\n")
		},
		"folded-subject": func(n int) []byte {
			return grow(n, "From: a@b.example\r\nSubject: s", "\r\n x", "\r\n\r\nbody\r\n")
		},
		"qp-equals": func(n int) []byte {
			return grow(n, scalingHead+"Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n", "=", "\r\n")
		},
		"qp-equals-part": func(n int) []byte {
			return grow(n, mixed+"--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n", "=", "\r\n--b--\r\n")
		},
	}
}

// scalingEntries are the entry points sesbox gives a message to: Parse
// (show, the viewer, reply, save), Summarize (the index's summary of a
// header block) and CountAttachments (the index's attachment count).
var scalingEntries = map[string]func(raw []byte){
	"parse":     func(raw []byte) { Parse(raw) },
	"summarize": func(raw []byte) { Summarize(raw) },
	"count":     func(raw []byte) { CountAttachments(raw, int64(len(raw))) },
}

// leastCPU is the least CPU fn took in runs runs: the least is the
// work's own cost, what a loaded machine adds only ever makes a run longer.
func leastCPU(runs int, fn func()) time.Duration {
	least := time.Duration(1<<63 - 1)
	for range runs {
		least = min(least, cpubudget.Used(fn))
	}
	return least
}

// Sizes the scaling test compares: a message of scaleSmall bytes and one
// four times as large.
const scaleSmall = 32 << 10

// maxScaleRatio is how much more a message four times as large may cost:
// linear work costs 4 times as much, quadratic 16; 8 leaves room for a
// loaded machine and the garbage collector, whose work grows with the
// live heap.
const maxScaleRatio = 8

// maxMicrosPerKB bounds the CPU a shape may cost per KB of message (the
// shapes cost 5 to 150 µs a KB, 2026-12-08; a Content-Type of ';' cost
// 1,500 before cutParams, and 2 MB of it 4.6 s of `sesbox show`).
const maxMicrosPerKB = 500

// TestAdversarialShapesScaleLinearly: for every shape a sender can grow
// a message in (scalingShapes) and every entry point sesbox gives a
// message to (scalingEntries), a message four times as large costs at
// most maxScaleRatio times the bytes allocated and the CPU, and the CPU
// stays under maxMicrosPerKB a KB. Allocations do not depend on the
// machine; CPU is the process's (cpubudget), taken again as the least of
// three runs before a ratio counts as failed.
func TestAdversarialShapesScaleLinearly(t *testing.T) {
	shapes := scalingShapes()
	for _, name := range slices.Sorted(maps.Keys(shapes)) {
		small, large := shapes[name](scaleSmall), shapes[name](4*scaleSmall)
		for _, entry := range slices.Sorted(maps.Keys(scalingEntries)) {
			fn := scalingEntries[entry]
			fn(small) // caches warm
			as, al := allocatedBy(func() { fn(small) }), allocatedBy(func() { fn(large) })
			if al > maxScaleRatio*as+1<<20 {
				t.Errorf("%s/%s: %d bytes allocated %d, %d bytes %d: %.1f times", name, entry, len(small), as, len(large), al, float64(al)/float64(as))
			}
			ts, tl := cpubudget.Used(func() { fn(small) }), cpubudget.Used(func() { fn(large) })
			floor := 2 * time.Millisecond * slowdown
			perKB := func() float64 { return float64(tl.Microseconds()) / float64(len(large)>>10) }
			if tl > maxScaleRatio*ts+floor || perKB() > maxMicrosPerKB*slowdown {
				ts, tl = leastCPU(3, func() { fn(small) }), leastCPU(3, func() { fn(large) })
			}
			if tl > maxScaleRatio*ts+floor {
				t.Errorf("%s/%s: %d bytes took %v of CPU, %d bytes %v: %.1f times", name, entry, len(small), ts, len(large), tl, tl.Seconds()/ts.Seconds())
			}
			if perKB() > maxMicrosPerKB*slowdown {
				t.Errorf("%s/%s: %.0f µs of CPU a KB (%d bytes, %v)", name, entry, perKB(), len(large), tl)
			}
		}
	}
}

// BenchmarkAdversarialShapes measures each scaling shape of 256 KB
// through each entry point; its MB/s is the inverse of the CPU a byte.
func BenchmarkAdversarialShapes(b *testing.B) {
	shapes := scalingShapes()
	for _, name := range slices.Sorted(maps.Keys(shapes)) {
		raw := shapes[name](256 << 10)
		for _, entry := range slices.Sorted(maps.Keys(scalingEntries)) {
			fn := scalingEntries[entry]
			b.Run(name+"/"+entry, func(b *testing.B) {
				b.SetBytes(int64(len(raw)))
				b.ReportAllocs()
				for b.Loop() {
					fn(raw)
				}
			})
		}
	}
}
