package forward

import (
	"errors"
	"slices"
	"testing"
)

const (
	jim  = "jim@example.com"
	jane = "jane@example.com"
)

// TestMap runs the upstream mapping cases R1-R9 and the observed X15/X16.
func TestMap(t *testing.T) {
	type m = map[string][]string
	cases := []struct {
		name     string
		rcpts    []string
		mapping  m
		plus     bool
		want     []string // nil: no match, ErrNoRecipients
		wantOrig string
	}{
		{"R1 exact", []string{"info@example.com"}, m{"info@example.com": {jim, jane}}, false, []string{jim, jane}, "info@example.com"},
		{"R2 lower-cased before lookup", []string{"INFO@EXAMPLE.COM"}, m{"info@example.com": {jim, jane}}, false, []string{jim, jane}, "INFO@EXAMPLE.COM"},
		{"R3 domain key", []string{"info@EXAMPLE.com"}, m{"@example.com": {jim, jane}}, false, []string{jim, jane}, "info@EXAMPLE.com"},
		{"R4 mailbox on any domain", []string{"info@foo.com"}, m{"info": {jim, jane}}, false, []string{jim, jane}, "info@foo.com"},
		{"R5 no match", []string{"noreply@example.com"}, m{"info@example.com": {jim}}, false, nil, ""},
		{"R6 no @", []string{"info"}, m{"info": {jim}}, false, []string{jim}, "info"},
		{"R7 no @ is all mailbox", []string{"example.com"}, m{"@example.com": {jim}}, false, nil, ""},
		{"R8 plus sign", []string{"info+testing@foo.com"}, m{"info@foo.com": {jim}}, true, []string{jim}, "info+testing@foo.com"},
		{"R9 catch-all", []string{"info@example.com"}, m{"no-match@example.com": {jim}, "@": {"catch-all@example.com"}}, false, []string{"catch-all@example.com"}, "info@example.com"},
		{"X15 several recipients", []string{"a@example.com", "Info+a+b@Example.COM", "nobody@other.com", "b@example.com"},
			m{"a@example.com": {jim, jane}, "info@example.com": {jim}, "b@example.com": {jane}}, true,
			[]string{jim, jane, jim, jane}, "b@example.com"},
		{"X15 last match is the original", []string{"a@example.com", "Info+a+b@Example.COM", "nobody@other.com"},
			m{"a@example.com": {jim}, "info@example.com": {jim}}, true,
			[]string{jim, jim}, "Info+a+b@Example.COM"},
		{"X16 plus sign off falls to domain", []string{"info+tag@example.com"}, m{"info@example.com": {jim}, "@example.com": {jane}}, false, []string{jane}, "info+tag@example.com"},
		{"X16 plus sign off, no domain key", []string{"info+tag@example.com"}, m{"info@example.com": {jim}}, false, nil, ""},
		{"X16 keys never lower-cased", []string{"info@example.com"}, m{"INFO@example.com": {jim}, "Info": {jim}}, false, nil, ""},
		{"exact before domain before mailbox before catch-all", []string{"info@example.com"},
			m{"info@example.com": {"1"}, "@example.com": {"2"}, "info": {"3"}, "@": {"4"}}, false, []string{"1"}, "info@example.com"},
		{"domain before mailbox", []string{"info@example.com"}, m{"@example.com": {"2"}, "info": {"3"}, "@": {"4"}}, false, []string{"2"}, "info@example.com"},
		{"mailbox before catch-all", []string{"info@example.com"}, m{"info": {"3"}, "@": {"4"}}, false, []string{"3"}, "info@example.com"},
		{"mailbox is before the last @", []string{`"a@b"@example.com`}, m{`"a@b"`: {jim}}, false, []string{jim}, `"a@b"@example.com`},
		{"empty list stops the search", []string{"info@example.com"}, m{"info@example.com": {}, "@": {jim}}, false, nil, "info@example.com"},
		{"plus sign: first + to next @", []string{"a+b+c@x.com"}, m{"a@x.com": {jim}}, true, []string{jim}, "a+b+c@x.com"},
		{"plus sign after @ is kept", []string{"a@x+y.com"}, m{"a@x+y.com": {jim}}, true, []string{jim}, "a@x+y.com"},
		{"JS lower-casing", []string{"ΟΔΥΣΣΕΥΣ@EXAMPLE.COM"}, m{"οδυσσευς@example.com": {jim}}, false, []string{jim}, "ΟΔΥΣΣΕΥΣ@EXAMPLE.COM"},
		{"no recipients", nil, m{"@": {jim}}, false, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := Config{ForwardMapping: c.mapping, AllowPlusSign: c.plus}
			got, gotOrig, err := Map(cfg, c.rcpts)
			if c.want == nil {
				if !errors.Is(err, ErrNoRecipients) {
					t.Fatalf("err = %v, want ErrNoRecipients", err)
				}
				if got != nil {
					t.Errorf("dests = %q, want none", got)
				}
				if gotOrig != c.wantOrig {
					t.Errorf("original = %q, want %q", gotOrig, c.wantOrig)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, c.want) || gotOrig != c.wantOrig {
				t.Errorf("got %q, %q; want %q, %q", got, gotOrig, c.want, c.wantOrig)
			}
		})
	}
}

// TestMapDeterministic: JSON objects have no order and Go maps iterate at
// random, but the result depends only on explicit lookups.
func TestMapDeterministic(t *testing.T) {
	cfg, err := ParseConfig([]byte(`{"forwardMapping": {
		"@": ["c"], "info": ["m"], "@example.com": ["d"], "info@example.com": ["e"],
		"x@y.com": ["1"], "z@y.com": ["2"], "@y.com": ["3"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	rcpts := []string{"info@example.com", "other@example.com", "info@z.com", "q@q.com", "x@y.com", "w@y.com"}
	want := []string{"e", "d", "m", "c", "1", "3"}
	for range 50 {
		got, o, err := Map(cfg, rcpts)
		if err != nil || !slices.Equal(got, want) || o != "w@y.com" {
			t.Fatalf("got %q, %q, %v; want %q", got, o, err, want)
		}
	}
}

// TestJSLower checks the two places where JavaScript's toLowerCase differs
// from strings.ToLower (values taken from Node 20).
func TestJSLower(t *testing.T) {
	cases := map[string]string{
		"INFO@X.COM": "info@x.com",
		"İNFO@X":     "i\u0307nfo@x",
		"ΑΣ@X":       "ας@x",
		"ΑΣ.COM":     "ασ.com",
		"ΑΣ":         "ας",
		"Σ":          "σ",
		"AΣ:B":       "aσ:b",
		"ΑΣ\u0301@":  "ας\u0301@",
		"ΑΣ·Β":       "ασ·β",
	}
	for in, want := range cases {
		if got := jsLower(in); got != want {
			t.Errorf("jsLower(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDropPlusTag(t *testing.T) {
	cases := map[string]string{
		"a+b@x":     "a@x",
		"a+b+c@x":   "a@x",
		"a+b@c+d@e": "a@c+d@e",
		"a@b+c":     "a@b+c",
		"+@x":       "@x",
		"a+\nb+c@x": "a+\nb@x", // JavaScript's "." stops at a line break
		"plain":     "plain",
	}
	for in, want := range cases {
		if got := dropPlusTag(in); got != want {
			t.Errorf("dropPlusTag(%q) = %q, want %q", in, got, want)
		}
	}
}
