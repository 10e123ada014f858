// Package forward re-creates, on raw bytes, what the widely deployed SES
// forwarding Lambda (github.com/arithmetric/aws-lambda-ses-forwarder v6.0.0)
// does to a stored message: map the receipt recipients to forward
// destinations, and rewrite the header so SES accepts the message from a
// verified identity. sesbox uses it to re-forward stored mail by hand and get
// the message the Lambda would have sent, minus the Lambda's known bugs
// (docs/forwarding.md lists every difference and the test that proves it).
//
// The package also keeps the forward journal, the durable record of every
// send attempt that stops a bulk run from sending a message twice.
package forward

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"os"
	"sort"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Config is the Lambda's own config object, read from the JSON operators
// already deployed, plus sesbox's opt-ins (keys prefixed "sesbox").
type Config struct {
	// FromEmail, when set, replaces the sender's address in From
	// ("Name <fromEmail>"). When unset the original recipient is used
	// ("Name at sender <original recipient>").
	FromEmail string `json:"fromEmail"`
	// SubjectPrefix is put at the start of every Subject value.
	SubjectPrefix string `json:"subjectPrefix"`
	// EmailBucket and EmailKeyPrefix say where SES stores the raw messages:
	// the object key is EmailKeyPrefix + the SES message id.
	EmailBucket    string `json:"emailBucket"`
	EmailKeyPrefix string `json:"emailKeyPrefix"`
	// AllowPlusSign drops a "+tag" before the "@" of a recipient before the
	// mapping lookup.
	AllowPlusSign bool `json:"allowPlusSign"`
	// ForwardMapping maps a lower-case address, "@domain", mailbox or the
	// catch-all "@" to forward destinations (see Map).
	ForwardMapping map[string][]string `json:"forwardMapping"`
	// ToEmail, when set, replaces the To header.
	ToEmail string `json:"toEmail"`
	// QuoteFromName is sesbox's own opt-in: write the From display name as an
	// RFC 5322 quoted string instead of the Lambda's bare phrase.
	QuoteFromName bool `json:"sesboxQuoteFromName"`
}

// ObjectKey is the key under which SES stored the message with the given SES
// message id, as the Lambda computes it.
func (c Config) ObjectKey(messageID string) string { return c.EmailKeyPrefix + messageID }

// LoadConfig reads a JSON config file; see ParseConfig for the format.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("load forwarder config: %w", err)
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		return Config{}, fmt.Errorf("load forwarder config %s: %w", path, err)
	}
	return cfg, nil
}

// configKeys are the keys ParseConfig reads. The Lambda reads its config
// case-sensitively, so these are matched exactly.
var configKeys = []string{
	"fromEmail", "subjectPrefix", "emailBucket", "emailKeyPrefix",
	"allowPlusSign", "forwardMapping", "toEmail", "sesboxQuoteFromName",
}

