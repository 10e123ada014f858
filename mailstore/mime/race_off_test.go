//go:build !race

package mime

// slowdown: see race_on_test.go.
const slowdown = 1
