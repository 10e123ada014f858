//go:build !unix

package team

// processAlive cannot tell here: every claim waits for its lease.
func processAlive(int) bool { return true }
