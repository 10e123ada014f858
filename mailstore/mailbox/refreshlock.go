package mailbox

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gofrs/flock"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/xdg"
)

// refreshLockPoll is how often a refresh that waits for another one tries
// the lock again.
var refreshLockPoll = 100 * time.Millisecond

// lockRefresh takes the advisory lock that lets one sesbox process at a
// time refresh the mailbox at loc into the index at indexPath (a 0600
// sidecar next to it, one per bucket and prefix, never through a
// symlink): two cold refreshes at once each read every header block
// (three `index` runs of 4,000 objects: 37 s each, one alone 15 s). When
// another process holds it, waiting is called once with that process's
// id (0 when it is not known yet), and lockRefresh waits until it ends or
// ctx is done; the refresh after it has only what changed to read. The
// kernel drops the lock of a process that died, so a stale lock file
// never blocks. An index in memory (indexPath "") or a system without
// flock has no lock: release is then a no-op.
func lockRefresh(ctx context.Context, indexPath string, loc mailstore.Location, waiting func(pid int)) (release func(), err error) {
	none := func() {}
	if indexPath == "" {
		return none, nil
	}
	h := fnv.New64a()
	io.WriteString(h, loc.Bucket+"\x00"+loc.Prefix)
	path := fmt.Sprintf("%s.refresh-%x", indexPath, h.Sum64())
	l, err := xdg.Lock(path)
	if err != nil {
		return nil, fmt.Errorf("lock the index of %s: %w", loc, err)
	}
	ok, err := l.TryLock()
	if errors.Is(err, errors.ErrUnsupported) {
		return none, nil
	}
	if err == nil && !ok {
		if waiting != nil {
			waiting(lockHolder(l))
		}
		ok, err = l.TryLockContext(ctx, refreshLockPoll)
		if ctx.Err() != nil {
			l.Close()
			return nil, ctx.Err()
		}
	}
	if err != nil || !ok {
		l.Close()
		return nil, fmt.Errorf("lock the index of %s: %w", loc, err)
	}
	// The holder's pid, for whoever waits; through the checked path, and
	// best effort: the lock works without it.
	if f, err := xdg.OpenPrivate(l.Path(), os.O_WRONLY|os.O_TRUNC); err == nil {
		f.WriteString(strconv.Itoa(os.Getpid()) + "\n")
		f.Close()
	}
	return func() { l.Unlock() }, nil
}

// lockHolder reads the pid the holder of l wrote into its file (0 if
// none yet).
func lockHolder(l *flock.Flock) int {
	f, err := xdg.OpenPrivate(l.Path(), os.O_RDONLY)
	if err != nil {
		return 0
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, 32))
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return max(pid, 0)
}
