package tnef

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode: any stream is read without a panic, and what is read is
// bounded by the input: the attachments' data are pieces of it, a
// decompressed RTF body is at most 9 bytes for each compressed one (a
// flag byte and eight references of 17 bytes each), its text at most 4
// bytes for each of its bytes. With every loop consuming input, that
// bounds the work too.
// maxSeed keeps the seeds small enough to mutate quickly.
const maxSeed = 16 << 10

func FuzzDecode(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.dat")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b[:min(len(b), maxSeed)])
	}
	f.Add(stream(attr(levelAttachment, 0x00069002, nil), attr(levelAttachment, 0x00069005, propList(unicodeProp(prAttachLongName, "a.txt")))))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b, nil)
		if err != nil {
			return
		}
		data := 0
		for _, a := range m.Attachments {
			data += len(a.Data)
		}
		if data > len(b) || len(m.Attachments) > MaxAttachments {
			t.Errorf("%d attachments of %d bytes from %d bytes", len(m.Attachments), data, len(b))
		}
		for _, rtf := range [][]byte{m.RTF, b} {
			out, _ := DecompressRTF(rtf)
			if len(out) > 9*len(rtf) || len(out) > MaxRTF {
				t.Errorf("%d bytes of RTF from %d", len(out), len(rtf))
			}
			text, _ := RTFText(out, nil)
			if len(text) > 4*len(out) {
				t.Errorf("%d bytes of text from %d of RTF", len(text), len(out))
			}
		}
		text, _ := RTFText(b, nil)
		if len(text) > 4*len(b) {
			t.Errorf("%d bytes of text from %d of RTF", len(text), len(b))
		}
	})
}
