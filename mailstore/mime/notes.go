package mime

import (
	"strings"

	"github.com/jhillyerd/enmime/v2"
)

// IsNote reports whether a View warning is only a note about how the text
// was read, not a problem the reader must see before the body: enmime's
// remark that it made plain text from the HTML, a charset declaration that
// did not match text which decoded fine, and our own reading of
// mislabelled UTF-8. Viewers show notes with the parts and headers.
func IsNote(w string) bool {
	for _, name := range []string{enmime.ErrorPlainTextFromHTML, enmime.ErrorCharsetDeclaration} {
		if strings.HasPrefix(w, "[W] "+name+":") {
			return true
		}
	}
	return strings.HasSuffix(w, "but holds UTF-8; read as UTF-8")
}
