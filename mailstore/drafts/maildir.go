package drafts

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sesbox/sesbox/mailstore/xdg"
)

// Maildir is a local Maildir (tmp, new, cur) that sent messages are
// delivered to, readable by any Maildir mail client.
type Maildir struct {
	dir string
}

// DefaultSentDir is $XDG_DATA_HOME/sesbox/sent (~/.local/share/sesbox/sent).
func DefaultSentDir() (string, error) {
	return xdg.Data("sent")
}

// OpenMaildir opens the Maildir at dir, creating it and its tmp, new and
// cur directories (mode 0700) as needed, never through a symlink.
func OpenMaildir(dir string) (*Maildir, error) {
	for _, sub := range []string{"tmp", "new", "cur"} {
		if err := xdg.MkdirPrivate(filepath.Join(dir, sub)); err != nil {
			return nil, fmt.Errorf("open Maildir %s: %w", dir, err)
		}
	}
	return &Maildir{dir: dir}, nil
}

// Dir is the Maildir's directory.
func (m *Maildir) Dir() string { return m.dir }

var deliveries atomic.Int64

// Deliver stores raw as a new message the way the Maildir spec says: a
// unique name (time, microseconds, process id, a per-process counter, the
// host), written and fsynced in tmp, then linked into new (which fails
// rather than replace a message) and removed from tmp. The file is 0600.
// It returns the path in new.
func (m *Maildir) Deliver(raw []byte, now time.Time) (string, error) {
	name := uniqueName(now)
	tmp := filepath.Join(m.dir, "tmp", name)
	dst := filepath.Join(m.dir, "new", name)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("deliver to %s: %w", m.dir, err)
	}
	_, werr := f.Write(raw)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("deliver to %s: %w", m.dir, werr)
	}
	if err := os.Link(tmp, dst); err != nil {
		if errors.Is(err, fs.ErrExist) {
			os.Remove(tmp)
			return "", fmt.Errorf("deliver to %s: %s already exists", m.dir, name)
		}
		// Some file systems have no hard links; rename is atomic too.
		if err := os.Rename(tmp, dst); err != nil {
			os.Remove(tmp)
			return "", fmt.Errorf("deliver to %s: %w", m.dir, err)
		}
		return dst, nil
	}
	os.Remove(tmp)
	return dst, nil
}

// uniqueName is "sec.MusecPpidQn.host", with "/" and ":" in the host
// escaped as the spec asks.
func uniqueName(now time.Time) string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	host = strings.NewReplacer("/", `\057`, ":", `\072`).Replace(host)
	return fmt.Sprintf("%d.M%dP%dQ%d.%s", now.Unix(), now.Nanosecond()/1000, os.Getpid(), deliveries.Add(1), host)
}
