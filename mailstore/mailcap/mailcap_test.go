package mailcap

import (
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const sample = `# a comment
text/html; w3m -I %{charset} -T text/html -dump %s; copiousoutput; nametemplate=%s.html

application/pdf; pdftotext -layout '%s' -; copiousoutput; test=test -x /usr/bin/pdftotext
application/pdf; zathura %s
image/*; feh "%s"
video; mpv %s; needsterminal
application/x-long; first \
  second %s; copiousoutput
text/x-semi; echo a\;b; copiousoutput
broken-line-without-command
`

func TestParse(t *testing.T) {
	es, err := Parse(strings.NewReader(sample), "mc")
	if err == nil || !strings.Contains(err.Error(), "mc:11") {
		t.Errorf("bad line not reported with its place: %v", err)
	}
	want := []Entry{
		{Type: "text/html", Command: "w3m -I %{charset} -T text/html -dump %s", CopiousOutput: true, NameTemplate: "%s.html", Source: "mc:2"},
		{Type: "application/pdf", Command: "pdftotext -layout '%s' -", CopiousOutput: true, Test: "test -x /usr/bin/pdftotext", Source: "mc:4"},
		{Type: "application/pdf", Command: "zathura %s", Source: "mc:5"},
		{Type: "image/*", Command: `feh "%s"`, Source: "mc:6"},
		{Type: "video/*", Command: "mpv %s", NeedsTerminal: true, Source: "mc:7"},
		{Type: "application/x-long", Command: "first   second %s", CopiousOutput: true, Source: "mc:8"},
		{Type: "text/x-semi", Command: "echo a;b", CopiousOutput: true, Source: "mc:10"},
	}
	if len(es) != len(want) {
		t.Fatalf("got %d entries: %#v", len(es), es)
	}
	for i := range want {
		if es[i] != want[i] {
			t.Errorf("entry %d:\n got %#v\nwant %#v", i, es[i], want[i])
		}
	}
}

func TestLookup(t *testing.T) {
	es, _ := Parse(strings.NewReader(sample), "mc")
	mc := &Mailcap{Entries: es}
	copious := func(e Entry) bool { return e.CopiousOutput }
	notCopious := func(e Entry) bool { return !e.CopiousOutput }
	failTests := func(e Entry) bool { return false }
	for _, tc := range []struct {
		ct         string
		want, pass func(Entry) bool
		cmd        string // "" = no entry
	}{
		{"text/html", copious, nil, "w3m -I %{charset} -T text/html -dump %s"},
		{"TEXT/HTML; charset=utf-8", nil, nil, "w3m -I %{charset} -T text/html -dump %s"},
		{"text/plain", nil, nil, ""},
		{"application/pdf", copious, nil, "pdftotext -layout '%s' -"},
		{"application/pdf", copious, failTests, ""},
		{"application/pdf", nil, failTests, "zathura %s"},
		{"application/pdf", notCopious, nil, "zathura %s"},
		{"image/png", nil, nil, `feh "%s"`},
		{"image", nil, nil, ""},
		{"video/mp4", nil, nil, "mpv %s"},
		{"videos/mp4", nil, nil, ""},
	} {
		e, ok := mc.Lookup(tc.ct, tc.want, tc.pass)
		if got := map[bool]string{true: e.Command}[ok]; got != tc.cmd {
			t.Errorf("Lookup(%q) = %q, want %q", tc.ct, got, tc.cmd)
		}
	}
	var nilMC *Mailcap
	if _, ok := nilMC.Lookup("text/html", nil, nil); ok {
		t.Error("nil Mailcap found an entry")
	}
}

func TestExpand(t *testing.T) {
	params := map[string]string{"Charset": "utf-8", "name": "x'; rm -rf ~ #"}
	for _, tc := range []struct{ cmd, want string }{
		{"cat %s", "cat '/tmp/a b'"},
		{"cat '%s'", "cat '''/tmp/a b'''"},
		{`cat "%s"`, `cat "/tmp/a b"`},
		{"w3m -I %{charset} -T %t %s", "w3m -I 'utf-8' -T 'text/html' '/tmp/a b'"},
		{"echo %{name}", `echo 'x'\''; rm -rf ~ #'`},
		// A substitution is parsed anew, bare: the value is quoted so.
		{`w3m -I "$(echo %{name})" %s`, `w3m -I "$(echo 'x'\''; rm -rf ~ #')" '/tmp/a b'`},
		{`w3m -I "$(case %t in text/*) echo %{name};; esac)" %s`, `w3m -I "$(case 'text/html' in text/*) echo 'x'\''; rm -rf ~ #';; esac)" '/tmp/a b'`},
		{"echo 100%% %{missing}", "echo 100% ''"},
		{`echo \%s`, `echo \%s`},
		{"echo %", "echo %"},
		{"echo %{unclosed", "echo %{unclosed"},
	} {
		got, err := Expand(tc.cmd, "/tmp/a b", "text/html", params)
		if err != nil || got.Command != tc.want {
			t.Errorf("Expand(%q) = %q, %v; want %q", tc.cmd, got.Command, err, tc.want)
		}
	}
	if e, _ := Expand("less", "/f", "text/plain", nil); !e.Stdin {
		t.Error("a command without a file placeholder does not read stdin")
	}
	if e, _ := Expand("less %s", "/f", "text/plain", nil); e.Stdin {
		t.Error("a command with a file placeholder reads stdin")
	}
	if e, _ := Expand("sh -c 'less %s'", "/f", "text/plain", nil); e.Stdin || e.Command != `sh -c 'less '\''/f'\'''` {
		t.Errorf("sh -c 'less %%s' = %+v", e)
	}
	if _, err := Expand("cat %{x}", "/f", "t/t", map[string]string{"x": "a\x00b"}); err == nil {
		t.Error("a NUL byte was expanded")
	}
	// bash reads $'a\'b' as one string, sh as $'a\' then b and an open
	// quote: what follows is bare for one and quoted for the other (a
	// value "x; touch f" ran touch under bash).
	for _, cmd := range []string{`echo $'a\'b' %{name}`, `echo $'a\'b %{name}'`, `echo $'\n' %s`, `echo $'unclosed %s`} {
		if e, err := Expand(cmd, "/f", "t/t", params); err == nil {
			t.Errorf("Expand(%q) = %q: a value after $'...' with a backslash was quoted", cmd, e.Command)
		}
	}
}

// TestExpandQuotingProperty runs the expanded commands through a real
// shell: whatever a hostile parameter holds, printf receives it as exactly
// one argument, in every quoting context an entry can put it in, in sh
// and (where there is one) bash, whose quoting differs in corners.
func TestExpandQuotingProperty(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	shells := []string{sh}
	if bash, err := exec.LookPath("bash"); err == nil {
		shells = append(shells, bash)
	}
	alphabet := []rune("ab '\"\\$`;|&<>(){}*?~#!\n\t%-=é")
	r := rand.New(rand.NewSource(1))
	values := []string{"", "'", `"`, `\`, "$(id)", "`id`", "a'b\"c\\d$e`f", "--help", "*"}
	for range 60 {
		n := r.Intn(12)
		rs := make([]rune, n)
		for i := range rs {
			rs[i] = alphabet[r.Intn(len(alphabet))]
		}
		values = append(values, string(rs))
	}
	// In a command substitution ($(...), `...`) the shell parses anew:
	// a value there is a bare word, inside double quotes or not around
	// it ("$(echo %{charset})" ran a charset "x; touch f"). The
	// substitution's output ends in "." so that its newlines stay.
	subst := []string{
		`printf '[%%s]' "$(printf '%%s.' %{v})"`, `printf '[%%s]' "$(printf '%%s.' "%{v}")"`,
		`printf '[%%s]' "$( (printf '%%s.' %{v}) )"`, "printf '[%%s]' \"`printf '%%s.' %{v}`\"",
		"printf '[%%s]' `printf '%%s.' \"%{v}\"`",
		// A ")" ending a case pattern ends no substitution ("$(case %t
		// in text/*) echo %{charset};; esac)" ran a charset "x; touch f").
		`printf '[%%s]' "$(case %t in text/*) printf '%%s.' %{v};; esac)"`,
		`printf '[%%s]' "$(case x in y) :;; (x|z) printf '%%s.' "%{v}";; *) exit 1;; esac)"`,
		`printf '[%%s]' "$(case %t in */html) :;; text/plain) case x in x) printf '%%s.' %{v};; esac; esac)"`,
		`printf '[%%s]' "$(case x in x) printf '%%s' "$(case y in y) printf '%%s.' %{v};; esac)"; esac)"`,
		"printf '[%%s]' \"`case x in x) printf '%%s.' %{v};; esac`\"",
		// case and esac are words of the shell only where a command
		// begins: "echo esac" ends no case, "then case" begins one.
		`printf '[%%s]' "$(case x in y) echo esac;; x) printf '%%s.' %{v};; esac)"`,
		`printf '[%%s]' "$(if true; then case x in x) printf '%%s.' %{v};; esac; fi)"`,
		`printf '[%%s]' "$(echo case >/dev/null; (printf '%%s.' %{v}))"`,
		// Quotes in a ${...} inside double quotes nest, and a } ends it:
		// "${x:-"%{v}"}" read the value bare, where $(id) ran.
		`printf '[%%s]' "${x:-%{v}}."`, `printf '[%%s]' "${x:-"%{v}"}."`, `printf '[%%s]' "${x:-"a}"%{v}}."`,
		`printf '[%%s]' "${x:-${y:-"%{v}"}}."`, `printf '[%%s]' "$(printf '%%s' "${x:-%{v}}.")"`,
		`printf '[%%s]' "${x:-"$(printf '%%s.' %{v})"}"`,
		// A shell's -c script is parsed twice: "sh -c 'echo %{charset}'"
		// ran a charset "x; touch f".
		`sh -c 'printf "[%%s]" "$(printf "%%s." %{v})"'`,
	}
	for _, v := range values {
		for _, tmpl := range append([]string{"printf '[%%s]' %{v}", "printf '[%%s]' '%{v}'", `printf '[%%s]' "%{v}"`, "printf '[%%s]' x%{v}y",
			`sh -c 'printf "[%%s]" %{v}'`, `sh -c "printf '[%%s]' %{v}"`, `/bin/bash -ec 'printf "[%%s]" "%{v}"'`,
			`sh -c "printf '[%%s]' \"%{v}\""`, `sh -c 'sh -c "printf \"[%%s]\" %{v}"'`}, subst...) {
			e, err := Expand(tmpl, "", "text/plain", map[string]string{"v": v})
			backquoted := strings.Contains(tmpl, "`")
			if backquoted && strings.ContainsAny(v, "`\\$") {
				if err == nil {
					t.Errorf("template %q, value %q: expanded to %q between backquotes", tmpl, v, e.Command)
				}
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			want := "[" + v + "]"
			if strings.Contains(tmpl, "x%{v}y") {
				want = "[x" + v + "y]"
			}
			if slices.Contains(subst, tmpl) {
				want = "[" + v + ".]"
				if strings.Contains(tmpl, `"a}"`) {
					want = "[a}" + v + ".]"
				}
				if strings.HasPrefix(tmpl, "printf '[%%s]' `") {
					// Unquoted, the substitution's output is split into
					// words and globbed: only a plain value is one word.
					if strings.ContainsAny(v, " \t\n*?[") || v == "" {
						continue
					}
				}
			}
			for _, sh := range shells {
				out, err := exec.Command(sh, "-c", e.Command).Output()
				if err != nil || string(out) != want {
					t.Fatalf("template %q, value %q: %s -c %q printed %q (%v), want %q", tmpl, v, sh, e.Command, out, err, want)
				}
			}
		}
	}
}

func TestLoadSkipsMissingAndKeepsOrder(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a")
	b := filepath.Join(dir, "b")
	os.WriteFile(a, []byte("text/plain; cat %s; copiousoutput\n"), 0o600)
	os.WriteFile(b, []byte("text/*; less %s\n"), 0o600)
	mc, err := Load([]string{filepath.Join(dir, "missing"), a, b})
	if err != nil || len(mc.Entries) != 2 || mc.Entries[0].Command != "cat %s" || mc.Entries[1].Source != b+":1" {
		t.Fatalf("got %#v, %v", mc, err)
	}
	t.Setenv("MAILCAPS", a+":"+b)
	if p := DefaultPaths(); len(p) != 2 || p[0] != a {
		t.Fatalf("MAILCAPS ignored: %v", p)
	}
	t.Setenv("MAILCAPS", "")
	if p := DefaultPaths(); len(p) < 2 || !strings.HasSuffix(p[0], ".mailcap") || p[1] != "/etc/mailcap" {
		t.Fatalf("default path: %v", p)
	}
}

// TestExpandNestedTemplatesProperty draws templates that nest the shell's
// quoting contexts ($( ), ( ), ${ }, case, quotes, in each other) around a
// value, and runs each expansion through sh and bash: printf receives one
// argument, exactly the one the template spells, whatever the value.
func TestExpandNestedTemplatesProperty(t *testing.T) {
	shells := []string{}
	for _, name := range []string{"sh", "bash"} {
		if p, err := exec.LookPath(name); err == nil {
			shells = append(shells, p)
		}
	}
	if len(shells) == 0 {
		t.Fatal("no shell to run the expansions")
	}
	r := rand.New(rand.NewSource(2))
	const v = "\x00" // stands for the value in what a template spells
	// cmd is a command whose output is w's word then "." (a substitution
	// drops trailing newlines: the dot keeps them).
	var word func(depth int) (string, string)
	var dq func(depth int, inParam bool) (string, string)
	cmd := func(depth int) (string, string) {
		w, want := word(depth + 1)
		switch r.Intn(4) {
		case 0:
			return "printf '%%s.' " + w, want + "."
		case 1:
			return "case x in y) echo esac;; (x|z) printf '%%s.' " + w + ";; esac", want + "."
		case 2:
			return "(printf '%%s.' " + w + ")", want + "."
		}
		return "if true; then case %t in text/*) printf '%%s.' " + w + ";; esac; fi", want + "."
	}
	// dq is text inside double quotes (directly inside a ${...} in them
	// when inParam, where bash reads a ' as a quote to match: the
	// template's own text holds none there).
	dq = func(depth int, inParam bool) (string, string) {
		n := 1 + r.Intn(3)
		var tmpl, want string
		for range n {
			k := r.Intn(5)
			if depth >= 3 {
				k = r.Intn(2)
			}
			switch k {
			case 0:
				lit := "a'b"
				if inParam {
					lit = "a)b"
				}
				tmpl, want = tmpl+lit, want+lit
			case 1:
				tmpl, want = tmpl+"%{v}", want+v
			case 2:
				c, w := cmd(depth)
				tmpl, want = tmpl+"$( "+c+")", want+w
			case 3:
				d, w := dq(depth+1, true)
				tmpl, want = tmpl+"${unset:-"+d+"}", want+w
			case 4:
				d, w := dq(depth+1, false)
				tmpl, want = tmpl+"${unset:-\""+d+"\"}", want+w
			}
		}
		return tmpl, want
	}
	// word is one shell word.
	word = func(depth int) (string, string) {
		n := 1 + r.Intn(3)
		var tmpl, want string
		for range n {
			k := r.Intn(4)
			if depth >= 3 {
				k = r.Intn(2)
			}
			switch k {
			case 0:
				tmpl, want = tmpl+"%{v}", want+v
			case 1:
				tmpl, want = tmpl+"'c d'", want+"c d"
			default:
				d, w := dq(depth+1, false)
				tmpl, want = tmpl+`"`+d+`"`, want+w
			}
		}
		return tmpl, want
	}
	values := []string{"", "'", `"`, `\`, "}", ")", "$(id)", "`id`", "x; id", "a'b\"c\\d$e`f}g)h", "\n", "*", "esac)", ";;"}
	for range 100 {
		w, want := word(0)
		tmpl := "printf '[%%s]' " + w
		for _, val := range values {
			e, err := Expand(tmpl, "", "text/plain", map[string]string{"v": val})
			if err != nil {
				t.Fatalf("template %q, value %q: %v", tmpl, val, err)
			}
			exp := "[" + strings.ReplaceAll(want, v, val) + "]"
			for _, sh := range shells {
				out, err := exec.Command(sh, "-c", e.Command).Output()
				if err != nil || string(out) != exp {
					t.Fatalf("template %q, value %q: %s -c %q printed %q (%v), want %q", tmpl, val, sh, e.Command, out, err, exp)
				}
			}
		}
	}
}
