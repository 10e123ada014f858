package audit_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sesbox/sesbox/mailstore/audit"
)

// TestExportNeverReplacesAFileThatAppeared: without Force, an mbox file or
// manifest created while the export runs (another export, the user's own
// file) is never replaced: the export fails with ErrExists and the file
// keeps its bytes. The check came only at the start, and the rename at the
// end replaced whatever had appeared.
func TestExportNeverReplacesAFileThatAppeared(t *testing.T) {
	for _, which := range []string{"mbox", "manifest"} {
		t.Run(which, func(t *testing.T) {
			st, _, _, _ := bucket(t)
			file := filepath.Join(t.TempDir(), "out.mbox")
			target := file
			if which == "manifest" {
				target = audit.ManifestPath(file)
			}
			created := false
			_, err := audit.ExportMbox(context.Background(), st, file, audit.ExportOptions{Progress: func(audit.Progress) {
				if !created {
					created = true
					os.WriteFile(target, []byte("mine\n"), 0o600)
				}
			}})
			if !created {
				t.Fatal("no progress was reported")
			}
			if !errors.Is(err, audit.ErrExists) {
				t.Errorf("export: %v, want ErrExists", err)
			}
			if b, _ := os.ReadFile(target); string(b) != "mine\n" {
				t.Errorf("%s replaced: %.100q", which, b)
			}
		})
	}
}
