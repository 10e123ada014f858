package mailstore

import (
	"math/bits"
	"strconv"
)

// FormatSize renders a byte count the way every list and report of
// sesbox shows it, CLI and TUI alike: binary units (1K = 1,024 bytes),
// rounded to the nearest tenth below 10 and to the nearest whole unit
// above, in at most 5 characters: 512B, 3.7K, 12K, 1023K, 1.0M. A value
// that rounds up to the next step is written in that step (9.96K is 10K,
// 1023.6K is 1.0M), so the rendering never decreases as n grows.
func FormatSize(n int64) string {
	if n < 0 {
		n = 0
	}
	if n < 1024 {
		return strconv.FormatInt(n, 10) + "B"
	}
	const units = "KMGTPE"
	unit := int64(1)
	for i := 0; i < len(units); i++ {
		unit *= 1024
		// Tenths of this unit, rounded half up; 100 tenths is 10.0.
		if tenths := roundDiv(n, 10, unit); tenths < 100 {
			return strconv.FormatInt(tenths/10, 10) + "." + strconv.FormatInt(tenths%10, 10) + units[i:i+1]
		}
		if whole := roundDiv(n, 1, unit); whole < 1024 || i == len(units)-1 {
			return strconv.FormatInt(whole, 10) + units[i:i+1]
		}
	}
	panic("unreachable")
}

// roundDiv is n/(unit/per) rounded half up, computed without overflow
// for any int64 n: per is 1 or 10 (whole units or tenths).
func roundDiv(n, per, unit int64) int64 {
	hi, lo := bits.Mul64(uint64(n), uint64(per))
	lo, carry := bits.Add64(lo, uint64(unit/2), 0)
	q, _ := bits.Div64(hi+carry, lo, uint64(unit))
	return int64(q)
}
