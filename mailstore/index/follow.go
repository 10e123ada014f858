package index

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/sesbox/sesbox/mailstore/xdg"
)

// follow keeps the index where it is read from: a file deleted while
// sesbox runs (rm ~/.cache/sesbox/index-*.db with the TUI open) took every
// read mark made afterwards with it, written to a file no one would open
// again. When the file is gone, it is written again from the database
// still open (restore); when another file took its place, the user is
// told once, as this process cannot take that one over safely (its
// journal is the other's). Either is said through the notify function.
func (x *Index) follow(ctx context.Context) {
	x.mu.RLock()
	file, said := x.file, x.replacedSaid
	x.mu.RUnlock()
	if file == nil || said {
		return
	}
	now, err := os.Lstat(x.path)
	if err == nil && os.SameFile(now, file) {
		return
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return // unreadable for a moment: the next use looks again
	}
	// The lock Open holds, so no sesbox creates the file meanwhile.
	l, lerr := xdg.Lock(x.path)
	if lerr == nil {
		if l.Lock() == nil {
			defer l.Unlock()
		}
	}
	x.mu.Lock()
	if x.file != file || x.replacedSaid {
		x.mu.Unlock()
		return // another call did it
	}
	var msg string
	if _, err := os.Lstat(x.path); err == nil {
		x.replacedSaid = true
		msg = fmt.Sprintf("quit and start sesbox again: the index %s was replaced while it ran, and the read marks it keeps now are lost when it ends", x.path)
	} else {
		msg = x.restore(ctx)
	}
	x.notice = msg
	notify := x.notify
	x.mu.Unlock()
	if notify != nil {
		notify(msg)
	}
}

// restore writes the index again at its path from the open database (the
// deleted file's, which this process still holds) and opens that; x.mu
// is held. It returns what to tell the user.
func (x *Index) restore(ctx context.Context) string {
	tmp := x.path + ".restore"
	f, err := xdg.OpenPrivate(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC)
	if err == nil {
		f.Close()
		_, err = x.db.ExecContext(ctx, `VACUUM INTO ?`, tmp)
	}
	if err != nil {
		os.Remove(tmp)
		x.file = nil // not again: each use would copy the whole index
		return fmt.Sprintf("quit and start sesbox again: the index %s was deleted while it ran and could not be written again (%v); the read marks it keeps now are lost when it ends", x.path, err)
	}
	// Closed, and its journal removed, before the new file opens: SQLite
	// leaves the WAL of a deleted database (path-wal, by name), which
	// the new file read as its own ("database disk image is malformed",
	// with 300 rows). It is the deleted database's: the copy has its
	// content, and the Open lock keeps any other sesbox from making a
	// new one meanwhile.
	x.db.Close()
	dropJournals(x.path)
	err = os.Link(tmp, x.path)
	os.Remove(tmp)
	var fresh *Index
	if err == nil {
		fresh, err = openFile(x.path)
	}
	if err != nil {
		fresh, _ = OpenMemory()
		x.db, x.gen, x.file = fresh.db, x.gen+1, nil
		return fmt.Sprintf("the index %s was deleted while sesbox ran and could not be written again (%v); working without a saved index", x.path, err)
	}
	x.db, x.gen, x.file = fresh.db, x.gen+1, fresh.file
	return fmt.Sprintf("the index %s was deleted while sesbox ran; wrote it again from the copy still open, read marks kept", x.path)
}
