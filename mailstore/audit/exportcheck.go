package audit

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sesbox/sesbox/mailstore"
)

// The statuses of a message of an export, as CheckExport finds it.
const (
	FileIntact  = "intact"  // the bytes hash as the manifest says
	FileChanged = "changed" // they do not
	FileMissing = "missing" // the manifest names it, the export lacks it
	FileExtra   = "extra"   // in the export, not in the manifest
)

// ExportFile is what CheckExport found for one message of an export.
type ExportFile struct {
	Key    string `json:"key,omitempty"` // from the manifest; empty for an extra message
	Status string `json:"status"`
	// File is where the message is: a Maildir file relative to the
	// export's directory, or "message N" of an mbox (from 1).
	File           string `json:"file"`
	SHA256         string `json:"sha256,omitempty"` // of the message as exported
	ManifestSHA256 string `json:"manifestSha256,omitempty"`
	Note           string `json:"note,omitempty"`

	size int64 // the manifest's, for progress
	// edited names the manifest line that disagrees with the message
	// found (editedExportLine), when the manifest's entries fail their
	// hash.
	edited string
}

// ExportCheck totals CheckExport.
type ExportCheck struct {
	Manifest ManifestCheck `json:"-"`
	Kind     string        `json:"kind"` // "mbox" or "maildir"
	Intact   int64         `json:"intact"`
	Changed  int64         `json:"changed"`
	Missing  int64         `json:"missing"`
	Extra    int64         `json:"extra"`
}

// OK reports whether every message is as the manifest says, none is
// missing or extra, and the manifest is intact.
func (c ExportCheck) OK() bool {
	return c.Changed == 0 && c.Missing == 0 && c.Extra == 0 && c.Manifest.OK()
}

// ErrNotExport is returned (wrapped) by CheckExport for a manifest that is
// not an export's (a snapshot's names no files).
var ErrNotExport = errors.New("not the manifest of an export")

// ExportCheckOptions configure CheckExport.
type ExportCheckOptions struct {
	// OnFile is called for every message, in the manifest's order, and
	// then for every extra one.
	OnFile func(ExportFile) error
	// Progress gets Listed (the manifest's entries), Done and Bytes (of
	// the messages compared so far).
	Progress func(Progress)
	Now      func() time.Time
}

// CheckExport compares an export (the mbox file or Maildir directory at
// target) with its manifest, on this machine alone: every message's
// SHA-256 against the manifest's, which is of the bytes stored in the
// bucket. It reads the export in the manifest's order, in bounded memory
// for an mbox (a Maildir's file names are held, to find files the
// manifest does not name). A cancelled ctx stops it between messages.
func CheckExport(ctx context.Context, manifest, target string, opt ExportCheckOptions) (ExportCheck, error) {
	var c ExportCheck
	mc, err := CheckManifest(manifest)
	if err != nil {
		return c, err
	}
	c.Manifest, c.Kind = mc, mc.Header.Export
	_, _, prog := start(opt.Now, 1, 1, opt.Progress)
	prog.listed.Store(mc.Entries)
	prog.listDone.Store(true)
	defer prog.report()
	count := func(f ExportFile) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		prog.Done++
		prog.Bytes += f.size
		prog.report()
		if f.edited != "" {
			c.Manifest.Problems = append(c.Manifest.Problems, f.edited)
		}
		switch f.Status {
		case FileIntact:
			c.Intact++
		case FileChanged:
			c.Changed++
		case FileMissing:
			c.Missing++
		case FileExtra:
			c.Extra++
		}
		if opt.OnFile != nil {
			return opt.OnFile(f)
		}
		return nil
	}
	// Entries that fail their hash were edited; each line is then
	// checked against the message found, to name the edited one.
	edited := mc.Trailer != nil && mc.Trailer.EntriesSHA256 != mc.SHA256
	var scan ManifestCheck
	switch mc.Header.Export {
	case "mbox":
		f, err := openRegular(target)
		if err != nil {
			return c, fmt.Errorf("check export: %w", err)
		}
		defer f.Close()
		r := &mboxReader{r: bufio.NewReaderSize(f, 64<<10)}
		n := 0
		err = scanManifest(manifest, func(e Entry) error {
			n++
			m, err := r.next()
			if err != nil {
				return err
			}
			where := fmt.Sprintf("message %d", n)
			if m == nil {
				return count(ExportFile{Key: e.Key, Status: FileMissing, File: where, ManifestSHA256: e.SHA256, size: e.Size})
			}
			f := compareMessage(e, where, m.sha256, m.withoutFinalNL)
			if edited {
				f.edited = editedExportLine(&e, f, m.found)
			}
			return count(f)
		}, &scan)
		for err == nil {
			var m *mboxMessage
			if m, err = r.next(); err != nil || m == nil {
				break
			}
			n++
			err = count(ExportFile{Status: FileExtra, File: fmt.Sprintf("message %d", n), SHA256: m.sha256})
		}
		return c, err
	case "maildir":
		return c, checkMaildir(manifest, target, &scan, edited, count)
	}
	return c, fmt.Errorf("check export: %s: %w (kind %q; audit verify compares a snapshot with the bucket)", manifest, ErrNotExport, mc.Header.Kind)
}

