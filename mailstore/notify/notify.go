// Package notify reads the notifications a SES receipt rule's S3 action
// publishes (to SNS, subscribed to an SQS queue), so new mail shows
// without listing the bucket.
//
// A notification read as SES wrote it is SES's account of the message:
// its receipt.recipients are the envelope recipients and its verdicts
// SES's, so Summary takes them from there and never from the message's
// headers. But whoever may send to the queue can write one: the mailbox
// (mailbox.Poll) takes a notification only as word that an object is
// stored, and indexes the object's own header block.
package notify

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	stdmime "mime"
	"path"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sesbox/sesbox/internal/lazyregexp"
	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/mime"
)

// Notification is the part of a SES "Received" notification sesbox uses.
type Notification struct {
	NotificationType string `json:"notificationType"`
	EventType        string `json:"eventType"` // only in SES's setup test notification
	Mail             struct {
		Timestamp        time.Time `json:"timestamp"`
		MessageID        string    `json:"messageId"` // SES's id: the object's name
		Destination      []string  `json:"destination"`
		HeadersTruncated bool      `json:"headersTruncated"`
		Headers          []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"headers"`
		CommonHeaders struct {
			From      []string `json:"from"`
			To        []string `json:"to"`
			Cc        []string `json:"cc"`
			ReplyTo   []string `json:"replyTo"`
			Date      string   `json:"date"`
			MessageID string   `json:"messageId"`
			Subject   string   `json:"subject"`
		} `json:"commonHeaders"`
	} `json:"mail"`
	Receipt struct {
		Timestamp    time.Time `json:"timestamp"`
		Recipients   []string  `json:"recipients"`
		SpamVerdict  verdict   `json:"spamVerdict"`
		VirusVerdict verdict   `json:"virusVerdict"`
		SPFVerdict   verdict   `json:"spfVerdict"`
		DKIMVerdict  verdict   `json:"dkimVerdict"`
		DMARCVerdict verdict   `json:"dmarcVerdict"`
		Action       action    `json:"action"`
	} `json:"receipt"`

	// TopicArn is the SNS topic the notification came through, from
	// SNS's envelope; "" for a body sent without one (raw message
	// delivery, or sent to the queue directly).
	TopicArn string `json:"-"`

	// Unreadable says why the notification could be read only in part:
	// a field of another type than SES writes. Only the fields that say
	// which object it is were taken (see Parse).
	Unreadable string `json:"-"`
	// Implausible are the timestamps Parse left out (year 9999, year 1):
	// not times SES gives, and out of the index's range.
	Implausible []string `json:"-"`
}

type action struct {
	Type       string `json:"type"`
	BucketName string `json:"bucketName"`
	ObjectKey  string `json:"objectKey"`
}

// route is what names the object a notification is about, read alone
// when the rest of the notification cannot be; timestamps are taken
// where they read as SES writes them.
type route struct {
	NotificationType string `json:"notificationType"`
	Mail             struct {
		MessageID string `json:"messageId"`
		Timestamp any    `json:"timestamp"`
	} `json:"mail"`
	Receipt struct {
		Timestamp any    `json:"timestamp"`
		Action    action `json:"action"`
	} `json:"receipt"`
}

type verdict struct {
	Status string `json:"status"`
}

// sesStatuses are the statuses SES gives a verdict. Anything else in a
// notification was not written by SES, and a verdict is what decides
// whether a message is shown as spam or a virus, or filtered by one.
var sesStatuses = map[string]bool{"PASS": true, "FAIL": true, "GRAY": true, "PROCESSING_FAILED": true, "DISABLED": true}

// snsEnvelope is the wrapper SNS puts around a message delivered to SQS
// without raw message delivery.
type snsEnvelope struct {
	Type     string `json:"Type"`
	Message  string `json:"Message"`
	TopicArn string `json:"TopicArn"`
}

// ErrNotReceipt is returned (wrapped) for a queue message that is not a
// SES receipt notification for an S3 action: the SNS subscription
// confirmation, a test message, another service's notification.
var ErrNotReceipt = errors.New("not a SES receipt notification for an S3 action")

// ErrSetupNotification is returned (wrapped, with ErrNotReceipt) for the
// test message SES publishes to a topic when a rule is set up to use it:
// it is addressed to no mailbox.
var ErrSetupNotification = errors.New("the SES setup test notification")

// Parse reads a queue message body: a SES notification as SNS delivers it
// (wrapped in its JSON envelope) or with raw message delivery on.
func Parse(body []byte) (Notification, error) {
	var env snsEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		return Notification{}, fmt.Errorf("%w: %v", ErrNotReceipt, err)
	}
	if env.Type != "" {
		if env.Type != "Notification" {
			return Notification{}, fmt.Errorf("%w: SNS %.40s", ErrNotReceipt, env.Type)
		}
		body = []byte(env.Message)
	}
	var n Notification
	if err := json.Unmarshal(body, &n); err != nil {
		// One field of another type (a header list that is not a list, a
		// timestamp that is not one) must not cost the mailbox the
		// message: left in the queue it would come back until a redrive
		// policy took it, and deleted it would be lost. Read what names
		// the object, and the summary is a row whose headers are read from
		// the object (Summary).
		var r route
		if json.Unmarshal(body, &r) != nil {
			return Notification{}, fmt.Errorf("%w: %v", ErrNotReceipt, err)
		}
		n = Notification{NotificationType: r.NotificationType, Unreadable: typeProblem(err)}
		n.Mail.MessageID, n.Mail.Timestamp = r.Mail.MessageID, timestamp(r.Mail.Timestamp)
		n.Receipt.Action, n.Receipt.Timestamp = r.Receipt.Action, timestamp(r.Receipt.Timestamp)
	}
	for name, ts := range map[string]*time.Time{"mail.timestamp": &n.Mail.Timestamp, "receipt.timestamp": &n.Receipt.Timestamp} {
		if !ts.IsZero() && !mailstore.PlausibleTime(*ts) {
			n.Implausible = append(n.Implausible, fmt.Sprintf("%s %s", name, ts.Format(time.RFC3339)))
			*ts = time.Time{}
		}
	}
	slices.Sort(n.Implausible)
	// SES's test is also a "Received" notification of the test object it
	// writes (prefix + AMAZON_SES_SETUP_NOTIFICATION) under that id.
	if n.NotificationType == setupType || n.EventType == setupType || n.Mail.MessageID == setupType ||
		path.Base(n.Receipt.Action.ObjectKey) == setupType {
		return Notification{}, fmt.Errorf("%w: %w", ErrNotReceipt, ErrSetupNotification)
	}
	if n.NotificationType != "Received" || !strings.EqualFold(n.Receipt.Action.Type, "S3") ||
		n.Receipt.Action.BucketName == "" || n.Receipt.Action.ObjectKey == "" {
		return Notification{}, fmt.Errorf("%w (type %.40q, action %.40q)", ErrNotReceipt, n.NotificationType, n.Receipt.Action.Type)
	}
	n.TopicArn = env.TopicArn
	return n, nil
}

const setupType = "AMAZON_SES_SETUP_NOTIFICATION"

// typeProblem says which field of a notification is not of SES's type,
// in the notification's own terms where it can.
func typeProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Sprintf("%s is a JSON %s", strings.TrimPrefix(te.Field, "."), te.Value)
	}
	var pe *time.ParseError
	if errors.As(err, &pe) {
		return fmt.Sprintf("timestamp %.40q is not one", pe.Value)
	}
	return err.Error()
}

// timestamp reads a timestamp as SES writes one, or gives the zero time.
func timestamp(v any) time.Time {
	s, _ := v.(string)
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// sesID is what SES names a stored message: its message id.
var sesID = lazyregexp.New(`^[A-Za-z0-9]{1,128}$`)

// CheckKey says what is wrong with the object key, if anything. SES
// stores a message under its action's prefix and its message id, so the
// key ends in mail.messageId; a key that does not, or holds a control
// character or a "." or ".." segment, was not written by SES, and what
// else it names is not for the mailbox to index.
func (n Notification) CheckKey() error {
	k, id := n.Key(), n.Mail.MessageID
	switch {
	case !sesID().MatchString(id) || !strings.HasSuffix(k, id):
		return fmt.Errorf("object key %.200q is not a prefix and the SES message id %.140q", k, id)
	case len(k) > 1024 || !utf8.ValidString(k) || strings.ContainsFunc(k, unicode.IsControl) || mailstore.HasDotSegment(k):
		return fmt.Errorf("object key %.200q is not one SES writes", k)
	}
	return nil
}

// Bucket and Key name the stored object.
func (n Notification) Bucket() string { return n.Receipt.Action.BucketName }

// Key is the object's key (prefix + SES message id).
func (n Notification) Key() string { return n.Receipt.Action.ObjectKey }

// Summary is the list entry for the stored message, built from the
// notification alone. The object's size and ETag are not in a
// notification: they stay empty until the next listing fills them in
// (without reading the object: see index.Refresh).
func (n Notification) Summary() mailstore.Summary {
	if n.Unreadable != "" {
		// The row an inventory gives (index.Ingest): the headers are read
		// from the object by the next index or the TUI (FillHeaders).
		s := mailstore.Summary{Object: mailstore.Object{Key: n.Key(), LastModified: n.Receipt.Timestamp}, HeadersPending: true, DateFromStore: true}
		if s.LastModified.IsZero() {
			s.LastModified = n.Mail.Timestamp
		}
		s.Date = s.LastModified
		s.Warnings = append([]string{fmt.Sprintf("SES's notification could be read only in part (%.200s): the headers are read from the object", n.Unreadable)},
			n.implausible()...)
		return s
	}
	var hdr strings.Builder
	seen := map[string]bool{}
	for _, h := range n.Mail.Headers {
		// Header values from the notification are single lines; a line
		// break in one would start a field of the sender's choosing, so
		// none is let through.
		// A name that is not one (a blank, a control or a colon in it)
		// would end the header block there, losing the fields after it,
		// or fold into the field before.
		if !mime.IsFieldName(h.Name) {
			continue
		}
		name, value := h.Name, strings.Map(dropBreaks, h.Value)
		seen[strings.ToLower(name)] = true
		hdr.WriteString(name + ": " + value + "\r\n")
	}
	if len(n.Mail.Headers) == 0 || n.Mail.HeadersTruncated {
		// SES cuts the list of headers past 10 KB, and From and Subject
		// come after the Received and DKIM lines: what the list lacks,
		// commonHeaders (SES's parse of the whole header) gives.
		c := n.Mail.CommonHeaders
		add := func(name string, vs ...string) {
			if len(vs) > 0 && vs[0] != "" && !seen[strings.ToLower(name)] {
				hdr.WriteString(name + ": " + strings.Map(dropBreaks, strings.Join(vs, ", ")) + "\r\n")
			}
		}
		add("From", c.From...)
		add("To", c.To...)
		add("Cc", c.Cc...)
		add("Reply-To", c.ReplyTo...)
		add("Date", c.Date)
		add("Message-ID", c.MessageID)
		if c.Subject != "" {
			add("Subject", encodeSubject(strings.Map(dropBreaks, c.Subject)))
		}
	}
	hdr.WriteString("\r\n")
	obj := mailstore.Object{Key: n.Key(), LastModified: n.Receipt.Timestamp}
	if obj.LastModified.IsZero() {
		obj.LastModified = n.Mail.Timestamp
	}
	s := mime.Summarize([]byte(hdr.String()))
	s.Object = obj
	if s.Date.IsZero() {
		s.Date, s.DateFromStore = obj.LastModified, true
	}
	// SES's word, not the headers'.
	rcpts, bad := mime.EnvelopeRecipients(n.Receipt.Recipients)
	s.Recipients = rcpts
	for _, r := range bad {
		s.Warnings = append(s.Warnings, fmt.Sprintf("receipt recipient %.80q is not an address: left out", r))
	}
	status := func(name string, v verdict) string {
		if v.Status == "" || sesStatuses[v.Status] {
			return v.Status
		}
		s.Warnings = append(s.Warnings, fmt.Sprintf("%s verdict %.40q is not one SES gives: left out", name, v.Status))
		return ""
	}
	s.Verdicts = mailstore.Verdicts{
		Spam:  status("spam", n.Receipt.SpamVerdict),
		Virus: status("virus", n.Receipt.VirusVerdict),
		SPF:   status("SPF", n.Receipt.SPFVerdict),
		DKIM:  status("DKIM", n.Receipt.DKIMVerdict),
		DMARC: status("DMARC", n.Receipt.DMARCVerdict),
	}
	if n.Mail.HeadersTruncated {
		s.Warnings = append(s.Warnings, "SES truncated the headers in its notification: the summary is completed when the message is read")
	}
	s.Warnings = append(s.Warnings, n.implausible()...)
	return s
}

// implausible are the warnings for the timestamps Parse left out.
func (n Notification) implausible() []string {
	var out []string
	for _, ts := range n.Implausible {
		out = append(out, fmt.Sprintf("SES's notification has %s, not a time SES gives: left out", ts))
	}
	return out
}

// encodeSubject writes SES's decoded subject so that decoding it gives it
// back: Q-encoded where it needs to be, and as one B-encoded word where it
// holds "=?", which would otherwise be decoded a second time (a subject
// that reads "=?utf-8?q?x?=" became "x").
func encodeSubject(s string) string {
	if strings.Contains(s, "=?") {
		return "=?utf-8?b?" + base64.StdEncoding.EncodeToString([]byte(s)) + "?="
	}
	return stdmime.QEncoding.Encode("utf-8", s)
}

func dropBreaks(r rune) rune {
	if r == '\r' || r == '\n' {
		return ' '
	}
	return r
}