// ParseConfig parses the Lambda's config object written as JSON (not the
// index.js it lives in). The object may also be wrapped as {"config": {...}},
// the shape of the Lambda's handler overrides. Keys are matched
// case-sensitively like the Lambda does; a key that differs from a known one
// only in case is an error rather than silently ignored. Other unknown keys
// are ignored, as the Lambda ignores them. A forwardMapping value may be a
// list of addresses or a single address (the Lambda concatenates either).
func ParseConfig(data []byte) (Config, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return Config{}, fmt.Errorf("parse forwarder config: %w", err)
	}
	if top == nil {
		return Config{}, errors.New("parse forwarder config: not a JSON object")
	}
	if inner, ok := top["config"]; ok {
		for _, k := range configKeys {
			if _, known := top[k]; known {
				return Config{}, fmt.Errorf("parse forwarder config: both a \"config\" wrapper and a top-level %q", k)
			}
		}
		top = nil
		if err := json.Unmarshal(inner, &top); err != nil || top == nil {
			return Config{}, errors.New("parse forwarder config: \"config\" is not a JSON object")
		}
	}

	keys := make([]string, 0, len(top))
	for k := range top {
		keys = append(keys, k)
	}
	sort.Strings(keys) // report the same error first on every run
	for _, k := range keys {
		for _, known := range configKeys {
			if k != known && strings.EqualFold(k, known) {
				return Config{}, fmt.Errorf("parse forwarder config: key %q: the Lambda only reads %q", k, known)
			}
		}
	}

	var cfg Config
	strs := []struct {
		key string
		dst *string
	}{
		{"fromEmail", &cfg.FromEmail},
		{"subjectPrefix", &cfg.SubjectPrefix},
		{"emailBucket", &cfg.EmailBucket},
		{"emailKeyPrefix", &cfg.EmailKeyPrefix},
		{"toEmail", &cfg.ToEmail},
	}
	for _, s := range strs {
		if raw, ok := top[s.key]; ok && !isNull(raw) {
			if err := json.Unmarshal(raw, s.dst); err != nil {
				return Config{}, fmt.Errorf("parse forwarder config: %s must be a string", s.key)
			}
		}
	}
	bools := []struct {
		key string
		dst *bool
	}{
		{"allowPlusSign", &cfg.AllowPlusSign},
		{"sesboxQuoteFromName", &cfg.QuoteFromName},
	}
	for _, b := range bools {
		if raw, ok := top[b.key]; ok && !isNull(raw) {
			if err := json.Unmarshal(raw, b.dst); err != nil {
				return Config{}, fmt.Errorf("parse forwarder config: %s must be true or false", b.key)
			}
		}
	}

	raw, ok := top["forwardMapping"]
	if !ok || isNull(raw) {
		return Config{}, errors.New("parse forwarder config: forwardMapping is missing")
	}
	var mapping map[string]json.RawMessage
	if err := json.Unmarshal(raw, &mapping); err != nil {
		return Config{}, errors.New("parse forwarder config: forwardMapping must be an object")
	}
	cfg.ForwardMapping = make(map[string][]string, len(mapping))
	for k, v := range mapping {
		var one string
		var list []string
		switch {
		case json.Unmarshal(v, &one) == nil && !isNull(v):
			list = []string{one}
		case json.Unmarshal(v, &list) == nil && !isNull(v):
			if list == nil {
				list = []string{}
			}
		default:
			return Config{}, fmt.Errorf("parse forwarder config: forwardMapping[%q] must be a list of addresses", k)
		}
		cfg.ForwardMapping[k] = list
	}

	if err := cfg.validate(); err != nil {
		return Config{}, fmt.Errorf("parse forwarder config: %w", err)
	}
	return cfg, nil
}

