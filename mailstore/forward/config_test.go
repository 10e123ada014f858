package forward

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	full := `{
		"fromEmail": "noreply@example.com",
		"subjectPrefix": "[fwd] ",
		"emailBucket": "bucket",
		"emailKeyPrefix": "prefix/",
		"allowPlusSign": true,
		"toEmail": "to@example.com",
		"sesboxQuoteFromName": true,
		"somethingAForkAdded": {"x": 1},
		"forwardMapping": {
			"info@example.com": ["jim@example.com", "jane@example.com"],
			"@example.com": "one@example.com",
			"abuse": []
		}
	}`
	want := Config{
		FromEmail:      "noreply@example.com",
		SubjectPrefix:  "[fwd] ",
		EmailBucket:    "bucket",
		EmailKeyPrefix: "prefix/",
		AllowPlusSign:  true,
		ToEmail:        "to@example.com",
		QuoteFromName:  true,
		ForwardMapping: map[string][]string{
			"info@example.com": {"jim@example.com", "jane@example.com"},
			"@example.com":     {"one@example.com"},
			"abuse":            {},
		},
	}
	got, err := ParseConfig([]byte(full))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}

	wrapped, err := ParseConfig([]byte(`{"config": ` + full + `}`))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(wrapped, want) {
		t.Errorf("wrapped: got %+v", wrapped)
	}

	minimal, err := ParseConfig([]byte(`{"forwardMapping": {"@": ["a@x.com"]}, "fromEmail": null}`))
	if err != nil {
		t.Fatal(err)
	}
	if minimal.FromEmail != "" || minimal.AllowPlusSign || len(minimal.ForwardMapping) != 1 {
		t.Errorf("minimal: got %+v", minimal)
	}
	if got := want.ObjectKey("o3vrnil0e2ic28trm7dakrc2v0clambda4nbp0g1"); got != "prefix/o3vrnil0e2ic28trm7dakrc2v0clambda4nbp0g1" {
		t.Errorf("ObjectKey = %q", got)
	}
}

