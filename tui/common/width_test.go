package common

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// TestTerminalAgreesWithWcwidth: after Terminal, a line is as wide by
// wcwidth (how tmux and most terminals draw) as layout measured it, and
// what both agree on is left alone.
func TestTerminalAgreesWithWcwidth(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain ascii", "plain ascii"},
		{"Ver\u00adsiche\u00adrung", "Versicherung"},
		{"a\u200bb", "ab"},
		{"dev 👩\u200d💻 ok", "dev 👩 ok"},
		{"love ❤️ it", "love ❤  it"},
		{"thumb 👍🏽", "thumb 👍"},
		{"café e\u0301", "café e\u0301"},
		{"ｆｕｌｌ 한국어 日本", "ｆｕｌｌ 한국어 日本"},
		{"tab\there", "tabhere"},
		{"\x1b[1mbold 👩\u200d💻\x1b[0m", "\x1b[1mbold 👩\x1b[0m"},
	} {
		got := Terminal(tc.in)
		if got != tc.want {
			t.Errorf("Terminal(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if lw, tw := ansi.StringWidth(tc.in), runeWidths(ansi.Strip(got)); lw != tw && !strings.Contains(tc.in, "\t") {
			t.Errorf("%q: laid out in %d cells, drawn in %d", tc.in, lw, tw)
		}
	}
}