// compareMessage is an entry's result for the bytes found at where.
// sum is their SHA-256; alt that of the bytes without a final newline an
// mbox had to add ("" when it added none).
func compareMessage(e Entry, where, sum, alt string) ExportFile {
	f := ExportFile{Key: e.Key, File: where, SHA256: sum, ManifestSHA256: e.SHA256, Status: FileChanged, size: e.Size}
	switch e.SHA256 {
	case sum:
		f.Status = FileIntact
	case alt:
		f.Status, f.SHA256 = FileIntact, alt
		f.Note = "the stored message does not end in a newline: mbox added one, left out of the hash"
	}
	return f
}

// openRegular opens a file that is neither a symbolic link nor anything
// but a regular file: an export is checked where it is, never through a
// link an edit put there.
func openRegular(path string) (*os.File, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%s)", path, fi.Mode().Type())
	}
	return os.Open(path)
}

// checkMaildir checks each file the manifest names under dir (in new/,
// or in cur/ with the flags a mail client adds when it reads one), then
// reports the message files it does not name.
func checkMaildir(manifest, dir string, scan *ManifestCheck, edited bool, count func(ExportFile) error) error {
	named := map[string]bool{}
	err := scanManifest(manifest, func(e Entry) error {
		name, ok := strings.CutPrefix(e.File, "new/")
		if !ok || name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) {
			return count(ExportFile{Key: e.Key, Status: FileMissing, File: e.File, ManifestSHA256: e.SHA256, size: e.Size,
				Note: "the manifest names no file in the export's new/ (its entry was edited)"})
		}
		named[name] = true
		where := e.File
		d, err := hashFile(filepath.Join(dir, where))
		if errors.Is(err, os.ErrNotExist) {
			// A mail client that showed it moved it to cur/NAME:2,FLAGS.
			if m, _ := filepath.Glob(filepath.Join(dir, "cur", globEscape(name)+":2,*")); len(m) == 1 {
				where = "cur/" + filepath.Base(m[0])
				d, err = hashFile(m[0])
			}
		}
		if errors.Is(err, os.ErrNotExist) {
			return count(ExportFile{Key: e.Key, Status: FileMissing, File: e.File, ManifestSHA256: e.SHA256, size: e.Size})
		}
		if err != nil {
			return count(ExportFile{Key: e.Key, Status: FileChanged, File: where, ManifestSHA256: e.SHA256, size: e.Size, Note: err.Error()})
		}
		f := compareMessage(e, where, d.SHA256, "")
		if edited {
			f.edited = editedExportLine(&e, f, d)
		}
		return count(f)
	}, scan)
	if err != nil {
		return err
	}
	for _, sub := range []string{"new", "cur"} {
		ents, err := os.ReadDir(filepath.Join(dir, sub))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("check export: %w", err)
		}
		for _, d := range ents {
			name := d.Name()
			if sub == "cur" {
				name, _, _ = strings.Cut(name, ":2,")
			}
			if named[name] || strings.HasPrefix(d.Name(), ".") {
				continue
			}
			x, _ := hashFile(filepath.Join(dir, sub, d.Name()))
			if err := count(ExportFile{Status: FileExtra, File: sub + "/" + d.Name(), SHA256: x.SHA256}); err != nil {
				return err
			}
		}
	}
	return nil
}

