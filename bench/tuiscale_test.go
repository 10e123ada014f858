//go:build bench

package bench

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/index"
	"github.com/sesbox/sesbox/mailstore/testutil/genindex"
)

// TestBenchTUIAtScale is the TUI-at-scale step of TestBench alone:
//
//	go test -tags bench -run TestBenchTUIAtScale -v ./bench/
func TestBenchTUIAtScale(t *testing.T) {
	rep := &report{Cores: 0, When: time.Now().UTC()}
	tuiAtScale(t, buildSesbox(t), rep)
	print(t, rep)
}

// tuiAtScale generates BENCH_TUI_N messages (default 1,000,000; a comma
// list for several runs, 0 for none) straight into an index, opens the
// real binary on it in tmux (--cached: no listing), and reports the first
// screen, the whole list read, the peak RSS of the process and the latency
// of j, G, g, a filter typed after / and cleared, o (sort by sender) and O
// (reverse), each to the screen that shows its result. The baseline is process start (`--version`) in
// the same run.
func tuiAtScale(t *testing.T, bin string, rep *report) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Log("tmux not installed: TUI at scale not measured")
		return
	}
	start := time.Now()
	if err := exec.Command(bin, "--version").Run(); err != nil {
		t.Fatal(err)
	}
	proc := time.Since(start)
	for _, s := range strings.Split(cmp.Or(os.Getenv("BENCH_TUI_N"), "1000000"), ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			t.Fatalf("BENCH_TUI_N=%q: %v", s, err)
		}
		if n > 0 {
			tuiAtN(t, bin, rep, n, proc)
		}
	}
}

func tuiAtN(t *testing.T, bin string, rep *report, n int, proc time.Duration) {
	const endpoint = "http://127.0.0.1:9" // never dialled: --cached
	env := sesboxEnv(t, endpoint)
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "XDG_CACHE_HOME="); ok {
			t.Setenv("XDG_CACHE_HOME", v)
		}
	}
	path, err := index.DefaultPath(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	if err := genindex.Fill(context.Background(), path, mailstore.Location{Bucket: bucket, Prefix: prefix}, n, time.Now()); err != nil {
		t.Fatal(err)
	}
	t.Logf("generated %d index rows in %v", n, time.Since(t0).Round(time.Second))
	syscall.Sync() // its writeback is not the TUI's (see runPeak)
	at := "at " + thousands(n)

	p := startPane(t, env, 120, 36, bin, "--cached")
	defer p.kill()
	first, ok := p.waitFor(60*time.Second, "Message number 0 about")
	if !ok {
		t.Errorf("TUI %s: no first screen within 60 s:\n%s", at, p.screen())
		return
	}
	rep.add("TUI first screen "+at, ms(first), "ms", fmt.Sprintf("process start %.0f ms", ms(proc)), "< 300 ms", yes(first < 300*time.Millisecond),
		"binary start to the newest rows on screen, tmux 120x36, --cached")
	whole, ok := p.waitFor(120*time.Second, thousands(n))
	if !ok {
		t.Errorf("TUI %s: the count never showed:\n%s", at, p.screen())
		return
	}
	rep.add("TUI whole list read "+at, ms(first+whole), "ms", "", "", nil, "binary start to the count of all messages (the ids, read after the first screen)")
	rep.add("TUI RSS after the first screen "+at, float64(p.peakRSS())/1e6, "MB", "", "< 120 MB", yes(p.peakRSS() < 120e6), "VmHWM of the sesbox process")
	time.Sleep(300 * time.Millisecond)
	for _, k := range []struct {
		name, keys string
		want       []string  // nil: any change of the screen
		order      [2]string // when set, the first is shown above the second
		gone       string    // when set, no longer on screen
	}{
		{name: "j", keys: "j"},
		{name: "G", keys: "G", want: []string{"Message number " + strconv.Itoa(n-1) + " about"}},
		{name: "g", keys: "g", want: []string{"Message number 0 about"}},
		// is:unread is every third message: 0, 3, ...
		{name: "/is:unread (filter)", keys: "/is:unread", want: []string{"filter: is:unread", "Message number 3 about"}, gone: "Message number 1 about"},
		{name: "Enter, Esc (filter cleared)", keys: "\r\x1b", want: []string{"Message number 1 about"}},
		// By sender: "Sender 0" first, its newest messages, 97 apart.
		{name: "o (sort by sender)", keys: "o", want: []string{"sort: from", "Message number 97 about"}},
		// The cursor stays on message 0, now the last of them all.
		{name: "O (reverse)", keys: "O", want: []string{"(Z-A)"}, order: [2]string{"Message number 97 about", "Message number 0 about"}},
	} {
		d, ok := p.press(k.keys, 60*time.Second, k.order, k.gone, k.want...)
		if !ok {
			t.Errorf("TUI %s: %s did not show %q within 60 s:\n%s", at, k.name, k.want, p.screen())
			continue
		}
		rep.add("TUI key "+k.name+" "+at, ms(d), "ms", "", "< 1 frame (16 ms) + tmux poll", yes(d < 40*time.Millisecond),
			"send-keys to its result on screen, through a tmux control client polled every 1 ms")
	}
	hwm := p.peakRSS()
	rep.add("TUI RSS "+at, float64(hwm)/1e6, "MB", "", "< 120 MB", yes(hwm < 120e6), "VmHWM of the sesbox process after the keys above")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1e3 }

