package mailstore

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestFormatSize(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{0, "0B"}, {1023, "1023B"}, {1024, "1.0K"}, {3769, "3.7K"}, {10188, "9.9K"}, {10189, "10K"},
		{1048063, "1023K"}, {1048064, "1.0M"}, {5 << 20, "5.0M"}, {math.MaxInt64, "8.0E"}, {-5, "0B"},
	} {
		if got := FormatSize(tc.n); got != tc.want {
			t.Errorf("FormatSize(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

// parseSize reads a FormatSize rendering back as a byte count.
func parseSize(t *testing.T, s string) float64 {
	u := strings.IndexByte("BKMGTPE", s[len(s)-1])
	v, err := strconv.ParseFloat(s[:len(s)-1], 64)
	if u < 0 || err != nil {
		t.Fatalf("bad rendering %q", s)
	}
	return v * math.Pow(1024, float64(u))
}

// Properties over random sizes of every magnitude: at most 5 characters,
// never decreasing as n grows, and within half a displayed step of n.
func TestFormatSizeProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	prev, prevN := "", int64(-1)
	ns := make([]int64, 0, 20000)
	for range 20000 {
		ns = append(ns, r.Int64N(int64(1)<<r.IntN(63)+1))
	}
	ns = append(ns, 1023, 1024, 10188, 10189, 10240, 1048063, 1048064)
	slices.Sort(ns)
	for _, n := range ns {
		s := FormatSize(n)
		if len(s) > 5 {
			t.Fatalf("FormatSize(%d) = %q: wider than 5", n, s)
		}
		if prevN >= 0 && parseSize(t, s) < parseSize(t, prev) {
			t.Fatalf("FormatSize(%d) = %q < FormatSize(%d) = %q", n, s, prevN, prev)
		}
		got := parseSize(t, s)
		step := 1.0
		if s[len(s)-1] != 'B' {
			u := math.Pow(1024, float64(strings.IndexByte("BKMGTPE", s[len(s)-1])))
			step = u
			if strings.Contains(s, ".") {
				step = u / 10
			}
		}
		if math.Abs(got-float64(n)) > step/2*1.0000001 {
			t.Fatalf("FormatSize(%d) = %q is off by more than half a step", n, s)
		}
		prev, prevN = s, n
	}
}
