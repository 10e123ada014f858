package mailbox

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/sesbox/sesbox/mailstore/audit"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/mailstore/xdg"
)

// PipeWriter writes what a pipe of n messages hands a command on its
// standard input, as mutt's pipe-message does (the viewer's | and the
// list's, over the marked messages), one message at a time, so that a
// pipe of thousands holds one in memory. One message is its stored bytes
// exactly (raw, as show --raw prints them) or its decoded text
// (mime.DecodedText: the header fields a reader wants and the body; a
// message that could not be parsed, its stored bytes). Several are an
// mboxrd stream in their order, each after its From_ line dated when SES
// stored it, as export --mbox writes them: raw, each message's stored
// bytes; decoded, each message's decoded text, so that a script splits
// them back with any mbox reader (formail -s, Python's mailbox.mbox)
// whatever lines the text holds. Nothing is sanitized: it goes to a
// program, not the screen.
type PipeWriter struct {
	w   io.Writer
	n   int
	raw bool
}

// NewPipeWriter writes the pipe of n messages to w.
func NewPipeWriter(w io.Writer, n int, raw bool) *PipeWriter {
	return &PipeWriter{w: w, n: n, raw: raw}
}

// Write writes the next message.
func (p *PipeWriter) Write(m *Message) error {
	body := m.Raw
	if !p.raw && m.View != nil {
		body = mime.DecodedText(m.View)
	}
	if p.n == 1 {
		_, err := p.w.Write(body)
		return err
	}
	return audit.WriteMboxEntry(p.w, m.Raw, body, m.Summary.LastModified)
}

// PipeText is the pipe of msgs (PipeWriter) as bytes: the viewer's, of
// the one message it has read.
func PipeText(msgs []*Message, raw bool) []byte {
	var b bytes.Buffer
	p := NewPipeWriter(&b, len(msgs), raw)
	for _, m := range msgs {
		_ = p.Write(m) // a bytes.Buffer does not fail
	}
	return b.Bytes()
}

// Opener reads one message (a Mailbox does).
type Opener interface {
	Open(ctx context.Context, key string) (*Message, error)
}

// PipeFile reads the messages of keys one at a time and writes their
// pipe (PipeWriter) to a new file of mode 0600 under sesbox's cache
// directory (pipe/), whose path it returns for the caller to feed the
// command and remove. All are read before the command runs, so it never
// sees half of them; a message that cannot be read leaves no file.
func PipeFile(ctx context.Context, o Opener, keys []string, raw bool) (path string, err error) {
	dir, err := xdg.Cache("pipe")
	if err != nil {
		return "", err
	}
	if err := xdg.MkdirPrivate(dir); err != nil {
		return "", err
	}
	// 0600, a new name (O_EXCL) that says whose it is: a sesbox killed
	// before it removed it leaves it to the next (RemovePipeFiles).
	f, err := os.CreateTemp(dir, xdg.ProcessPattern("pipe"))
	if err != nil {
		return "", err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(f.Name())
			path = ""
		}
	}()
	p := NewPipeWriter(f, len(keys), raw)
	for _, k := range keys {
		m, err := o.Open(ctx, k)
		if err != nil {
			return "", fmt.Errorf("pipe: open %s: %w", k, err)
		}
		if err := p.Write(m); err != nil {
			return "", fmt.Errorf("pipe: write %s: %w", f.Name(), err)
		}
	}
	return f.Name(), nil
}

// RemovePipeFiles removes the files PipeFile made that a sesbox killed
// mid-pipe left (its process gone), and with own this process's too: the
// TUI calls it as it starts, and with own as it ends, however it ends.
// Only sesbox's own files go: named as PipeFile names them, regular,
// the user's, never through a link (xdg.RemoveOrphans). So do those an
// older sesbox named pipe-NNNN, without its process id, once unchanged
// for unnamedPipeAge (xdg.RemoveUnnamed): nothing removed them.
func RemovePipeFiles(own bool) (int, error) {
	dir, err := xdg.Cache("pipe")
	if err != nil {
		return 0, err
	}
	n, err := xdg.RemoveOrphans(dir, "pipe", own)
	if err != nil {
		return n, err
	}
	old, err := xdg.RemoveUnnamed(dir, "pipe", unnamedPipeAge)
	return n + old, err
}

// unnamedPipeAge is how long a pipe-NNNN file is left alone: its sesbox
// opened it for the command within moments of writing it.
const unnamedPipeAge = time.Hour
