package main

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore/audit"
	"github.com/sesbox/sesbox/mailstore/posture"
)

// jsonFields is every JSON field name v's type writes: embedded structs'
// fields, and nested structs' and slices' of structs, included.
func jsonFields(t reflect.Type) []string {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t.PkgPath() == "time" {
		return nil
	}
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && tag == "" {
			names = append(names, jsonFields(f.Type)...)
			continue
		}
		if tag == "-" || !f.IsExported() {
			continue
		}
		if tag == "" {
			tag = f.Name
		}
		names = append(names, tag)
		names = append(names, jsonFields(f.Type)...)
	}
	return names
}

// TestAuditJSONFieldsAreDocumented: every field `audit verify --json` and
// `audit posture --json` write is named in docs/audit.md, so an auditor's
// script has a documented contract and a renamed field fails here: the
// docs named only the manifest's fields, not one of the 30 that verify and
// posture print (manifestSha256, recoverable, versions, severity, fix, ...).
// The manifest's own three records (header, entry, trailer) are checked
// too: format, prefix, region, endpoint, sesboxVersion, export, count,
// bytes and resumed were named only inside a JSON sample, or not at all.
func TestAuditJSONFieldsAreDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/audit.md")
	if err != nil {
		t.Fatal(err)
	}
	for what, v := range map[string]any{
		"audit verify --json object":         verifyJSONResult{},
		"audit verify --json summary":        verifyJSONSummary{},
		"audit verify version":               audit.Version{},
		"audit posture --json":               posture.Finding{},
		"manifest header":                    audit.Header{},
		"manifest entry":                     audit.Entry{},
		"manifest trailer":                   audit.Trailer{},
		"audit verify-export --json file":    exportJSONFile{},
		"audit verify-export --json summary": exportJSONSummary{},
	} {
		fields := jsonFields(reflect.TypeOf(v))
		if len(fields) < 4 {
			t.Fatalf("%s: only %v found", what, fields)
		}
		for _, f := range fields {
			if !strings.Contains(string(doc), "`"+f+"`") {
				t.Errorf("%s: field %q is not in docs/audit.md", what, f)
			}
		}
	}
}
