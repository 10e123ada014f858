package theme

import (
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// rendered is "x" drawn in every style of s.
func rendered(s Styles) map[string]string {
	out := map[string]string{}
	var walk func(name string, v reflect.Value)
	walk = func(name string, v reflect.Value) {
		switch {
		case v.Type() == reflect.TypeOf(lipgloss.Style{}):
			out[name] = v.Interface().(lipgloss.Style).Render("x")
		case v.Kind() == reflect.Struct:
			for i := range v.NumField() {
				if v.Type().Field(i).IsExported() {
					walk(name+"."+v.Type().Field(i).Name, v.Field(i))
				}
			}
		case v.Kind() == reflect.Array:
			for i := range v.Len() {
				walk(name+"["+strconv.Itoa(i)+"]", v.Index(i))
			}
		}
	}
	walk("Styles", reflect.ValueOf(s))
	return out
}

var sgr = regexp.MustCompile(`\x1b\[([0-9;]*)m`)

// TestEachProfileGetsItsOwnColours: with TERM=xterm (termenv's ANSI
// profile, 16 colours) the theme's hex colours were converted to the
// nearest of 16, mostly the bright ones (90-97, 100-107), which 8-colour
// terminals (the Linux console, old xterms and screens) draw wrongly or
// not at all. Each profile now gets codes it has: the basic eight for
// ANSI, the 256-colour table for ANSI256, RGB for TrueColor, none for
// Ascii; and the states that must stand out still do (selection, verdicts,
// search hits).
func TestEachProfileGetsItsOwnColours(t *testing.T) {
	for _, p := range []termenv.Profile{termenv.TrueColor, termenv.ANSI256, termenv.ANSI, termenv.Ascii} {
		for _, dark := range []bool{true, false} {
			r := lipgloss.NewRenderer(io.Discard)
			r.SetColorProfile(p)
			r.SetHasDarkBackground(dark)
			s := New(r)
			for name, out := range rendered(s) {
				for _, m := range sgr.FindAllStringSubmatch(out, -1) {
					params := strings.Split(m[1], ";")
					for i := 0; i < len(params); i++ {
						n, _ := strconv.Atoi(params[i])
						switch {
						case p == termenv.Ascii && (n >= 30 || n == 7):
							t.Errorf("Ascii, dark %v: %s draws colour %q", dark, name, out)
						case (n == 38 || n == 48) && i+1 < len(params):
							ext := params[i+1]
							if p == termenv.ANSI || (p == termenv.ANSI256 && ext == "2") {
								t.Errorf("profile %v, dark %v: %s uses %s;%s: %q", p, dark, name, params[i], ext, out)
							}
							i += 2
							if ext == "2" {
								i += 2
							}
						case p == termenv.ANSI && (n >= 90 && n <= 97 || n >= 100 && n <= 107):
							t.Errorf("ANSI, dark %v: %s uses the bright colour %d: %q", dark, name, n, out)
						}
					}
				}
			}
			if p == termenv.Ascii {
				continue
			}
			if p == termenv.ANSI {
				for _, c := range []string{s.ProgressFull, s.ProgressEmpty} {
					if n, _ := strconv.Atoi(p.Color(c).Sequence(false)); n < 30 || n > 37 {
						t.Errorf("ANSI: the progress bar's colour %q is %v", c, p.Color(c).Sequence(false))
					}
				}
			}
			x := func(st lipgloss.Style) string { return st.Render("x") }
			if x(s.Pass) == x(s.Fail) || x(s.Row.Inherit(s.RowSelected)) == x(s.Row) ||
				s.Highlight("x", true) == s.Highlight("x", false) || s.Highlight("x", false) == "x" {
				t.Errorf("profile %v, dark %v: verdicts, selection or search hits do not stand out", p, dark)
			}
		}
	}
}
