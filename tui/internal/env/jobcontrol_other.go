//go:build !unix

package env

// JobControl reports whether a shell with job control started sesbox:
// never, where there is no ctrl+z suspend.
func JobControl() bool { return false }
