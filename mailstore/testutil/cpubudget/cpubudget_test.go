package cpubudget

import (
	"crypto/sha256"
	"testing"
	"time"
)

// TestCountsCPUNotWaiting: work is counted whatever else the machine
// runs; waiting (what a loaded machine adds to wall time) is not.
func TestCountsCPUNotWaiting(t *testing.T) {
	buf := make([]byte, 1<<20)
	work := Used(func() {
		for range 64 { // 64 MB hashed: tens of milliseconds of CPU
			sha256.Sum256(buf)
		}
	})
	wait := Used(func() { time.Sleep(300 * time.Millisecond) })
	if work < 10*time.Millisecond || wait > 30*time.Millisecond {
		t.Errorf("64 MB hashed counted %v, 300 ms asleep %v", work, wait)
	}
}
