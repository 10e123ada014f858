package mailstore

import (
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
)

// TestExplainSaysWhatToDoWhenAWriteFails: a write that fails for want of
// space, on a read-only file system or for a permission leads with what
// to do and where, whatever wraps it (an export that filled the disk said
// only "... write /mnt/.a.mbox.123.partial: no space left on device", last);
// an error with a hint of its own keeps it.
func TestExplainSaysWhatToDoWhenAWriteFails(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&fs.PathError{Op: "write", Path: "/mnt/usb/.a.mbox.1.partial", Err: syscall.ENOSPC},
			"no space left on the disk holding /mnt/usb — free some space there or write somewhere else ("},
		{&fs.PathError{Op: "open", Path: "/mnt/cd/a.mbox", Err: syscall.EROFS},
			"/mnt/cd is on a read-only file system — write somewhere else ("},
		{&fs.PathError{Op: "write", Path: "/home/u/md/tmp/1.x", Err: syscall.EDQUOT},
			"disk quota exceeded on /home/u/md/tmp — free some space there or write somewhere else ("},
		{&fs.PathError{Op: "open", Path: "/srv/out/a.mbox", Err: syscall.EACCES},
			"permission denied: /srv/out/a.mbox — check the owner and mode of it and of /srv/out ("},
		{&os.LinkError{Op: "link", Old: "/m/tmp/1", New: "/m/new/1", Err: syscall.ENOSPC},
			"no space left on the disk holding /m/new — free some space there or write somewhere else ("},
		{&fs.PathError{Op: "write", Path: "/home/u/.local/state/sesbox/forward-journal.jsonl", Err: syscall.EFBIG},
			"the file size limit of this process (ulimit -f) was reached writing in /home/u/.local/state/sesbox — raise the limit or write somewhere else ("},
		{&fs.PathError{Op: "mkdir", Path: "/etc/hostname", Err: syscall.ENOTDIR},
			"a part of /etc/hostname is a file, not a directory — write somewhere else ("},
		{Creating(&fs.PathError{Op: "open", Path: "/proc/.x.mbox.1.partial", Err: syscall.ENOENT}),
			"/proc takes no new files (a virtual file system such as /proc, or a directory removed meanwhile) — write somewhere else ("},
		{&fs.PathError{Op: "mkdir", Path: "/sys/x", Err: syscall.ENOENT},
			"/sys takes no new files (a virtual file system such as /proc, or a directory removed meanwhile) — write somewhere else ("},
		{&fs.PathError{Op: "open", Path: "/m/" + strings.Repeat("a", 300), Err: syscall.ENAMETOOLONG},
			"a file name in /m is too long for its file system — choose a shorter one ("},
		{Creating(&fs.PathError{Op: "open", Path: "/mnt/vfat/a:b.mbox", Err: syscall.EINVAL}),
			"the file system of /mnt/vfat refuses the name a:b.mbox — choose another name, or write somewhere else ("},
		{&HintError{Hint: "its own", Err: &fs.PathError{Op: "write", Path: "/a/b", Err: syscall.ENOSPC}}, "its own ("},
	} {
		err := fmt.Errorf("export s3://b/p: export \"s3://b/p/k\": %w", tc.err)
		if got := Explain(err); len(got) < len(tc.want) || got[:len(tc.want)] != tc.want {
			t.Errorf("Explain(%v) = %q, want it to begin %q", err, got, tc.want)
		}
	}
	if got, want := Explain(fmt.Errorf("x: %w", fs.ErrNotExist)), "x: file does not exist"; got != want {
		t.Errorf("an error without a hint: %q, want %q", got, want)
	}
	// A read of a file that is not there is not a destination's.
	if got, want := Explain(&fs.PathError{Op: "open", Path: "/etc/x", Err: syscall.ENOENT}), "open /etc/x: no such file or directory"; got != want {
		t.Errorf("a read's ENOENT: %q, want %q", got, want)
	}
}

// TestReachHintOfAnAWSEndpointNamesNoEndpointFlag: a host of AWS's own
// that does not resolve (a mistyped region, no network) said "check
// --endpoint and --region", though no endpoint was set; it names the
// region and the network. A custom endpoint still names its flag.
func TestReachHintOfAnAWSEndpointNamesNoEndpointFlag(t *testing.T) {
	dns := func(u string) error {
		return fmt.Errorf("list: %w", &url.Error{Op: "Get", URL: u, Err: &net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "x", IsNotFound: true}}})
	}
	for _, tc := range []struct {
		err        error
		where      string
		flag, want string
	}{
		{dns("https://inbound.s3.eu-wset-1.amazonaws.com/?list-type=2"), "the S3 endpoint", "--endpoint",
			"no such host: https://inbound.s3.eu-wset-1.amazonaws.com — check --region and the network"},
		{dns("https://email.us-east-1.amazonaws.com/v2/email/account"), "the SES endpoint", "--ses-endpoint",
			"no such host: https://email.us-east-1.amazonaws.com — check --region and the network"},
		{dns("http://minio.internal:9000/b?list-type=2"), "http://minio.internal:9000", "--endpoint",
			"no such host: http://minio.internal:9000 — check --endpoint and --region"},
		{fmt.Errorf("x: %w", &url.Error{Op: "Get", URL: "https://s3.eu-west-1.amazonaws.com/b", Err: syscall.ECONNRESET}), "the S3 endpoint", "--endpoint",
			"cannot reach https://s3.eu-west-1.amazonaws.com — check the network"},
	} {
		if got := ReachHint(tc.err, tc.where, tc.flag, "--region"); got != tc.want {
			t.Errorf("%v:\n got %q\nwant %q", tc.err, got, tc.want)
		}
	}
}
