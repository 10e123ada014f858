package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExportMaildirCollidingNames: keys whose file names would be the same
// (a ":" dropped, the same last segment under another folder) each get
// their own file, byte for byte, named in the manifest; a second export
// of the same keys gives the same names, and so does an export of each
// key alone (before, "p/a:b" alone took the plain name "p/ab" has among
// all three).
func TestExportMaildirCollidingNames(t *testing.T) {
	b := memBucket{objs: map[string][]byte{
		"p/ab":     []byte("Subject: one\n\n1\n"),
		"p/a:b":    []byte("Subject: two\n\n2\n"),
		"p/sub/ab": []byte("Subject: three\n\n3\n"),
	}, pageSize: 10}
	export := func(keys ...string) map[string]string {
		dir := filepath.Join(t.TempDir(), "Mail")
		tr, err := ExportMaildir(context.Background(), b, dir, ExportOptions{Keys: keys})
		if err != nil {
			t.Fatal(err)
		}
		want := len(keys)
		if keys == nil {
			want = 3
		}
		if tr.Count != int64(want) {
			t.Fatalf("exported %d of %d", tr.Count, want)
		}
		files, _ := filepath.Glob(filepath.Join(dir, "new", "*"))
		if len(files) != want {
			t.Fatalf("%d files in new/: %q", len(files), files)
		}
		data, err := os.ReadFile(ManifestPath(dir))
		if err != nil {
			t.Fatal(err)
		}
		fileOf := map[string]string{}
		for _, l := range strings.SplitAfter(string(data), "\n") {
			var e Entry
			if json.Unmarshal([]byte(l), &e) != nil || e.Key == "" {
				continue
			}
			got, err := os.ReadFile(filepath.Join(dir, e.File))
			if err != nil || !bytes.Equal(got, b.objs[e.Key]) {
				t.Errorf("%s (%s) is not the stored object: %q %v", e.File, e.Key, got, err)
			}
			fileOf[e.Key] = e.File
		}
		return fileOf
	}
	first, second := export(), export()
	if len(first) != 3 {
		t.Fatalf("manifest names %d files", len(first))
	}
	for k, f := range first {
		if second[k] != f {
			t.Errorf("%s: %s, then %s", k, f, second[k])
		}
		if !strings.HasSuffix(f, ".sesbox") {
			t.Errorf("%s: %s", k, f)
		}
		if alone := export(k); alone[k] != f {
			t.Errorf("%s: %s among all, %s alone", k, f, alone[k])
		}
	}
}
