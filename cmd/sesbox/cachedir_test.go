package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/demo"
	"github.com/sesbox/sesbox/mailstore/mime"
)

// TestShowSaveWithUnusableCacheDir: `show` and `save` of a known key, and
// `ls`, work when the cache directory cannot hold the index (a file where
// the directory should be, a symlink to elsewhere, a garbage index
// file): a warning on stderr, the
// message read from S3, nothing written through the symlink.
func TestShowSaveWithUnusableCacheDir(t *testing.T) {
	var key, withAtt string
	for _, k := range sortedKeys(demo.Messages()) {
		v := mime.Parse(demo.Messages()[k])
		if key == "" && v.Summary.Subject != "" {
			key = k
		}
		if withAtt == "" && len(v.Attachments()) > 0 {
			withAtt = k
		}
	}
	for name, spoil := range map[string]func(t *testing.T, cache string){
		"file instead of dir": func(t *testing.T, cache string) {
			os.MkdirAll(filepath.Dir(cache), 0o700)
			os.WriteFile(cache, []byte("not a dir"), 0o600)
		},
		"symlink": func(t *testing.T, cache string) {
			os.MkdirAll(filepath.Dir(cache), 0o700)
			elsewhere := filepath.Join(t.TempDir(), "elsewhere")
			os.MkdirAll(elsewhere, 0o700)
			if err := os.Symlink(elsewhere, cache); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if ents, _ := os.ReadDir(elsewhere); len(ents) != 0 {
					t.Errorf("sesbox wrote through the symlink: %v", ents)
				}
			})
		},
		"garbage index": nil, // written over the index the first ls made
	} {
		t.Run(name, func(t *testing.T) {
			dir := isolate(t)
			cache := filepath.Join(dir, "cache", "sesbox")
			flags, _, msgs := demoBucket(t)
			if spoil != nil {
				spoil(t, cache)
			} else {
				lsJSON(t, flags...)
				dbs, _ := filepath.Glob(filepath.Join(cache, "*.db"))
				for _, db := range dbs {
					os.WriteFile(db, []byte(strings.Repeat("garbage", 1000)), 0o600)
				}
				if len(dbs) == 0 {
					t.Fatal("no index file to spoil")
				}
			}
			id := mailstore.SESMessageID(key)
			out, errOut, code := sesbox(t, append(flags, "show", id)...)
			want := mime.Parse(msgs[key]).Summary.Subject
			if code != 0 || !strings.Contains(out, want) {
				t.Fatalf("show %s: exit %d, want the subject %q:\n%s\n%s", id, code, want, out, errOut)
			}
			if !strings.Contains(errOut, "warning") {
				t.Errorf("show: no warning on stderr: %q", errOut)
			}
			saveDir := filepath.Join(t.TempDir(), "att")
			out, errOut, code = sesbox(t, append(flags, "save", withAtt, "--dir", saveDir)...)
			files, _ := os.ReadDir(saveDir)
			if code != 0 || len(files) == 0 {
				t.Fatalf("save: exit %d, %d files: %s %s", code, len(files), out, errOut)
			}
			if rows := lsJSON(t, flags...); len(rows) != len(msgs) {
				t.Errorf("ls --json: %d rows for %d messages", len(rows), len(msgs))
			}
		})
	}
}
