package main

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"os"
	"strings"
	"unicode"

	"github.com/charmbracelet/x/cellbuf"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// Default colours of the terminal the screenshots show: what the TUI
// leaves unstyled is drawn in these.
var (
	defaultFg = color.RGBA{0xdd, 0xdd, 0xdd, 0xff}
	defaultBg = color.RGBA{0x17, 0x17, 0x17, 0xff}
)

// Fonts is a fallback chain per weight: a cell's grapheme is drawn in the
// first font that has a glyph for its first rune. The first regular font
// sets the cell size; every other glyph is scaled down when it is wider
// than the cells the terminal gives it, and centred in them.
type Fonts struct {
	Regular, Bold []*sfnt.Font
}

// loadFonts reads a comma-separated list of font specs: "PATH" or, for a
// collection (.ttc), "PATH@Family Name".
func loadFonts(specs string) ([]*sfnt.Font, error) {
	var fonts []*sfnt.Font
	for _, spec := range strings.Split(specs, ",") {
		spec = strings.TrimSpace(spec)
		if spec == "" {
			continue
		}
		path, family, _ := strings.Cut(spec, "@")
		f, err := loadFont(path, family)
		if err != nil {
			return nil, err
		}
		fonts = append(fonts, f)
	}
	if len(fonts) == 0 {
		return nil, fmt.Errorf("no font in %q", specs)
	}
	return fonts, nil
}

func loadFont(path, family string) (*sfnt.Font, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("font: %w (install the Debian package that has it; see `make screenshots`)", err)
	}
	c, err := sfnt.ParseCollection(data)
	if err != nil {
		return nil, fmt.Errorf("font %s: %w", path, err)
	}
	var names []string
	for i := range c.NumFonts() {
		f, err := c.Font(i)
		if err != nil {
			return nil, fmt.Errorf("font %s #%d: %w", path, i, err)
		}
		name, err := f.Name(nil, sfnt.NameIDFamily)
		if err != nil {
			return nil, fmt.Errorf("font %s #%d: %w", path, i, err)
		}
		if family == "" || name == family {
			return f, nil
		}
		names = append(names, name)
	}
	return nil, fmt.Errorf("font %s has no family %q (it has %s)", path, family, strings.Join(names, ", "))
}

// grid is the cell geometry and the faces, cached per font and size.
type grid struct {
	fonts          Fonts
	size           float64 // pixels per em of the first regular font
	cellW, cellH   int
	ascent         int
	faces          map[faceKey]font.Face
	buf            sfnt.Buffer
	padX, padY     int
	underlineThick int
}

type faceKey struct {
	f    *sfnt.Font
	size float64
}

// newGrid sizes the cells so that the first regular font's advance is
// exactly cellW pixels.
func newGrid(fonts Fonts, cellW int) (*grid, error) {
	g := &grid{fonts: fonts, cellW: cellW, faces: map[faceKey]font.Face{}}
	main := fonts.Regular[0]
	idx, err := main.GlyphIndex(&g.buf, 'M')
	if err != nil || idx == 0 {
		return nil, fmt.Errorf("the first font has no 'M': %v", err)
	}
	upem := fixed.Int26_6(main.UnitsPerEm())
	adv, err := main.GlyphAdvance(&g.buf, idx, upem, font.HintingNone)
	if err != nil {
		return nil, err
	}
	g.size = float64(cellW) * float64(upem) / float64(adv)
	m, err := main.Metrics(&g.buf, fixed.Int26_6(g.size*64), font.HintingNone)
	if err != nil {
		return nil, err
	}
	g.ascent = m.Ascent.Ceil()
	g.cellH = int(math.Ceil(float64(m.Ascent+m.Descent)/64*1.15)) + 1
	g.ascent += (g.cellH - (m.Ascent + m.Descent).Ceil()) / 2
	g.padX, g.padY = 2*cellW, cellW
	g.underlineThick = max(1, cellW/10)
	return g, nil
}

func (g *grid) face(f *sfnt.Font, size float64) (font.Face, error) {
	k := faceKey{f, size}
	if fc, ok := g.faces[k]; ok {
		return fc, nil
	}
	fc, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return nil, err
	}
	g.faces[k] = fc
	return fc, nil
}

// pick returns the first font of the chain with a glyph for r.
func (g *grid) pick(chain []*sfnt.Font, r rune) *sfnt.Font {
	for _, f := range chain {
		if i, err := f.GlyphIndex(&g.buf, r); err == nil && i != 0 {
			return f
		}
	}
	return chain[0]
}