func TestParseConfigErrors(t *testing.T) {
	cases := map[string]string{
		"not JSON":            `{"forwardMapping": `,
		"not an object":       `["x"]`,
		"null":                `null`,
		"no mapping":          `{"fromEmail": "a@x.com"}`,
		"mapping not object":  `{"forwardMapping": ["a"]}`,
		"mapping value null":  `{"forwardMapping": {"a": null}}`,
		"mapping value num":   `{"forwardMapping": {"a": [1]}}`,
		"wrong case key":      `{"forwardMapping": {"@": ["a"]}, "FromEmail": "n@x.com"}`,
		"wrong case mapping":  `{"forwardmapping": {"@": ["a"]}}`,
		"string as bool":      `{"forwardMapping": {"@": ["a"]}, "allowPlusSign": "yes"}`,
		"number as string":    `{"forwardMapping": {"@": ["a"]}, "fromEmail": 1}`,
		"wrapper and keys":    `{"config": {"forwardMapping": {"@": ["a"]}}, "fromEmail": "n@x.com"}`,
		"wrapper not object":  `{"config": "x"}`,
		"CRLF in fromEmail":   `{"forwardMapping": {"@": ["a"]}, "fromEmail": "n@x.com\r\nBcc: e@x.com"}`,
		"LF in toEmail":       `{"forwardMapping": {"@": ["a"]}, "toEmail": "t@x.com\nBcc: e@x.com"}`,
		"CR in subjectPrefix": `{"forwardMapping": {"@": ["a"]}, "subjectPrefix": "[x]\r"}`,
		"LF in destination":   `{"forwardMapping": {"@": ["a@x.com\nb"]}}`,
		// Control characters other than line breaks were written into
		// the Subject as they were ("Subject: <ESC>]0;x<BEL>[P] ...").
		"ESC in subjectPrefix": `{"forwardMapping": {"@": ["a"]}, "subjectPrefix": "\u001b]0;x\u0007[P] "}`,
		"NUL in subjectPrefix": `{"forwardMapping": {"@": ["a"]}, "subjectPrefix": "[P]\u0000 "}`,
		"C1 in subjectPrefix":  `{"forwardMapping": {"@": ["a"]}, "subjectPrefix": "\u0085[P] "}`,
		"DEL in subjectPrefix": `{"forwardMapping": {"@": ["a"]}, "subjectPrefix": "[P]\u007f"}`,
		"ESC in toEmail":       `{"forwardMapping": {"@": ["a"]}, "toEmail": "t@x.com\u001b[2J"}`,
		"ESC in destination":   `{"forwardMapping": {"@": ["ops\u001b]0;x\u0007@x.com"]}}`,
		"NUL in destination":   `{"forwardMapping": {"@": ["x\u0000y@x.com"]}}`,
	}
	for name, in := range cases {
		if cfg, err := ParseConfig([]byte(in)); err == nil {
			t.Errorf("%s: no error, got %+v", name, cfg)
		}
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "forwarder.json")
	if err := os.WriteFile(path, []byte(`{"forwardMapping": {"info@example.com": ["jim@example.com"]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	dests, o, err := Map(cfg, []string{"info@example.com"})
	if err != nil || len(dests) != 1 || dests[0] != "jim@example.com" || o != "info@example.com" {
		t.Errorf("Map = %q, %q, %v", dests, o, err)
	}
	if _, err := LoadConfig(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("missing file: no error")
	}
	if err := os.WriteFile(path, []byte(`{}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("bad file: err = %v, want one naming the file", err)
	}
}

// TestConfigRefusesNonASCIIAddresses: SES sends neither to nor from an
// address with a non-ASCII local part (it has no SMTPUTF8) or a domain not
// in its ASCII (punycode) form; the Lambda hands them to SES, which refuses
// every message. The config is refused, saying what to write instead.
func TestConfigRefusesNonASCIIAddresses(t *testing.T) {
	for in, want := range map[string]string{
		`{"forwardMapping": {"@": ["ops@bücher.example"]}}`:                           `write "ops@xn--bcher-kva.example"`,
		`{"forwardMapping": {"@": ["ops@x.com"]}, "fromEmail": "fwd@bücher.example"}`: `write "fwd@xn--bcher-kva.example"`,
		`{"forwardMapping": {"@": ["jörg@x.example"]}}`:                               "non-ASCII local part",
		`{"forwardMapping": {"@": ["ops@x.com"]}, "fromEmail": "jörg@x.example"}`:     "non-ASCII local part",
		`{"forwardMapping": {"@": ["ops@x.com"]}, "toEmail": "ops@bücher.example"}`:   `write "ops@xn--bcher-kva.example"`,
		`{"forwardMapping": {"@": ["ops@x.com"]}, "toEmail": "jörg@x.example"}`:       "non-ASCII local part",
		`{"forwardMapping": {"@": ["ops@x.com"]}, "toEmail": "Jörg <j@x.example>"}`:   "RFC 2047 encoded word",
	} {
		_, err := ParseConfig([]byte(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error saying %s", in, err, want)
		}
	}
	if _, err := ParseConfig([]byte(`{"forwardMapping": {"@": ["ops@xn--bcher-kva.example"]}, "toEmail": "=?utf-8?q?J=C3=B6rg?= <j@x.example>"}`)); err != nil {
		t.Errorf("punycode refused: %v", err)
	}
}

// TestCheckDestination: what `sesbox forward --to` accepts as one SES
// destination. --to took anything: "b@x.example, c@y.example" (one
// "recipient" to SES), "nobody", a name and angle brackets, a line break,
// or a non-ASCII address SES cannot take.
func TestCheckDestination(t *testing.T) {
	for _, ok := range []string{"b@x.example", "first.last+tag@sub.x.example", `"a b"@x.example`, "C@X.EXAMPLE"} {
		if err := CheckDestination(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, c := range []struct{ addr, want string }{
		{"b@x.example, c@y.example", "not one plain address"},
		{"nobody", "not one plain address"},
		{"", "not one plain address"},
		{"Bob <b@x.example>", "not one plain address"},
		{"<b@x.example>", "not one plain address"},
		{"a@x.example\r\nBcc: e@evil.example", "not one plain address"},
		{"a@x.example\x00", "not one plain address"},
		{"b@b\u00fccher.example", `write "b@xn--bcher-kva.example"`},
		{"j\u00f6rg@x.example", "non-ASCII local part"},
	} {
		if err := CheckDestination(c.addr); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want an error saying %q", c.addr, err, c.want)
		}
	}
}
