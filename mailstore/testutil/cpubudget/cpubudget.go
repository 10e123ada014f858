// Package cpubudget measures the CPU a piece of work takes in a test, for
// the guards that hostile input stays near linear (a quadratic search took
// a minute where the fix takes milliseconds). It is the test process's CPU
// time (getrusage: user and system, every thread), not wall time: other
// processes on a loaded machine stretch wall time, so a wall-clock guard
// failed where the work had not slowed (14.5 s against 10 s at a load of
// 15), while they do not add to this process's CPU. The packages that use
// it run no tests in parallel, so the process's CPU is the work's.
package cpubudget

import (
	"syscall"
	"time"
)

// Used runs fn and returns the CPU time the process spent meanwhile.
func Used(fn func()) time.Duration {
	before := cpu()
	fn()
	return cpu() - before
}

func cpu() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err) // RUSAGE_SELF with a valid pointer does not fail
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
