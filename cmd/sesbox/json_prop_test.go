package main

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore/actionlog"
	"github.com/sesbox/sesbox/mailstore/audit"
	"github.com/sesbox/sesbox/mailstore/bounces"
	"github.com/sesbox/sesbox/mailstore/posture"
	"github.com/sesbox/sesbox/mailstore/reforward"
	"github.com/sesbox/sesbox/mailstore/sesaccount"
	"github.com/sesbox/sesbox/mailstore/team"
)

// hostileRunes are what a key, a reason or an address may hold that acts
// on a terminal or on JSON: C0 controls, DEL, C1 controls, the bidi
// controls (marks included), line and paragraph separators, quotes,
// backslashes, HTML characters, CJK, invalid-looking escapes.
var hostileRunes = []rune("\x00\x07\x1b\r\n\t\x7f\u0080\u0085\u009b\u200e\u200f\u061c\u202a\u202e\u2066\u2069\u2028\u2029\"\\<>&/aZ9 .-_@주文\U0001F600")

func hostileString(r *rand.Rand) string {
	var b strings.Builder
	for n := r.IntN(12); n >= 0; n-- {
		b.WriteRune(hostileRunes[r.IntN(len(hostileRunes))])
	}
	return b.String()
}

// fillStrings sets every exported string (and []string) field reachable in
// v, through structs, embedded structs, pointers to structs and slices of
// structs (two elements each), to hostile strings, and every
// map[string]string to two hostile keys and values; other fields keep
// their values.
func fillStrings(r *rand.Rand, v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(hostileString(r))
	case reflect.Map:
		if v.Type().Key().Kind() == reflect.String && v.Type().Elem().Kind() == reflect.String {
			m := reflect.MakeMap(v.Type())
			for range 2 {
				m.SetMapIndex(reflect.ValueOf(hostileString(r)), reflect.ValueOf(hostileString(r)))
			}
			v.Set(m)
		}
	case reflect.Slice:
		if k := v.Type().Elem().Kind(); k == reflect.String || k == reflect.Struct {
			s := reflect.MakeSlice(v.Type(), 2, 2)
			for i := range 2 {
				fillStrings(r, s.Index(i))
			}
			v.Set(s)
		}
	case reflect.Pointer:
		if v.Type().Elem().Kind() == reflect.Struct && v.Type().Elem() != reflect.TypeFor[time.Time]() {
			v.Set(reflect.New(v.Type().Elem()))
			fillStrings(r, v.Elem())
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			return
		}
		for i := range v.NumField() {
			if f := v.Field(i); v.Type().Field(i).IsExported() && f.CanSet() {
				fillStrings(r, f)
			}
		}
	}
}

// jsonRoundTrip writes v as a --json output does (jsonLines) and checks
// that the line holds no character that acts on a terminal as it is, and
// decodes back exactly to v.
func jsonRoundTrip[T any](t *testing.T, name string, v T) {
	t.Helper()
	var buf bytes.Buffer
	if err := jsonLines(&buf).Encode(v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	line := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if bytes.IndexByte(line, '\n') >= 0 {
		t.Fatalf("%s: more than one line: %q", name, line)
	}
	if r, ok := termActive(string(line)); ok {
		t.Fatalf("%s: the output holds %U as it is: %q", name, r, line)
	}
	var back T
	if err := json.Unmarshal(line, &back); err != nil {
		t.Fatalf("%s: %s: %v", name, line, err)
	}
	if !reflect.DeepEqual(back, v) {
		t.Fatalf("%s: changed on the way:\n got %#v\nwant %#v", name, back, v)
	}
}

// generated returns a T with every string field hostile.
func generated[T any](r *rand.Rand) T {
	var v T
	fillStrings(r, reflect.ValueOf(&v).Elem())
	return v
}

// TestJSONOutputsRoundTripProperty: every --json output other than ls's
// (lsjson_prop_test.go) goes through jsonLines: for 500 values of each
// output's record with hostile strings in every field, what is written
// holds no control or bidi character as it is and decodes back exactly,
// every value as the record holds it: the keys scripts pass back, and the
// sender's text too (a recipient, a reason).
func TestJSONOutputsRoundTripProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for range 500 {
		jsonRoundTrip(t, "forward", generated[reforward.Result](r))

		jsonRoundTrip(t, "audit verify", verifyJSONResult{"object", generated[audit.Result](r)})
		vs := generated[verifyJSONSummary](r)
		vs.Summary.Manifest = audit.ManifestCheck{} // written as the outer Manifest
		if r.IntN(2) == 0 {
			vs.AsOf = time.Unix(r.Int64N(1<<35), r.Int64N(1e9)).UTC() // verify --as-of
		}
		jsonRoundTrip(t, "audit verify summary", vs)
		jsonRoundTrip(t, "audit verify-export", exportJSONFile{"file", generated[audit.ExportFile](r)})
		es := generated[exportJSONSummary](r)
		es.ExportCheck.Manifest = audit.ManifestCheck{} // written as the outer Manifest
		jsonRoundTrip(t, "audit verify-export summary", es)
		jsonRoundTrip(t, "audit posture", generated[posture.Finding](r))
		jsonRoundTrip(t, "audit log", generated[actionlog.Action](r))
		jsonRoundTrip(t, "audit log (team)", generated[actionlog.MergedAction](r))
		jsonRoundTrip(t, "audit log --verify", generated[logVerifyRecord](r))
		jsonRoundTrip(t, "account", generated[sesaccount.Account](r))
		jsonRoundTrip(t, "team status", generated[team.Status](r))
		jsonRoundTrip(t, "team resolve", generated[team.Doubt](r))
		jsonRoundTrip(t, "drafts", generated[draftJSON](r))

		l := generated[bounces.Link](r)
		var rec struct {
			Record string `json:"record"`
			bounces.Link
		}
		b, _ := json.Marshal(reportRecord(l))
		if err := json.Unmarshal(b, &rec); err != nil || !reflect.DeepEqual(rec.Link, l) {
			t.Fatalf("audit log report: %#v, want exactly %#v (%v)", rec.Link, l, err)
		}
		jsonRoundTrip(t, "audit log report", rec)
	}
}

// TestEveryJSONOutputIsTerminalSafe: the property above holds only for
// output written through jsonLines; an encoder made anywhere else (as
// account, audit, forward and team status each made one on stdout) writes
// DEL, C1 and bidi controls as they are.
func TestEveryJSONOutputIsTerminalSafe(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, "json.NewEncoder(") && !strings.Contains(line, "json.NewEncoder(terminalSafe{") {
				t.Errorf("%s:%d: a JSON encoder not through jsonLines: %s", f, i+1, strings.TrimSpace(line))
			}
			if strings.Contains(line, "json.Marshal") {
				t.Errorf("%s:%d: JSON written without jsonLines: %s", f, i+1, strings.TrimSpace(line))
			}
		}
	}
}
