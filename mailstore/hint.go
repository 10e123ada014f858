package mailstore

import (
	"errors"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// HintError is a failure with what the user can do about it: Hint is said
// first ("no such bucket "x" in eu-west-1 — check --bucket and --region"),
// the detail (the SDK's error) after it. The CLI and the TUI both show it
// through Explain, so the two say the same.
type HintError struct {
	Hint string
	Err  error
}

// Error is the detail only: Explain puts the hint in front of the whole
// chain, so it is not repeated in the middle.
func (e *HintError) Error() string { return e.Err.Error() }

func (e *HintError) Unwrap() error { return e.Err }

// RunAgain is how a hint says to run the command again once what it
// names is fixed. A front end that runs no command (the TUI's forward
// screen) puts its own way of doing it in its place.
const RunAgain = "run the same command again"

// Hint returns the hint of the first HintError in err's chain, "" if none.
func Hint(err error) string {
	var h *HintError
	if errors.As(err, &h) {
		return h.Hint
	}
	return ""
}

// Explain renders err for a person: the hint first when there is one (a
// HintError's, else what to do about a local file that could not be
// written: fileHint), then the error with its context and detail.
func Explain(err error) string {
	if err == nil {
		return ""
	}
	h := Hint(err)
	if h == "" {
		h = fileHint(err)
	}
	if h != "" {
		return h + " (" + err.Error() + ")"
	}
	return err.Error()
}

// fileHint says what to do when err is a local file's failure that the
// user, not sesbox, can mend: a full disk or quota, a read-only file
// system, a permission, a file where a directory must be (an export, a save, a snapshot, a draft, the
// index); "" for any other error. It names the directory (the file's own
// name is often a temporary one).
func fileHint(err error) string {
	path := ""
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		path = pe.Path
	case errors.As(err, &le):
		path = le.New
	default:
		return ""
	}
	dir := filepath.Dir(path)
	switch {
	case errors.Is(err, syscall.ENOSPC):
		return "no space left on the disk holding " + dir + " — free some space there or write somewhere else"
	case errors.Is(err, syscall.EDQUOT):
		return "disk quota exceeded on " + dir + " — free some space there or write somewhere else"
	case errors.Is(err, syscall.EFBIG):
		return "the file size limit of this process (ulimit -f) was reached writing in " + dir + " — raise the limit or write somewhere else"
	case errors.Is(err, syscall.EROFS):
		return dir + " is on a read-only file system — write somewhere else"
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return "permission denied: " + path + " — check the owner and mode of it and of " + dir
	case errors.Is(err, syscall.ENAMETOOLONG):
		return "a file name in " + dir + " is too long for its file system — choose a shorter one"
	case creating(err) && errors.Is(err, syscall.ENOENT):
		// Where the directory is there: /proc, /sys (export --mbox
		// /proc/x.mbox said "open /proc/.x.mbox.NNN.partial: no such
		// file or directory" alone).
		return dir + " takes no new files (a virtual file system such as /proc, or a directory removed meanwhile) — write somewhere else"
	case creating(err) && errors.Is(err, syscall.EINVAL):
		return "the file system of " + dir + " refuses the name " + filepath.Base(path) + " — choose another name, or write somewhere else"
	case errors.Is(err, syscall.ENOTDIR):
		// An export to /etc/hostname/x.mbox said only "mkdir
		// /etc/hostname: not a directory".
		return "a part of " + path + " is a file, not a directory — write somewhere else"
	}
	return ""
}

// CreateError is the failure to make a file or a directory at a
// destination the user named (an export, a saved attachment, a
// snapshot), which Creating marks: its ENOENT and EINVAL say something
// of that destination, where a read's say the file is not there.
type CreateError struct{ Err error }

func (e *CreateError) Error() string { return e.Err.Error() }

func (e *CreateError) Unwrap() error { return e.Err }

// Creating marks err, when not nil, as the failure to create a
// destination (CreateError).
func Creating(err error) error {
	if err == nil {
		return nil
	}
	return &CreateError{Err: err}
}

// creating reports whether err is a destination's creation that failed:
// marked by Creating, or a mkdir.
func creating(err error) bool {
	var ce *CreateError
	var pe *fs.PathError
	return errors.As(err, &ce) || errors.As(err, &pe) && pe.Op == "mkdir"
}

