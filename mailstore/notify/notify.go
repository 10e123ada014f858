// Package notify reads the notifications a SES receipt rule's S3 action
// publishes (to SNS, subscribed to an SQS queue), so new mail shows
// without listing the bucket.
//
// Whoever may send to the queue can write a notification that looks like
// SES's, so one is taken only as word that an object is stored: only the
// fields that name the object are read, and the mailbox (mailbox.Poll)
// indexes the object's own header block.
package notify

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sesbox/sesbox/internal/lazyregexp"
	"github.com/sesbox/sesbox/mailstore"
)

// Notification is the part of a SES "Received" notification sesbox reads:
// what says which object it is about. Nothing else in it is taken (see
// the package comment): the mailbox indexes the object's own header block.
type Notification struct {
	NotificationType string `json:"notificationType"`
	EventType        string `json:"eventType"` // only in SES's setup test notification
	Mail             struct {
		MessageID string `json:"messageId"` // SES's id: the object's name
	} `json:"mail"`
	Receipt struct {
		Action action `json:"action"`
	} `json:"receipt"`

	// TopicArn is the SNS topic the notification came through, from
	// SNS's envelope; "" for a body sent without one (raw message
	// delivery, or sent to the queue directly).
	TopicArn string `json:"-"`
}

type action struct {
	Type       string `json:"type"`
	BucketName string `json:"bucketName"`
	ObjectKey  string `json:"objectKey"`
}

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
	// Only the fields that name the object are read: one of another type
	// elsewhere (a header list that is not a list, a timestamp that is not
	// one) costs nothing, as nothing else is taken from a notification.
	var n Notification
	if err := json.Unmarshal(body, &n); err != nil {
		return Notification{}, fmt.Errorf("%w: %v", ErrNotReceipt, err)
	}
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
