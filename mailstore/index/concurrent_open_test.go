package index

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
)

// Two sesbox processes (an index run and the TUI, two index runs) may open
// an index that does not exist yet, or one of an old schema, at the same
// moment. Both found it empty and both created it; the second failed
// ("SQL logic error: table messages already exists") and worked without a
// saved index, reading every header again (TestTwoIndexRunsReadEachHeaderOnce
// failed so in CI). Each opener here has a connection of its own, as a
// process does; every one must open the index at the current schema.
func TestOpenersAtTheSameMomentAllGetTheIndex(t *testing.T) {
	for _, tc := range []struct {
		name      string
		downgrade string // "" : a new file
		version   int
	}{{"new", "", 0}, {"schema 7", dropV8, 7}} {
		t.Run(tc.name, func(t *testing.T) {
			for trial := range 10 {
				path := filepath.Join(t.TempDir(), "i.db")
				if tc.downgrade != "" {
					x, err := Open(path)
					if err != nil {
						t.Fatal(err)
					}
					x.Close()
					db, err := sql.Open("sqlite", "file:"+path)
					if err != nil {
						t.Fatal(err)
					}
					if _, err := db.Exec(tc.downgrade + fmt.Sprintf(`PRAGMA user_version=%d`, tc.version)); err != nil {
						t.Fatal(err)
					}
					db.Close()
				}
				const openers = 4
				var wg sync.WaitGroup
				start := make(chan struct{})
				errs := make([]error, openers)
				for i := range openers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						x, err := Open(path)
						if err == nil {
							var v int
							err = x.db.QueryRow(`PRAGMA user_version`).Scan(&v)
							if err == nil && v != schemaVersion {
								err = fmt.Errorf("user_version %d", v)
							}
							x.Close()
						}
						errs[i] = err
					}()
				}
				close(start)
				wg.Wait()
				for i, err := range errs {
					if err != nil {
						t.Fatalf("trial %d, opener %d: %v", trial, i, err)
					}
				}
			}
		})
	}
}
