// Package mailstore holds the domain types shared by every part of sesbox:
// what a stored message looks like in a listing, and the small interfaces
// behind which storage and sending live. It knows nothing of AWS or the screen.
package mailstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path"
	"strconv"
	"strings"
	"time"
)

// Location names one mailbox: a bucket and a key prefix inside it.
type Location struct {
	Bucket string
	Prefix string
}

// String renders the location as an s3:// URL, for messages and errors.
func (l Location) String() string { return "s3://" + l.Bucket + "/" + l.Prefix }

// ObjectName is how every message and error names one object: its s3://
// URL in Go's double quotes (strconv.Quote), so a key with a blank, a
// line break, an escape sequence or a bidi control reads as one name,
// exactly, and none of it acts on the terminal.
func ObjectName(bucket, key string) string { return strconv.Quote("s3://" + bucket + "/" + key) }

// Object is what a listing of the bucket says about one stored object.
type Object struct {
	Key          string
	ETag         string // without quotes
	Size         int64
	LastModified time.Time
	VersionID    string // empty unless read from a versioned listing
	// Metadata is what a GET of the object says of it besides its bytes,
	// by lowercase header name: the content headers, x-amz-meta-* and the
	// server-side encryption (see s3store.Open). Nil when not read (a
	// listing), or when the store cannot tell.
	Metadata map[string]string
}

// Address is one parsed mailbox. Both fields are already decoded (RFC 2047)
// but not sanitized: callers that print pass them through sanitize.
type Address struct {
	Name    string `json:"name,omitempty"`
	Address string `json:"address"`
}

// String renders the address the way a mail client shows it.
func (a Address) String() string {
	switch {
	case a.Name == "":
		return a.Address
	case a.Address == "":
		return a.Name
	default:
		return a.Name + " <" + a.Address + ">"
	}
}

// Verdicts are SES's receipt checks, upper-case as SES writes them
// (PASS, FAIL, GRAY, NONE, PROCESSING_FAILED, ...). Empty means the header
// was absent.
type Verdicts struct {
	Spam  string
	Virus string
	SPF   string
	DKIM  string
	DMARC string
}

// Failed reports whether SES judged the message as spam or carrying a virus.
func (v Verdicts) Failed() bool { return v.Spam == "FAIL" || v.Virus == "FAIL" }

// Kind says what sort of object a summary describes.
type Kind int

const (
	// KindMail is an ordinary stored message.
	KindMail Kind = iota
	// KindSetupNotification is the AMAZON_SES_SETUP_NOTIFICATION object SES
	// writes when a receipt rule is created.
	KindSetupNotification
	// KindForeign is an object that does not look like mail at all.
	KindForeign
)

// The kinds of delivery report (Summary.Report, `ls --json`'s "report",
// the query's is:bounce, is:delay, is:complaint).
const (
	ReportBounce    = "bounce"    // a DSN saying delivery failed
	ReportDelay     = "delay"     // a DSN saying delivery is delayed and still tried
	ReportDelivered = "delivered" // a DSN confirming delivery (or relay)
	ReportComplaint = "complaint" // an ARF feedback report (spam complaint, fraud, ...)
)

// The forward statuses (Forward.Status, `ls --json`'s "forwardStatus",
// the query's forward:).
const (
	ForwardForwarded = "forwarded" // the Lambda sent it (a later success after a failure too)
	ForwardFailed    = "failed"    // every invocation for it failed
	ForwardSkipped   = "skipped"   // the Lambda found no mapping for its recipients
	ForwardNone      = "none"      // no invocation for it while the log covers its time
	ForwardUnknown   = "unknown"   // older than the log's retention, or too recent to tell
)

// ForwardBadge is the list's mark for a forward status that needs a look:
// "[fwd failed] " and "[fwd none] "; "" for the others.
func ForwardBadge(status string) string {
	switch status {
	case ForwardFailed, ForwardNone:
		return "[fwd " + status + "] "
	}
	return ""
}

// Forward is what the forwarding Lambda's CloudWatch log says it did with
// a message (see mailstore/fwdlog).
type Forward struct {
	Status string
	// Error is the Lambda's or the runtime's reason for a failure (or the
	// recipients without a mapping), sanitized.
	Error string
	// Destinations are where the Lambda sent it (or tried to).
	Destinations []string
	// Time is when it was sent, or when the deciding invocation started.
	Time time.Time
	// Requests are the request ids of the invocations for it, oldest first.
	Requests []string
}