// render draws a screen of cols x rows cells (ANSI text as the TUI's View
// returns it) on a fixed grid: cell (x, y) always starts at pixel
// (x*cellW, y*cellH) past the padding, whatever its glyphs.
func (g *grid) render(screen string, cols, rows int) (*image.RGBA, error) {
	buf := cellbuf.NewBuffer(cols, rows)
	cellbuf.SetContent(buf, screen)
	img := image.NewRGBA(image.Rect(0, 0, cols*g.cellW+2*g.padX, rows*g.cellH+2*g.padY))
	draw.Draw(img, img.Bounds(), image.NewUniform(defaultBg), image.Point{}, draw.Src)
	for y := range rows {
		for x := 0; x < cols; x++ {
			c := buf.Cell(x, y)
			if c == nil || c.Width == 0 {
				continue // the second half of a wide cell
			}
			if err := g.cell(img, x, y, c); err != nil {
				return nil, err
			}
		}
	}
	return img, nil
}

func (g *grid) cell(img *image.RGBA, x, y int, c *cellbuf.Cell) error {
	fg, bg := colour(c.Style.Fg, defaultFg), colour(c.Style.Bg, defaultBg)
	attrs := c.Style.Attrs
	if attrs.Contains(cellbuf.ReverseAttr) {
		fg, bg = bg, fg
	}
	if attrs.Contains(cellbuf.FaintAttr) {
		fg = blend(fg, bg)
	}
	px, py := g.padX+x*g.cellW, g.padY+y*g.cellH
	w := max(c.Width, 1) * g.cellW
	draw.Draw(img, image.Rect(px, py, px+w, py+g.cellH), image.NewUniform(bg), image.Point{}, draw.Src)
	if c.Style.UlStyle != cellbuf.NoUnderline {
		uy := py + g.ascent + g.underlineThick + 1
		draw.Draw(img, image.Rect(px, uy, px+w, uy+g.underlineThick), image.NewUniform(fg), image.Point{}, draw.Src)
	}
	if c.Rune == 0 || c.Rune == ' ' || attrs.Contains(cellbuf.ConcealAttr) {
		return nil
	}
	chain := g.fonts.Regular
	if attrs.Contains(cellbuf.BoldAttr) && len(g.fonts.Bold) > 0 {
		chain = g.fonts.Bold
	}
	f := g.pick(chain, c.Rune)
	// A glyph wider than its cells (a CJK font's Latin, an emoji font's
	// pictograph) is scaled down to fit them; a narrower one is centred.
	size := g.size
	idx, err := f.GlyphIndex(&g.buf, c.Rune)
	if err != nil {
		return err
	}
	adv, err := f.GlyphAdvance(&g.buf, idx, fixed.Int26_6(size*64), font.HintingNone)
	if err != nil {
		return err
	}
	if a := float64(adv) / 64; a > float64(w) {
		size *= float64(w) / a
		adv = fixed.Int26_6(float64(adv) * float64(w) / a)
	}
	fc, err := g.face(f, size)
	if err != nil {
		return err
	}
	d := font.Drawer{
		Dst:  img,
		Src:  image.NewUniform(fg),
		Face: fc,
		Dot:  fixed.P(px, py+g.ascent).Add(fixed.Point26_6{X: (fixed.I(w) - adv) / 2}),
	}
	d.DrawString(string(c.Rune))
	// Combining marks go on the base glyph; variation selectors and
	// joiners draw nothing.
	for _, r := range c.Comb {
		if !unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Variation_Selector, r) {
			continue
		}
		mf, err := g.face(g.pick(chain, r), size)
		if err != nil {
			return err
		}
		d.Face = mf // the dot is past the base glyph, where marks hang back from
		d.DrawString(string(r))
	}
	return nil
}

func colour(c color.Color, def color.RGBA) color.RGBA {
	if c == nil {
		return def
	}
	r, g, b, _ := c.RGBA()
	return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 0xff}
}

// blend is faint text: halfway between the text and its background.
func blend(fg, bg color.RGBA) color.RGBA {
	mid := func(a, b uint8) uint8 { return uint8((int(a) + int(b)) / 2) }
	return color.RGBA{mid(fg.R, bg.R), mid(fg.G, bg.G), mid(fg.B, bg.B), 0xff}
}
