// Command termpng draws terminal screens (the ANSI text a bubbletea View
// returns) as PNGs on a fixed cell grid, so that columns line up in the
// picture exactly as a terminal lines them up, whatever the script: every
// cell starts at column*cellWidth and a wide (CJK, emoji) cell takes two.
// `make screenshots` runs it on the states TestScreenshots renders:
//
//	termpng -out screenshots .screenshots/*.ansi
//
// writes screenshots/NAME.png for each NAME.ansi.
package main

import (
	"flag"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// The fonts of Debian's fonts-dejavu-core, fonts-noto-cjk and
// fonts-symbola: DejaVu Sans Mono for Latin, Cyrillic, Greek and box
// drawing, Noto Sans Mono CJK for Hangul, kana and Han, Symbola for emoji
// and other pictographs.
const (
	defaultFonts = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf," +
		"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc@Noto Sans Mono CJK KR," +
		"/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf"
	defaultBoldFonts = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf," +
		"/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc@Noto Sans Mono CJK KR," +
		"/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf"
)

func main() {
	out := flag.String("out", ".", "`DIR` to write NAME.png into")
	regular := flag.String("fonts", defaultFonts, "fallback chain of `FONTS`: comma-separated paths, PATH@Family for a collection")
	bold := flag.String("bold-fonts", defaultBoldFonts, "the same for bold text")
	cellW := flag.Int("cell", 16, "cell width in `PIXELS`")
	flag.Parse()
	if err := run(*out, *regular, *bold, *cellW, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "termpng:", err)
		os.Exit(1)
	}
}

func run(out, regular, bold string, cellW int, inputs []string) error {
	if len(inputs) == 0 {
		return fmt.Errorf("no input: give the .ansi files to draw")
	}
	var fonts Fonts
	var err error
	if fonts.Regular, err = loadFonts(regular); err != nil {
		return err
	}
	if fonts.Bold, err = loadFonts(bold); err != nil {
		return err
	}
	g, err := newGrid(fonts, cellW)
	if err != nil {
		return err
	}
	for _, in := range inputs {
		if err := g.file(in, filepath.Join(out, strings.TrimSuffix(filepath.Base(in), filepath.Ext(in))+".png")); err != nil {
			return err
		}
	}
	return nil
}

// file draws one screen; its size is its number of lines and its widest line.
func (g *grid) file(in, out string) error {
	b, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	screen := strings.TrimSuffix(string(b), "\n")
	lines := strings.Split(screen, "\n")
	cols := 0
	for _, l := range lines {
		cols = max(cols, ansi.StringWidth(l))
	}
	img, err := g.render(screen, cols, len(lines))
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", out, err)
	}
	return f.Close()
}