// globEscape quotes the characters filepath.Match treats specially.
func globEscape(s string) string {
	return strings.NewReplacer(`*`, `\*`, `?`, `\?`, `[`, `\[`, `\`, `\\`).Replace(s)
}

// hashFile is the SHA-256 (hex) of a regular file's bytes, their size
// and their header block.
func hashFile(path string) (digest, error) {
	f, err := openRegular(path)
	if err != nil {
		return digest{}, err
	}
	defer f.Close()
	h, hc := sha256.New(), &headerCapture{}
	n, err := io.Copy(io.MultiWriter(h, hc), f)
	if err != nil {
		return digest{}, err
	}
	return digest{SHA256: hex.EncodeToString(h.Sum(nil)), Size: n, Header: hc.header()}, nil
}

// editedExportLine names, for a manifest whose entries fail their hash,
// the entry line (e) whose fields the bytes determine disagree with the
// message found (f, read as d) though it hashes as the line says: only
// an edit of the line explains that. "" otherwise (a message that
// hashes otherwise is changed, named by its own result).
func editedExportLine(e *Entry, f ExportFile, d digest) string {
	if f.Status != FileIntact {
		return ""
	}
	if f.SHA256 != d.SHA256 {
		d.Size-- // intact without the final newline mbox added
	}
	diffs := bytesFieldDiffs(e, entryOf(mailstore.Object{Key: e.Key}, d))
	if len(diffs) == 0 {
		return ""
	}
	return fmt.Sprintf("line %d (key %q) disagrees with the message exported (%s), which hashes as it records: %s: the line was edited",
		e.line, e.Key, f.File, sayDiffs(diffs, "the exported message"))
}

// mboxReader reads the messages of an mboxrd file as ExportMbox writes
// them (WriteMboxMessage), one at a time, hashing each as it streams: a
// From_ line at the start or after a blank line starts a message, a
// quoted />+From / line loses one ">", and the blank line before the
// next From_ line (or the end) is the separator, not the message's.
type mboxReader struct {
	r     *bufio.Reader
	ended bool
	// carried is a From_ line read as the end of the message before.
	carried bool
}

// mboxMessage is one message's SHA-256, and that of its bytes without
// their final newline; found is their size and header block.
type mboxMessage struct {
	sha256, withoutFinalNL string
	found                  digest
}

// next reads the next message; nil at the end of the file.
func (m *mboxReader) next() (*mboxMessage, error) {
	if m.ended {
		return nil, nil
	}
	if !m.carried {
		line, err := m.r.ReadBytes('\n')
		if len(line) == 0 && errors.Is(err, io.EOF) {
			m.ended = true
			return nil, nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		if !bytes.HasPrefix(line, []byte("From ")) {
			m.ended = true
			return nil, errors.New("the mbox does not start with a From_ line")
		}
	}
	m.carried = false
	all, lag := sha256.New(), sha256.New()
	hc, size := &headerCapture{}, int64(0)
	held := false // a final newline written to all, not yet to lag
	write := func(b []byte) {
		if len(b) == 0 {
			return
		}
		all.Write(b)
		hc.Write(b)
		size += int64(len(b))
		if held {
			lag.Write([]byte{'\n'})
		}
		held = b[len(b)-1] == '\n'
		if held {
			lag.Write(b[:len(b)-1])
		} else {
			lag.Write(b)
		}
	}
	blank := false // a blank line read, not yet known to be the message's
	for {
		line, err := m.r.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		if len(line) == 0 {
			m.ended = true
			break
		}
		if blank && bytes.HasPrefix(line, []byte("From ")) {
			m.carried = true
			break
		}
		if blank {
			write([]byte{'\n'})
			blank = false
		}
		switch {
		case string(line) == "\n":
			blank = true
		case isFromLine(line):
			write(line[1:])
		default:
			write(line)
		}
		if errors.Is(err, io.EOF) {
			m.ended = true
			break
		}
	}
	msg := &mboxMessage{sha256: hex.EncodeToString(all.Sum(nil))}
	msg.found.SHA256, msg.found.Size, msg.found.Header = msg.sha256, size, hc.header()
	if held {
		msg.withoutFinalNL = hex.EncodeToString(lag.Sum(nil))
	}
	return msg, nil
}