// headerControl reports a control character a config value may not put
// into a header: C0 but the tab, DEL, C1.
func headerControl(r rune) bool {
	return r < 0x20 && r != '\t' || r == 0x7f || r >= 0x80 && r <= 0x9f
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// validate rejects values that would let config text break out of the header
// line it is written into. Operators write the config, but a pasted value
// with a stray newline must fail loudly, not forge header fields.
func (c Config) validate() error {
	for _, v := range []struct{ key, val string }{
		{"fromEmail", c.FromEmail},
		{"subjectPrefix", c.SubjectPrefix},
		{"toEmail", c.ToEmail},
	} {
		if strings.ContainsAny(v.val, "\r\n") {
			return fmt.Errorf("%s contains a line break", v.key)
		}
		// Written into the header as it is: a NUL, an escape sequence
		// or a C1 control is no header text (RFC 5322) and reaches every
		// reader's screen.
		if i := strings.IndexFunc(v.val, headerControl); i >= 0 {
			r, _ := utf8.DecodeRuneInString(v.val[i:])
			return fmt.Errorf("%s contains a control character (U+%04X)", v.key, r)
		}
	}
	if c.FromEmail != "" {
		if err := plainAddress(c.FromEmail); err != nil {
			return fmt.Errorf("fromEmail: %w", err)
		}
		if err := asciiAddress(c.FromEmail); err != nil {
			return fmt.Errorf("fromEmail: %w", err)
		}
	}
	if !isASCII(c.ToEmail) {
		// Written into the To field as it is: raw UTF-8 there needs
		// SMTPUTF8, which SES has not (difference 32).
		if addrs, err := mail.ParseAddressList(c.ToEmail); err == nil {
			for _, a := range addrs {
				if err := asciiAddress(a.Address); err != nil {
					return fmt.Errorf("toEmail: %w", err)
				}
			}
		}
		return fmt.Errorf("toEmail: write a non-ASCII name as an RFC 2047 encoded word (\"=?utf-8?q?J=C3=B6rg?= <j@x.example>\"): %q is written into the To field as it is, and SES refuses raw UTF-8 there", c.ToEmail)
	}
	for k, dests := range c.ForwardMapping {
		for _, d := range dests {
			if strings.ContainsAny(d, "\r\n") {
				return fmt.Errorf("forwardMapping[%q] has a destination with a line break", k)
			}
			// Sent to SES as an envelope recipient and shown in every
			// plan, as --to's destinations, which refuse them too.
			if i := strings.IndexFunc(d, headerControl); i >= 0 {
				r, _ := utf8.DecodeRuneInString(d[i:])
				return fmt.Errorf("forwardMapping[%q] has a destination with a control character (U+%04X)", k, r)
			}
			if err := asciiAddress(d); err != nil {
				return fmt.Errorf("forwardMapping[%q]: %w", k, err)
			}
		}
	}
	return nil
}

// CheckDestination reports why addr, given as a destination by hand
// (`sesbox forward --to`), is not one address SES can send to: it must be
// one plain address, name@domain (no display name, angle brackets, list,
// control character or line break: it goes to SES as one envelope
// recipient, counted as one), in ASCII (difference 32's hint for a
// domain).
func CheckDestination(addr string) error {
	a, err := mail.ParseAddress(addr)
	if err != nil || a.Name != "" || strings.ContainsAny(addr, "<>") ||
		strings.ContainsFunc(addr, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fmt.Errorf("%q is not one plain address (name@domain)", addr)
	}
	return asciiAddress(addr)
}

// asciiAddress refuses an address SES cannot send to or from (difference
// 32): a non-ASCII local part (SES has no SMTPUTF8) or a domain not in its
// ASCII form, for which the error gives the punycode form to write.
func asciiAddress(addr string) error {
	at := strings.LastIndexByte(addr, '@')
	local, domain := addr, ""
	if at >= 0 {
		local, domain = addr[:at], addr[at+1:]
	}
	if !isASCII(local) {
		return fmt.Errorf("%q has a non-ASCII local part, which SES can neither send to nor from (it has no SMTPUTF8)", addr)
	}
	if isASCII(domain) {
		return nil
	}
	a, err := idna.Lookup.ToASCII(domain)
	if err != nil {
		return fmt.Errorf("%q has an invalid domain: %v", addr, err)
	}
	return fmt.Errorf("write %q, the ASCII (punycode) form of %q: SES takes no other", local+"@"+a, addr)
}

func isASCII(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return r >= utf8.RuneSelf })
}

// plainAddress checks an address Rewrite writes as the From's one angle
// address: no "<" or ">" anywhere, and a local part without the list,
// group and comment delimiters ",;:()" or a control character, even
// quoted. `"x> <boss@bank.example"@example.com` is one address to RFC 5321
// and to SES's check of the verified domain, but another to a lax reader.
func plainAddress(addr string) error {
	at := strings.LastIndexByte(addr, '@')
	bad := strings.ContainsAny(addr, "<>") || at < 0
	if !bad {
		for _, c := range []byte(addr[:at]) {
			if c < 0x20 || c == 0x7f || strings.IndexByte(",;:()", c) >= 0 {
				bad = true
				break
			}
		}
	}
	if bad {
		return fmt.Errorf("%q is not one plain address to send from", addr)
	}
	return nil
}
