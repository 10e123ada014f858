package common

import (
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"

	"github.com/sesbox/sesbox/mailstore/sanitize"
)

// SenderCell is the sender column of a list (the TUI's, the ls table's),
// exactly w cells (Fit) made a table cell (sanitize.Cell): the display
// name, else the address, and the address too when the name poses as
// another address or domain (sanitize.NamePosesAsAddress): mutt and
// aerc list the name alone, so that mail from evil@evil.example named
// "security@bank.example" was listed as from bank.example. An address
// shows its domain as sanitize.Address does, and one too wide for w is
// cut in its local part, never in its domain: Fit kept the start, and
// "bank.example.verify@evil.example" cut at 17 cells showed
// "bank.example.ver…", the sender's own words. A domain wider than w
// alone keeps its end ("…verify.evil.example"), the part a registrar
// gave out.
func SenderCell(name, address string, w int) string {
	if w <= 0 {
		return ""
	}
	if name != "" && !sanitize.NamePosesAsAddress(name, address) {
		if shown := sanitize.Cell(Head(name, w)); shown != "" {
			return Fit(shown, w)
		}
	}
	local, domain := address, ""
	if at := strings.LastIndexByte(address, '@'); at >= 0 {
		local, domain = address[:at], address[at:]
	}
	// The domain's end, whole labels as far as can be: what can show of
	// it, read in bounded time whatever its length.
	if len(domain) > maxShownDomain {
		cut := len(domain) - maxShownDomain
		for cut < len(domain) && !utf8.RuneStart(domain[cut]) {
			cut++
		}
		domain = domain[cut:]
	}
	shownDomain := sanitize.Cell(sanitize.Address(domain))
	shownLocal := sanitize.Cell(Head(local, w))
	dw := ansi.StringWidth(shownDomain)
	switch {
	case ansi.StringWidth(shownLocal)+dw <= w:
		return Fit(shownLocal+shownDomain, w)
	case dw+2 <= w:
		// Fit again: a wide character at the cut leaves a cell over.
		return Fit(ansi.Truncate(shownLocal, w-dw-1, "")+"…"+shownDomain, w)
	default:
		return Fit("…"+ansi.TruncateLeft(shownDomain, dw-(w-1), ""), w)
	}
}

// maxShownDomain is more bytes of a domain than any list column shows.
const maxShownDomain = 1024

// ShortName is a file name (already sanitized, one line) in at most w
// cells: cut in the middle when longer, so that its extension (up to 16
// cells after the last dot) still shows: "invoice.pdf_____…___.exe".
func ShortName(name string, w int) string {
	if ansi.StringWidth(name) <= w {
		return name
	}
	ext := ""
	if i := strings.LastIndexByte(name, '.'); i > 0 && ansi.StringWidth(name[i:]) <= 16 {
		ext = name[i:]
	}
	ew := ansi.StringWidth(ext)
	if ew+2 > w {
		return ansi.Truncate(name, w, "…")
	}
	return ansi.Truncate(name[:len(name)-len(ext)], w-ew-1, "") + "…" + ext
}
