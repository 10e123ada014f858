package common

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// TestSenderCellNeverHidesTheDomain: the sender column shows the
// address, not a name posing as another address or domain, and an address
// too wide for the column keeps its domain; "bank.example.verify@
// evil.example" was cut to "bank.example.ver…" at the TUI's 17 cells.
func TestSenderCellNeverHidesTheDomain(t *testing.T) {
	tests := []struct {
		name, addr string
		w          int
		want       string
	}{
		{"Alice Liddell", "alice@example.com", 17, "Alice Liddell    "},
		{"", "alice@example.com", 17, "alice@example.com"},
		{"security@bank.example", "evil@evil.example", 17, "evil@evil.example"},
		{"PayPal.com", "service@evil.example", 24, "service@evil.example    "},
		{"", "bank.example.verify@evil.example", 17, "ban…@evil.example"},
		{"bank.example", "bank.example.verify@evil.example", 24, "bank.examp…@evil.example"},
		{"", "x@verify.bank.example.evil.example", 17, "…ple.evil.example"},
		{"", "x@bаnk.example", 17, "…-bnk-6cd.example"},
		{"\u200b", "alice@example.com", 17, "alice@example.com"}, // a name of nothing visible
		{"", "請求書請求書請求@evil.example", 17, "請…@evil.example "},    // a wide character at the cut
		{"", "x@" + strings.Repeat("a", 5000) + ".evil.example", 17, "…aaa.evil.example"},
	}
	for _, tt := range tests {
		got := SenderCell(tt.name, tt.addr, tt.w)
		if got != tt.want {
			t.Errorf("SenderCell(%.40q, %.40q, %d) = %q, want %q", tt.name, tt.addr, tt.w, got, tt.want)
		}
		if ansi.StringWidth(got) != tt.w {
			t.Errorf("SenderCell(%q, %q, %d) = %q is %d cells", tt.name, tt.addr, tt.w, got, ansi.StringWidth(got))
		}
		if strings.Contains(tt.addr, "@evil.example") && !strings.Contains(got, "evil.example") {
			t.Errorf("SenderCell(%q, %q, %d) = %q hides the domain", tt.name, tt.addr, tt.w, got)
		}
	}
}

// TestShortNameKeepsTheExtension: a file name too long for its cells is
// cut in the middle, its extension kept.
func TestShortNameKeepsTheExtension(t *testing.T) {
	long := "invoice.pdf" + strings.Repeat("_", 100) + ".exe"
	for _, tt := range []struct {
		name string
		w    int
		want string
	}{
		{"invoice.pdf", 40, "invoice.pdf"},
		{long, 20, "invoice.pdf____….exe"},
		{strings.Repeat("x", 30) + ".averyveryverylongextension", 20, strings.Repeat("x", 19) + "…"},
		{"請求書" + strings.Repeat("書", 30) + ".pdf", 20, "請求書書書書書….pdf"},
	} {
		got := ShortName(tt.name, tt.w)
		if got != tt.want || ansi.StringWidth(got) > tt.w {
			t.Errorf("ShortName(%q, %d) = %q (%d cells), want %q", tt.name, tt.w, got, ansi.StringWidth(got), tt.want)
		}
	}
}
