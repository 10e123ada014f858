//go:build race

package mime

// slowdown is how much slower code runs under the race detector: the time
// bounds of FuzzParse are multiplied by it (the hostile shapes of 60 KB
// took 2.1 s under -race on a loaded machine, 0.2 s without).
const slowdown = 10
