package main

import (
	"runtime/debug"
	"testing"
)

// TestBuildVersionFromVCSStamp: a binary built with plain `go build` (no
// -X main.version) says which commit it was built from, when, and whether
// the tree was modified, from the VCS stamp Go embeds; it said "(devel)".
// A tagged module version is said as it is; nothing at all is "devel".
func TestBuildVersionFromVCSStamp(t *testing.T) {
	stamp := func(main string, kv ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{Main: debug.Module{Path: "github.com/sesbox/sesbox", Version: main}}
		for i := 0; i < len(kv); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return bi
	}
	rev, at := "0943c9dd55d04a44e8dd1ec4659365b21d2f421c", "2026-12-06T20:42:58Z"
	for _, c := range []struct {
		bi   *debug.BuildInfo
		want string
	}{
		{stamp("(devel)", "vcs", "git", "vcs.revision", rev, "vcs.time", at, "vcs.modified", "true"), "devel-0943c9d (2026-12-06, modified)"},
		{stamp("(devel)", "vcs", "git", "vcs.revision", rev, "vcs.time", at, "vcs.modified", "false"), "devel-0943c9d (2026-12-06)"},
		{stamp("(devel)", "vcs.revision", rev), "devel-0943c9d"},
		// Go 1.24 and later derive a pseudo-version from the same stamp.
		{stamp("v0.0.0-20261206204258-0943c9dd55d0+dirty", "vcs.revision", rev, "vcs.time", at, "vcs.modified", "true"), "devel-0943c9d (2026-12-06, modified)"},
		{stamp("v1.4.0", "vcs.revision", rev, "vcs.time", at, "vcs.modified", "false"), "v1.4.0"},
		{stamp("v1.4.0"), "v1.4.0"},
		{stamp("(devel)"), "devel"},
		{stamp(""), "devel"},
		{nil, "devel"},
		{stamp("(devel)", "vcs.revision", "abc"), "devel-abc"},
	} {
		if got := buildVersion(c.bi); got != c.want {
			t.Errorf("buildVersion(%+v) = %q, want %q", c.bi, got, c.want)
		}
	}
}
