package sanitize

import (
	"strings"
	"testing"
)

// TestNamePosesAsAddress: a display name that could be read as an
// address or a domain other than the sender's; the lists showed
// "security@bank.example" of mail from evil@evil.example.
func TestNamePosesAsAddress(t *testing.T) {
	tests := []struct {
		name, addr string
		poses      bool
	}{
		{"Alice Example", "alice@example.com", false},
		{"security@bank.example", "evil@evil.example", true},
		{"security＠bank.example", "evil@evil.example", true}, // fullwidth @
		{"security﹫bank.example", "evil@evil.example", true}, // small @
		{"Bank.example Support", "evil@evil.example", true},  // a domain
		{"ｂａｎｋ．ｅｘａｍｐｌｅ", "evil@evil.example", true},          // fullwidth domain
		{"bаnk.example", "evil@evil.example", true},          // Cyrillic а
		{"bank\u200b.example", "evil@evil.example", true},    // a zero-width space in it
		{"secu\u2060rity@bank.example", "evil@evil.example", true},
		{"\u202egnp.evil", "x@evil.example", true},            // "evil.png" reversed: a domain still
		{"Amazon.com", "auto-confirm@amazon.com", false},      // its own domain
		{"Amazon.com", "auto-confirm@mail.amazon.com", false}, // a subdomain of it
		{"Amazon.com", "x@notamazon.com", true},               // not a subdomain
		{"J.R.R. Tolkien", "jrr@example.org", false},
		{"Mr. Smith", "smith@example.org", false},
		{"Release v1.2", "ci@example.org", false},
		{"田中 太郎", "taro@example.jp", false},
	}
	for _, tt := range tests {
		if got := NamePosesAsAddress(tt.name, tt.addr); got != tt.poses {
			t.Errorf("NamePosesAsAddress(%q, %q) = %v, want %v", tt.name, tt.addr, got, tt.poses)
		}
	}
}

// TestAddressShowsConfusableDomainsInASCII: a domain label that could pass
// for another is shown in its ASCII form, as browsers show host names;
// others are shown as written. The ASCII forms are Python's punycode
// codec's.
func TestAddressShowsConfusableDomainsInASCII(t *testing.T) {
	tests := []struct{ addr, want string }{
		{"a@bank.example", "a@bank.example"},
		{"a@bаnk.example", "a@xn--bnk-6cd.example"},         // Cyrillic а among Latin
		{"a@аррӏе.com", "a@xn--80ak6aa92e.com"},             // Cyrillic alone under .com
		{"a@bank\u200b.example", "a@xn--bank-y76a.example"}, // a zero-width space
		{"a@bank\u00ad.example", "a@xn--bank-tga.example"},  // a soft hyphen
		{"a@bücher.example", "a@bücher.example"},
		{"a@例え.jp", "a@例え.jp"},
		{"a@пример.рф", "a@пример.рф"},
		{"a@\u202eelpmaxe.live", "a@xn--elpmaxe-z76c.live"},
		{"no-at-sign", "no-at-sign"},
	}
	for _, tt := range tests {
		if got := Address(tt.addr); got != tt.want {
			t.Errorf("Address(%q) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}

// TestMailboxQuotesANameThatPosesAsAnAddress: the viewer's and show's
// From, To, Cc and Reply-To quote such a name, so that the sender's
// address is the only one in angle brackets outside quotes.
func TestMailboxQuotesANameThatPosesAsAnAddress(t *testing.T) {
	tests := []struct{ name, addr, want string }{
		{"Alice", "alice@example.com", "Alice <alice@example.com>"},
		{"", "alice@example.com", "alice@example.com"},
		{"Alice", "", "Alice"},
		{"security@bank.example <security@bank.example>", "evil@evil.example", `"security@bank.example <security@bank.example>" <evil@evil.example>`},
		{"Bank \u202e", "a@bаnk.example", "Bank <U+202E> <a@xn--bnk-6cd.example>"},
	}
	for _, tt := range tests {
		got := Mailbox(tt.name, tt.addr)
		if got != tt.want {
			t.Errorf("Mailbox(%q, %q) = %q, want %q", tt.name, tt.addr, got, tt.want)
		}
		if got != Line(got) {
			t.Errorf("Mailbox(%q, %q) = %q is not a safe line", tt.name, tt.addr, got)
		}
		if tt.name != "" && tt.addr != "" && strings.Count(got, "<"+Address(tt.addr)+">") != 1 {
			t.Errorf("Mailbox(%q, %q) = %q: the address is not shown once", tt.name, tt.addr, got)
		}
	}
}