// RedactURL is endpoint as it may be shown or recorded: a password in it
// (http://user:password@host) replaced by "xxxxx" (url.URL.Redacted);
// endpoint itself when it does not parse.
func RedactURL(endpoint string) string {
	if u, err := url.Parse(endpoint); err == nil {
		return u.Redacted()
	}
	return endpoint
}

// Origins says where a mailbox's S3 settings came from, in the words a
// hint names them: "--bucket", "bucket in FILE [mailbox.NAME]",
// "AWS_REGION". An empty field is named by its flag, as most values come
// from one.
type Origins struct {
	Bucket, Prefix, Region, Endpoint string
	// Inventory is where the S3 Inventory URL came from (its bucket is
	// the one inventory reads go to).
	Inventory string
	// Profile is the shared config profile the AWS configuration was
	// loaded with (its name; "" for none named: "default"), for a hint on
	// credentials taken from it.
	Profile string
}

// BucketFrom names where the bucket was set.
func (o Origins) BucketFrom() string { return or(o.Bucket, "--bucket") }

// PrefixFrom names where the prefix was set.
func (o Origins) PrefixFrom() string { return or(o.Prefix, "--prefix") }

// RegionFrom names where the region was set.
func (o Origins) RegionFrom() string { return or(o.Region, "--region") }

// InventoryBucketFrom names where the bucket of the inventory reports
// was set: in the inventory URL, given by the flag or the config key.
func (o Origins) InventoryBucketFrom() string {
	return "the inventory URL (" + or(o.Inventory, "--inventory") + ")"
}

// EndpointFrom names where the endpoint was set.
func (o Origins) EndpointFrom() string { return or(o.Endpoint, "--endpoint") }

func or(v, flag string) string {
	if v == "" {
		return flag
	}
	return v
}

// ReachHint says what to check when err is a failure to reach an
// endpoint (refused, no such host, reset, unreachable), naming the
// endpoint the request went to (else where) and where it and the region
// were set (flag, region: see Origins); "" for any other error. A host of
// AWS's own (*.amazonaws.com) is the one the region chose, no endpoint
// having been set: the region and the network are what to check.
func ReachHint(err error, where, flag, region string) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil && u.Host != "" {
			where = u.Scheme + "://" + u.Host
			if h := u.Hostname(); strings.HasSuffix(h, ".amazonaws.com") || strings.HasSuffix(h, ".amazonaws.com.cn") {
				flag = ""
			}
		}
	}
	check := "check " + flag
	if flag == "" {
		check = "check the network"
	}
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused: " + where + " — " + check
	case errors.As(err, &dnsErr) && flag == "":
		return "no such host: " + where + " — check " + region + " and the network"
	case errors.As(err, &dnsErr):
		return "no such host: " + where + " — check " + flag + " and " + region
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		if flag == "" {
			return "cannot reach " + where + " — check the network"
		}
		return "cannot reach " + where + " — check " + flag + " and the network"
	}
	return ""
}

// ClockHint is the hint for a request AWS refused for the time it was
// signed at (S3's RequestTimeTooSkewed; "Signature expired" or "not yet
// current" from the JSON services: DynamoDB, SQS, SES, CloudWatch Logs,
// KMS), which this machine's clock being off causes; "" for any other
// error. The SDK corrects its clock by the Date of such an answer and
// retries, so this is what is left: a call sent once (an SES send) or an
// answer without a Date. It reads the error the way smithy.APIError
// exposes it, as QuotaUsedUp does.
func ClockHint(err error) string {
	var ae interface {
		ErrorCode() string
		ErrorMessage() string
	}
	if !errors.As(err, &ae) {
		return ""
	}
	m := strings.ToLower(ae.ErrorMessage())
	switch ae.ErrorCode() {
	case "RequestTimeTooSkewed":
	case "InvalidSignatureException", "SignatureDoesNotMatch", "AuthFailure", "RequestExpired":
		if !strings.Contains(m, "signature expired") && !strings.Contains(m, "not yet current") && !strings.Contains(m, "request time") {
			return ""
		}
	default:
		return ""
	}
	return "AWS refused the request for the time it was signed at: this machine's clock is off (it reads " +
		time.Now().UTC().Format("2006-01-02 15:04 UTC") + ") — set the clock right (timedatectl set-ntp true), then try again"
}