func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// pane is the binary running in a tmux pane of its own server, read and
// driven through a control-mode client of that server (tmux -C): one
// process for the whole run. A tmux process per capture and per key, as
// before, cost 5-20 ms of process start each on this kind of machine,
// counted in every key's latency and taking a core from sesbox while it
// polled.
type pane struct {
	t    *testing.T
	sock string
	pid  int
	ctl  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Reader
}

func startPane(t *testing.T, env []string, w, h int, bin string, args ...string) *pane {
	p := &pane{t: t, sock: filepath.Join(t.TempDir(), "tmux.sock")}
	var envArgs []string
	for _, e := range env {
		if strings.HasPrefix(e, "XDG_") || strings.HasPrefix(e, "AWS_") {
			envArgs = append(envArgs, "-e", e)
		}
	}
	// exec: the pane's process is sesbox itself, whose RSS is measured.
	cmd := "exec " + bin + " " + strings.Join(args, " ")
	tm := func(args ...string) string {
		out, _ := exec.Command("tmux", append([]string{"-S", p.sock}, args...)...).Output()
		return string(out)
	}
	tm(append(append([]string{"new-session", "-d", "-x", strconv.Itoa(w), "-y", strconv.Itoa(h)}, envArgs...), cmd)...)
	p.pid, _ = strconv.Atoi(strings.TrimSpace(tm("list-panes", "-F", "#{pane_pid}")))
	// ignore-size: the control client does not resize the window;
	// no-output: it is not sent the pane's output, only command replies.
	p.ctl = exec.Command("tmux", "-S", p.sock, "-C", "attach-session", "-f", "ignore-size,no-output")
	var err error
	if p.in, err = p.ctl.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := p.ctl.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.out = bufio.NewReader(stdout)
	if err := p.ctl.Start(); err != nil {
		t.Fatal(err)
	}
	// The attach's own reply, and any notification, before the first
	// command's: read up to a reply that says the marker.
	for !strings.Contains(p.command("display-message -p sesbox-bench-sync"), "sesbox-bench-sync") {
	}
	return p
}

// command runs a tmux command through the control client and returns its
// output: the lines between the next %begin and its %end (notifications
// outside a block are skipped).
func (p *pane) command(c string) string {
	if _, err := io.WriteString(p.in, c+"\n"); err != nil {
		p.t.Fatalf("tmux control: %v", err)
	}
	var b strings.Builder
	in := false
	for {
		line, err := p.out.ReadString('\n')
		if err != nil {
			p.t.Fatalf("tmux control: %v", err)
		}
		switch {
		case !in:
			in = strings.HasPrefix(line, "%begin ")
		case strings.HasPrefix(line, "%end ") || strings.HasPrefix(line, "%error "):
			return b.String()
		default:
			b.WriteString(line)
		}
	}
}

func (p *pane) kill() {
	p.in.Close()
	p.ctl.Wait()
	exec.Command("tmux", "-S", p.sock, "kill-server").Run()
}

func (p *pane) screen() string { return p.command("capture-pane -p") }

// send types keys into the pane, as bytes (send-keys -H: no quoting).
func (p *pane) send(keys string) {
	hex := make([]string, len(keys))
	for i := range len(keys) {
		hex[i] = fmt.Sprintf("%02x", keys[i])
	}
	p.command("send-keys -H " + strings.Join(hex, " "))
}

// waitFor polls the pane until it shows every one of want, and says how
// long that took.
func (p *pane) waitFor(limit time.Duration, want ...string) (time.Duration, bool) {
	return p.waitUntil(limit, func(s string) bool {
		for _, w := range want {
			if !strings.Contains(s, w) {
				return false
			}
		}
		return true
	})
}

// waitUntil polls the pane until its screen satisfies ok, and says how
// long that took.
func (p *pane) waitUntil(limit time.Duration, ok func(screen string) bool) (time.Duration, bool) {
	start := time.Now()
	for time.Since(start) < limit {
		if ok(p.screen()) {
			return time.Since(start), true
		}
		time.Sleep(time.Millisecond)
	}
	return 0, false
}

// press sends keys (literally) and waits for want on screen (order[0]
// above order[1] when set, gone not), or without want for the cursor (the
// row marked '>') one line down: any change of the screen, as before,
// was met by a refresh's status line in 0 ms.
func (p *pane) press(keys string, limit time.Duration, order [2]string, gone string, want ...string) (time.Duration, bool) {
	before := p.screen()
	cursor := cursorLine(before)
	start := time.Now()
	p.send(keys)
	for time.Since(start) < limit {
		s := p.screen()
		done := len(want) > 0 || (cursor >= 0 && cursorLine(s) == cursor+1)
		for _, w := range want {
			done = done && strings.Contains(s, w)
		}
		if gone != "" {
			done = done && !strings.Contains(s, gone)
		}
		if order[0] != "" {
			i, j := strings.Index(s, order[0]), strings.Index(s, order[1])
			done = done && i >= 0 && j > i
		}
		if done {
			return time.Since(start), true
		}
		time.Sleep(time.Millisecond)
	}
	return 0, false
}

// cursorLine is the line of screen that starts with the list's cursor
// mark, or -1.
func cursorLine(screen string) int {
	for i, l := range strings.Split(screen, "\n") {
		if strings.HasPrefix(l, ">") {
			return i
		}
	}
	return -1
}

// peakRSS is VmHWM of the pane's process, in bytes.
func (p *pane) peakRSS() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.pid))
	if err != nil {
		p.t.Errorf("read RSS of %d: %v", p.pid, err)
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}