// Summary is everything the list needs about one message, parsed from its
// header block alone.
type Summary struct {
	Object

	Kind Kind
	// Date is the Date header; when that is missing or unparsable it is the
	// object's LastModified and DateFromStore is set.
	Date          time.Time
	DateFromStore bool

	From       Address
	To         []Address
	Cc         []Address
	ReplyTo    []Address
	Recipients []string // SES envelope recipients, from "Received: ... for <addr>"
	Subject    string
	MessageID  string // without angle brackets
	InReplyTo  string // without angle brackets
	References []string

	// Attachments is exact when AttachmentsExact (the message was read
	// whole, which the first ranged read of most mail already is);
	// otherwise it is a lower bound: the attachments among the parts whose
	// header lay in the bytes read (mime.CountAttachments). Either way it
	// is 0 only when the message has no attachment, so the @ flag and
	// has:attachment never change when the message is opened.
	Attachments      int
	AttachmentsExact bool

	Verdicts Verdicts

	// Report is the kind of delivery report the message is (ReportBounce,
	// ReportDelay, ReportDelivered, ReportComplaint), "" for other mail;
	// from the header (multipart/report's report-type, the subject).
	Report string

	// Forward is what the forwarding Lambda's log says it did with the
	// message (empty Status when no log group is configured).
	Forward Forward

	Read    bool // kept in the local index, never in the bucket
	Missing bool // the object has vanished from the bucket since indexing
	// HeadersPending is set for a row known only from an S3 Inventory
	// report: key, size, ETag and the object's date (DateFromStore), its
	// header block not read yet. No header field (sender, subject,
	// recipients, verdicts) is known, so no query on one can match it.
	HeadersPending bool
	// Warnings are problems met while parsing the header.
	Warnings []string
}

// SESMessageID is the last path segment of an object key: SES names objects
// prefix + message id, and sometimes adds a "/" after a prefix that lacks one.
func SESMessageID(key string) string { return path.Base(strings.TrimRight(key, "/")) }

// maxDateAhead is how far after SES stored a message its Date header may
// be and still list it: a clock some hours fast, a zone written wrong.
const maxDateAhead = 24 * time.Hour

// SettleDate gives a summary its date: the Date header, or the object's
// stored time (DateFromStore) when the Date is missing, unparsable (zero)
// or more than maxDateAhead after the message was stored, which it cannot
// have been sent at: a Date in 2199 kept a message at the top of every
// list sorted newest first, above all the mail that came after it. SES
// stores a message as it arrives; the sender writes its Date. Sorting,
// after:/before: and the list then use the stored time, and a warning
// names the Date given; SettleDate returns it, for a View to show.
func (s *Summary) SettleDate() (warning string) {
	stored := s.LastModified
	switch {
	case s.Date.IsZero():
	case !stored.IsZero() && s.Date.Sub(stored) > maxDateAhead:
		warning = fmt.Sprintf("Date %s is after the message was stored (%s): it is listed by the stored time",
			s.Date.Format(time.RFC1123Z), stored.UTC().Format(time.RFC1123Z))
		s.Warnings = append(s.Warnings, warning)
	default:
		return ""
	}
	s.Date, s.DateFromStore = stored, true
	return warning
}

// PlausibleTime says whether t is a time a stored message, an S3 object
// or an SES notification can carry: from 1970 up to 2200. Times outside
// are junk, and the index keeps times as Unix nanoseconds (1678 to 2262).
func PlausibleTime(t time.Time) bool { return t.Year() >= 1970 && t.Year() < 2200 }

