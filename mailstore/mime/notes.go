package mime

import "strings"

// IsNote reports whether a View warning is only a note about how the text
// was read, not a problem the reader must see before the body: enmime's
// warnings ("[W] …", which enmime raises when no part of the message was
// lost: plain text made from the HTML, a charset declaration that did not
// match, base64 with stray characters skipped) and our own reading of
// mislabelled UTF-8 and of ASCII text in an unknown charset. Its severe
// errors ("[E] …") and our own warnings (forged SES fields, parse
// fallbacks) are not notes. Viewers show notes with the parts and headers.
func IsNote(w string) bool {
	// "[W] " is how enmime.Error.Error spells a warning that is not Severe.
	return strings.HasPrefix(w, "[W] ") || strings.HasSuffix(w, "but holds UTF-8; read as UTF-8") ||
		strings.HasSuffix(w, asciiInUnknownCharset)
}
