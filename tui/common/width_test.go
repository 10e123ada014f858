package common

import (
	"slices"
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

// Wrap breaks at spaces only: a hyphen in a command, an address or a date
// is not a break; a line's leading spaces stay; a word wider than the
// width is cut only by Wrap, WrapWords leaves it whole.
func TestWrapBreaksAtSpacesOnly(t *testing.T) {
	for _, tc := range []struct {
		in       string
		w        int
		wrap, ww []string
	}{
		{"aws s3api put-bucket-versioning --bucket b", 21,
			[]string{"aws s3api", "put-bucket-versioning", "--bucket b"},
			[]string{"aws s3api", "put-bucket-versioning", "--bucket b"}},
		{"to seoyeon.lee@daehan-logis.example", 24,
			[]string{"to", "seoyeon.lee@daehan-logis", ".example"},
			[]string{"to", "seoyeon.lee@daehan-logis.example"}},
		{"  > quoted text here", 12, []string{"  > quoted", "text here"}, []string{"  > quoted", "text here"}},
		{"a  b", 2, []string{"a ", "b"}, []string{"a ", "b"}},
		{"one\ntwo three", 5, []string{"one", "two", "three"}, []string{"one", "two", "three"}},
		{"", 5, []string{""}, []string{""}},
	} {
		if got := strings.Split(Wrap(tc.in, tc.w), "\n"); !slices.Equal(got, tc.wrap) {
			t.Errorf("Wrap(%q, %d) = %q, want %q", tc.in, tc.w, got, tc.wrap)
		}
		if got := WrapWords(tc.in, tc.w); !slices.Equal(got, tc.ww) {
			t.Errorf("WrapWords(%q, %d) = %q, want %q", tc.in, tc.w, got, tc.ww)
		}
	}
}
