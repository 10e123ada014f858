package mime

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore"
)

// TestForeignObjectsDescribed: an object that is not mail and not text is
// described and offered as a part, never shown as its bytes; a text
// object without header fields is still shown as text.
func TestForeignObjectsDescribed(t *testing.T) {
	png := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{0}, 1_100_000)...)
	v := Parse(png)
	if v.Summary.Kind != mailstore.KindForeign || v.Text != "" || v.Body() != "" {
		t.Fatalf("kind %v, text %d bytes", v.Summary.Kind, len(v.Text))
	}
	if len(v.Parts) != 1 || v.Parts[0].ContentType != "image/png" || len(v.Attachments()) != 1 || !bytes.Equal(v.Parts[0].Content, png) {
		t.Fatalf("parts %+v", v.Parts)
	}
	if !strings.Contains(strings.Join(v.Warnings, "\n"), "image/png, 1.1 MB: not a mail message") {
		t.Fatalf("warnings %q", v.Warnings)
	}
	v = Parse([]byte("just some notes\nin a text file\n"))
	if !strings.Contains(v.Text, "just some notes") || len(v.Parts) != 0 {
		t.Fatalf("text object: %q, %d parts", v.Text, len(v.Parts))
	}
}
