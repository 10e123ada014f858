package main

import (
	"image"
	"image/color"
	"strings"
	"testing"

	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
)

// testGrid uses the Go fonts built into x/image (no system font): Go Mono
// for Latin and Cyrillic, Go Regular as the fallback. They have no CJK:
// those cells get the missing-glyph box, which still must take exactly
// two cells.
func testGrid(t *testing.T) *grid {
	t.Helper()
	parse := func(b []byte) *sfnt.Font {
		f, err := sfnt.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	g, err := newGrid(Fonts{
		Regular: []*sfnt.Font{parse(gomono.TTF), parse(goregular.TTF)},
		Bold:    []*sfnt.Font{parse(gomonobold.TTF)},
	}, 10)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// inkColumns returns the leftmost and rightmost x of red ink in row y.
func inkColumns(img *image.RGBA, g *grid, y int) (lo, hi int) {
	lo, hi = -1, -1
	for py := g.padY + y*g.cellH; py < g.padY+(y+1)*g.cellH; py++ {
		for px := range img.Bounds().Dx() {
			if c := img.RGBAAt(px, py); c.R > 0x80 && c.G < 0x40 && c.B < 0x40 {
				if lo < 0 || px < lo {
					lo = px
				}
				hi = max(hi, px)
			}
		}
	}
	return lo, hi
}

// TestColumnsLineUp: a mark after four cells of Latin, Cyrillic, CJK (two
// wide characters), bold text and an emoji is drawn at the same pixels in
// every row, and CJK fills its two cells.
func TestColumnsLineUp(t *testing.T) {
	g := testGrid(t)
	mark := "\x1b[38;2;255;0;0m|\x1b[0m"
	rows := []string{"abcd", "Елен", "山田", "\x1b[1mBold\x1b[0m", "🎉ok", "WWWW", "é\u0301xyz"}
	var screen []string
	for _, r := range rows {
		screen = append(screen, r+mark)
	}
	img, err := g.render(strings.Join(screen, "\n"), 6, len(rows))
	if err != nil {
		t.Fatal(err)
	}
	lo0, hi0 := inkColumns(img, g, 0)
	if lo0 < g.padX+4*g.cellW || hi0 >= g.padX+5*g.cellW {
		t.Fatalf("the mark is drawn at x %d..%d, outside column 4 (%d..%d)", lo0, hi0, g.padX+4*g.cellW, g.padX+5*g.cellW)
	}
	for y, r := range rows[1:] {
		if lo, hi := inkColumns(img, g, y+1); lo != lo0 || hi != hi0 {
			t.Errorf("row %q: the mark is at x %d..%d, in the first row at %d..%d", r, lo, hi, lo0, hi0)
		}
	}
}

// TestWideGlyphStaysInItsCells: a glyph wider than its cell (here a
// proportional font's W, wider than its M, which sets the cell) is scaled
// into the cell; the background of each cell is its own.
func TestWideGlyphStaysInItsCells(t *testing.T) {
	f, err := sfnt.Parse(goregular.TTF)
	if err != nil {
		t.Fatal(err)
	}
	g, err := newGrid(Fonts{Regular: []*sfnt.Font{f}}, 10)
	if err != nil {
		t.Fatal(err)
	}
	var b sfnt.Buffer
	w, _ := f.GlyphIndex(&b, 'W')
	m, _ := f.GlyphIndex(&b, 'M')
	aw, _ := f.GlyphAdvance(&b, w, 1000, 0)
	am, _ := f.GlyphAdvance(&b, m, 1000, 0)
	if aw <= am {
		t.Fatalf("Go Regular's W (%d) is not wider than its M (%d): the test proves nothing", aw, am)
	}
	screen := "\x1b[38;2;255;0;0;48;2;0;0;255mW\x1b[0m  "
	img, err := g.render(screen, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := inkColumns(img, g, 0)
	if lo < g.padX || hi >= g.padX+g.cellW {
		t.Fatalf("W inked at x %d..%d, outside its cell %d..%d", lo, hi, g.padX, g.padX+g.cellW)
	}
	if c := img.RGBAAt(g.padX+1, g.padY+1); c != (color.RGBA{0, 0, 0xff, 0xff}) {
		t.Errorf("the first cell's background is %v", c)
	}
	if c := img.RGBAAt(g.padX+g.cellW+1, g.padY+1); c != defaultBg {
		t.Errorf("the second cell's background is %v, want the default", c)
	}
}
