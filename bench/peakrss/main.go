// Command peakrss runs a command and then prints, as the last line of its
// standard error, the command's wall time and peak RSS:
//
//	peakrss: wall_ns=<n> maxrss_kb=<n>
//
// It is how the bench measures the peak RSS of a small process. The bench
// cannot take it from its own wait: Go starts a child with vfork, sharing
// the parent's address space until exec, and the kernel keeps the peak RSS
// of that space in the child's ru_maxrss; a bench process that generated
// 10^5 summaries saw `sesbox --version` peak at 179 MB instead of 24. This
// process is small, so what it leaves in its child's count is too.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: peakrss command [args...]")
		os.Exit(2)
	}
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		fmt.Fprintln(os.Stderr, "peakrss:", err)
		os.Exit(2)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	fmt.Fprintf(os.Stderr, "peakrss: wall_ns=%d maxrss_kb=%d\n", wall.Nanoseconds(), ru.Maxrss)
	os.Exit(cmd.ProcessState.ExitCode())
}