// HasDotSegment says whether key has a "." or ".." path segment. S3 keeps
// such a key as it is, but anything on the way that cleans paths (a proxy,
// a gateway over a file system) would read another object, possibly
// outside the prefix the key starts with. SES never writes one, nor does
// S3 Inventory name its data files so.
func HasDotSegment(key string) bool {
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// Store is read access to one mailbox in object storage. Implementations
// never write to the bucket.
type Store interface {
	Location() Location
	// List calls fn with pages of objects under the prefix until all are
	// listed or fn returns an error. Pages may arrive from several
	// goroutines, but fn is never called concurrently.
	List(ctx context.Context, fn func([]Object) error) error
	// ReadHeader returns the first bytes of the object: its whole header
	// block (up to and including the blank line) followed by whatever of
	// the body the same read brought, possibly none. It reads as little of
	// the object as it can. mime.HeaderEnd finds where the header ends.
	ReadHeader(ctx context.Context, key string) ([]byte, Object, error)
	// Read returns the whole stored object.
	Read(ctx context.Context, key string) ([]byte, Object, error)
}

// ErrNotFound is returned (wrapped) when a key names no object.
var ErrNotFound = errors.New("no such message")

// ErrUnsupported is returned (wrapped) when the server does not implement
// a call (an S3 work-alike without the versions or configuration APIs).
var ErrUnsupported = errors.New("not implemented by the server")

// ErrEncrypted is returned (wrapped, with the reason) for objects SES stored
// with client-side KMS encryption (the S3 action's KMS option) that could
// not be decrypted: no KMS client, KMS refused, or an envelope that is not
// SES's. Their stored bytes are ciphertext.
var ErrEncrypted = errors.New("the object is encrypted client-side with KMS (the receipt rule's S3 action has a KMS key) and could not be decrypted")

// ErrDotSegment is returned (wrapped) by a Store asked to read a key with a
// "." or ".." segment (see HasDotSegment), before any request is made:
// such a key stays listed, but reading it from a gateway that cleans
// paths would show, save, forward or answer another message.
var ErrDotSegment = errors.New(`the key has a "." or ".." path segment, which an S3 gateway that cleans paths (versitygw) reads as another object; it is listed but never read`)

// ErrNotWhole is returned (wrapped, with the digests) by a Store whose
// read of a whole object gave bytes that do not match what S3 says of the
// object (its ETag when that is an MD5, its additional checksum): an
// answer cut short under a Content-Length rewritten to agree, or changed
// on the way. The bytes are never returned as the message.
var ErrNotWhole = errors.New("the bytes read do not match the object's ETag or checksum")

// Quota is the account's sending limits, as SES reports them.
type Quota struct {
	MaxSendRate     float64 // messages per second
	Max24HourSend   float64
	SentLast24Hours float64
}

// Remaining is how many more messages may be sent in the current 24 hours.
func (q Quota) Remaining() float64 { return q.Max24HourSend - q.SentLast24Hours }

// QuotaUsedUp reports whether err is SES refusing a send because the
// account's 24-hour sending quota is used up: a throttling error
// ("ThrottlingException – Daily message quota exceeded", as the SES
// guide names it) that no back-off within a run cures, unlike "Maximum
// sending rate exceeded". It reads the error the way smithy.APIError
// exposes it, so the packages free of the AWS SDK can ask too.
func QuotaUsedUp(err error) bool {
	var ae interface {
		ErrorCode() string
		ErrorMessage() string
	}
	return errors.As(err, &ae) && strings.Contains(strings.ToLower(ae.ErrorMessage()), "daily message quota exceeded")
}

// ErrEverySendRefused is in the chain of an SES refusal every other send
// would meet too (sending paused for the account, the account suspended,
// access denied, a configuration set the region does not have): a run
// of many sends stops at the first.
var ErrEverySendRefused = errors.New("SES refuses every send")

// ErrMessageRefused is in the chain of an SES refusal of the message
// itself, which SES would give it again however often it is sent
// (MessageRejected for its content or for a recipient the sandbox does
// not take, a message SES reads as malformed: BadRequestException): a
// run records it refused, goes on with the next, and a later run sends
// it again only when asked (sesbox forward --retry-refused).
var ErrMessageRefused = errors.New("SES refuses this message")

// UnverifiedIdentities reads SES's MessageRejected for identities that
// are not verified ("Email address is not verified. The following
// identities failed the check in region US-EAST-1: a@x.example,
// b@y.example"): the region and the identities it names, ok false for
// any other error. A sender's own address among them refuses every send
// from it; a recipient's (in the sandbox) that message only. It reads
// the error the way smithy.APIError exposes it, as QuotaUsedUp does.
func UnverifiedIdentities(err error) (region string, ids []string, ok bool) {
	var ae interface {
		ErrorCode() string
		ErrorMessage() string
	}
	if !errors.As(err, &ae) || ae.ErrorCode() != "MessageRejected" {
		return "", nil, false
	}
	m := ae.ErrorMessage()
	if !strings.Contains(strings.ToLower(m), "not verified") {
		return "", nil, false
	}
	const in = "failed the check in region "
	i := strings.Index(m, in)
	if i < 0 {
		return "", nil, true
	}
	region, list, _ := strings.Cut(m[i+len(in):], ":")
	for _, id := range strings.Split(list, ",") {
		if id = strings.TrimSuffix(strings.TrimSpace(id), "."); id != "" {
			ids = append(ids, id)
		}
	}
	return strings.TrimSpace(region), ids, true
}

// ErrEveryReadRefused is in the chain of an S3 refusal every other read
// of the bucket would meet too (the credentials rejected: a session
// token that expired mid-run, a wrong key): a run of many reads stops at
// the first.
var ErrEveryReadRefused = errors.New("S3 refuses every read")

// MaxDestinations is how many recipients SES takes in one message (To, Cc
// and Bcc together, one SendEmail call).
const MaxDestinations = 50

// Sender sends finished raw messages (SES in production).
type Sender interface {
	// SendRaw sends raw to the envelope destinations and returns the
	// provider's message id. raw is sent as it is.
	SendRaw(ctx context.Context, destinations []string, raw []byte) (string, error)
	// Quota reads the account's current sending limits.
	Quota(ctx context.Context) (Quota, error)
}

// NotAccepted reports whether a SendRaw error says the message was
// certainly not accepted: the provider answered with an HTTP 4xx, or the
// connection could not even be opened. A 5xx answer, a connection dropped
// once the request was on its way, or a time-out leave the outcome
// unknown: the provider may have taken the message, and sending it again
// may deliver it twice.
func NotAccepted(err error) bool {
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		if c := re.HTTPStatusCode(); c >= 400 && c < 500 {
			return true
		}
	}
	// The SDK's error for a request never sent has a status too: 0.
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// CheckSentPrefix validates a mailbox's sent_prefix: it must not overlap
// the inbound prefix either way, or a copy stored there would show up as
// received mail (or received mail would be taken for sent).
func CheckSentPrefix(inbound, sent string) error {
	if strings.HasPrefix(sent, inbound) || strings.HasPrefix(inbound, sent) {
		return fmt.Errorf("sent_prefix %q overlaps the mailbox's prefix %q: sent copies must be kept apart from received mail (e.g. prefix = \"inbound/\", sent_prefix = \"sent/\")", sent, inbound)
	}
	return nil
}
