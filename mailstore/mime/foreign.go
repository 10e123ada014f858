package mime

import (
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// describeForeign turns an object that is not mail and not text (an image
// dropped in the bucket, an archive) into one attachment part and a
// warning that says what it is ("image/png, 1.1 MB: not a mail message"),
// instead of a body of binary bytes. It reports whether it did.
func describeForeign(v *View, raw []byte) bool {
	ct, foreign := foreignType(raw)
	if !foreign {
		return false
	}
	v.Parts = []Part{{Index: 1, ContentType: ct, Disposition: "attachment", Size: len(raw), IsAttachment: true, Content: raw}}
	v.warn("%s, %s: not a mail message", ct, humanBytes(len(raw)))
	return true
}

// foreignType is the content type of raw bytes that hold no header fields,
// and whether they are not text (then they are one attachment).
func foreignType(raw []byte) (string, bool) {
	ct := http.DetectContentType(raw)
	if strings.HasPrefix(ct, "text/") && utf8.Valid(raw) {
		return ct, false
	}
	ct, _, _ = strings.Cut(ct, ";")
	return ct, true
}

// humanBytes renders a size as people read it: 900 B, 12 KB, 1.1 MB.
func humanBytes(n int) string {
	const k = 1000
	switch {
	case n < k:
		return fmt.Sprintf("%d B", n)
	case n < k*k:
		return fmt.Sprintf("%.0f KB", float64(n)/k)
	case n < k*k*k:
		return fmt.Sprintf("%.1f MB", float64(n)/(k*k))
	}
	return fmt.Sprintf("%.1f GB", float64(n)/(k*k*k))
}
