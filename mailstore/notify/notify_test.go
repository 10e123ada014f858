package notify

import (
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
)

func readFixture() ([]byte, error) {
	return os.ReadFile("../../testdata/notifications/received-s3.json")
}

func fixture(t *testing.T) []byte {
	t.Helper()
	b, err := readFixture()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func snsWrap(t *testing.T, msg []byte) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]string{"Type": "Notification", "MessageId": "x", "TopicArn": "arn:aws:sns:us-east-1:1:t", "Message": string(msg)})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A notification names its object alike raw and wrapped by SNS; only
// the SNS envelope says the topic.
func TestParseNamesTheObject(t *testing.T) {
	for name, tc := range map[string]struct {
		body  []byte
		topic string
	}{"raw": {fixture(t), ""}, "sns": {snsWrap(t, fixture(t)), "arn:aws:sns:us-east-1:1:t"}} {
		t.Run(name, func(t *testing.T) {
			n, err := Parse(tc.body)
			if err != nil {
				t.Fatal(err)
			}
			if n.Bucket() != "mail" || n.Key() != "inbox/o3vrnil0e2ic28trm7dakrc2v0clambda4nbp0g1" || n.TopicArn != tc.topic || n.CheckKey() != nil {
				t.Fatalf("s3://%s/%s from topic %q, key check %v", n.Bucket(), n.Key(), n.TopicArn, n.CheckKey())
			}
		})
	}
}

func TestNonReceiptMessagesAreRecognised(t *testing.T) {
	for name, body := range map[string]string{
		"junk":         "hello",
		"subscription": `{"Type":"SubscriptionConfirmation","Message":"You have chosen to subscribe"}`,
		"unsubscribe":  `{"Type":"UnsubscribeConfirmation","Message":"You have chosen to deactivate subscription"}`,
		// An SNS envelope around a receipt notification, of another type.
		"sns other type": `{"Type":"SubscriptionConfirmation","Message":` + strconv.Quote(string(fixture(t))) + `}`,
		"bounce":         `{"notificationType":"Bounce","bounce":{}}`,
		"sns-action":     `{"notificationType":"Received","receipt":{"action":{"type":"SNS"}}}`,
		"test":           `{"Type":"Notification","Message":"{\"eventType\":\"AMAZON_SES_SETUP_NOTIFICATION\"}"}`,
		// An S3 event notification of the same object (its key URL-encoded):
		// not SES's account of the message, so not read (docs/scale.md).
		"s3 event": `{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"mail"},` +
			`"object":{"key":"inbox/o3vrnil0e2ic28trm7dakrc2v0clambda4nbp0g1","size":1024,"eTag":"0f"}}}]}`,
		"s3 event via sns": `{"Type":"Notification","TopicArn":"arn:aws:sns:us-east-1:1:s3","Message":"{\"Records\":[{\"eventSource\":\"aws:s3\"}]}"}`,
	} {
		if _, err := Parse([]byte(body)); !errors.Is(err, ErrNotReceipt) {
			t.Errorf("%s: err %v, want ErrNotReceipt", name, err)
		}
	}
}

func TestSetupNotificationIsRecognised(t *testing.T) {
	for _, body := range []string{
		`{"notificationType":"AMAZON_SES_SETUP_NOTIFICATION","receipt":{}}`,
		string(snsWrap(t, []byte(`{"eventType":"AMAZON_SES_SETUP_NOTIFICATION"}`))),
		// A "Received" notification of the test object SES writes.
		`{"notificationType":"Received","mail":{"messageId":"AMAZON_SES_SETUP_NOTIFICATION"},"receipt":{"action":{"type":"S3","bucketName":"mail","objectKey":"inbox/AMAZON_SES_SETUP_NOTIFICATION"}}}`,
		string(snsWrap(t, []byte(`{"notificationType":"Received","mail":{"messageId":"x"},"receipt":{"action":{"type":"S3","bucketName":"mail","objectKey":"AMAZON_SES_SETUP_NOTIFICATION"}}}`))),
	} {
		if _, err := Parse([]byte(body)); !errors.Is(err, ErrSetupNotification) || !errors.Is(err, ErrNotReceipt) {
			t.Errorf("%s: err %v, want ErrSetupNotification", body, err)
		}
	}
}

// SES writes prefix + message id; a notification naming anything else
// (forged, or broken on the way) is not indexed.
func TestCheckKey(t *testing.T) {
	const id = "o3vrnil0e2ic28trm7dakrc2v0clambda4nbp0g1"
	for key, ok := range map[string]bool{
		"inbox/" + id:                  true,
		id:                             true,
		"a/b/c/" + id:                  true,
		"inbox/../private/" + id:       false,
		"inbox/./" + id:                false,
		"inbox/\x1b[2J/" + id:          false,
		"inbox/\r\n" + id:              false,
		"inbox/other":                  false,
		"inbox/" + id + "/../x":        false,
		"inbox/\xff" + id:              false,
		strings.Repeat("p", 1000) + id: false,
	} {
		var n Notification
		n.Mail.MessageID = id
		n.Receipt.Action.ObjectKey = key
		if err := n.CheckKey(); (err == nil) != ok {
			t.Errorf("%q: err %v, want ok=%t", key, err, ok)
		}
	}
	var n Notification
	n.Mail.MessageID = "../x"
	n.Receipt.Action.ObjectKey = "inbox/../x"
	if n.CheckKey() == nil {
		t.Error("a message id that is not SES's was accepted")
	}
}

// withFixture returns the fixture notification changed by change.
func withFixture(t *testing.T, change func(mail, receipt map[string]any)) Notification {
	t.Helper()
	var raw map[string]any
	if err := json.Unmarshal(fixture(t), &raw); err != nil {
		t.Fatal(err)
	}
	change(raw["mail"].(map[string]any), raw["receipt"].(map[string]any))
	b, err := json.Marshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	n, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Only the fields that name the object are read: one of another type
// anywhere else in the notification costs the mailbox nothing (before,
// each was parsed for a summary no one used, and such a notification
// gave a row without headers). A notification whose object cannot be
// told is not a receipt notification at all.
func TestFieldsOfAnotherTypeElsewhereAreNotRead(t *testing.T) {
	for name, change := range map[string]func(m, r map[string]any){
		"headers not a list":       func(m, _ map[string]any) { m["headers"] = "From: x" },
		"header value a number":    func(m, _ map[string]any) { m["headers"].([]any)[0].(map[string]any)["value"] = 5 },
		"commonHeaders.from":       func(m, _ map[string]any) { m["commonHeaders"].(map[string]any)["from"] = "a@b" },
		"recipients not a list":    func(_, r map[string]any) { r["recipients"] = "support@acme-demo.example" },
		"verdict a string":         func(_, r map[string]any) { r["spamVerdict"] = "PASS" },
		"mail timestamp not one":   func(m, _ map[string]any) { m["timestamp"] = "yesterday" },
		"headersTruncated string":  func(m, _ map[string]any) { m["headersTruncated"] = "false" },
		"receipt timestamp number": func(_, r map[string]any) { r["timestamp"] = 12 },
		"year 9999": func(m, r map[string]any) {
			m["timestamp"], r["timestamp"] = "9999-12-31T23:59:59.000Z", "9999-12-31T23:59:59.000Z"
		},
	} {
		t.Run(name, func(t *testing.T) {
			n := withFixture(t, change)
			if n.Key() != "inbox/o3vrnil0e2ic28trm7dakrc2v0clambda4nbp0g1" || n.Bucket() != "mail" || n.CheckKey() != nil {
				t.Fatalf("s3://%s/%s, key check %v", n.Bucket(), n.Key(), n.CheckKey())
			}
		})
	}
	for name, body := range map[string]string{
		"key a number":     `{"notificationType":"Received","mail":{"messageId":"a","headers":5},"receipt":{"action":{"type":"S3","bucketName":"mail","objectKey":5}}}`,
		"mail a string":    `{"notificationType":"Received","mail":"x","receipt":{"action":{"type":"S3","bucketName":"mail","objectKey":"inbox/a"}}}`,
		"action a list":    `{"notificationType":"Received","mail":{"headers":5},"receipt":{"action":[]}}`,
		"no action":        `{"notificationType":"Received","mail":{"headers":5}}`,
		"another type":     `{"notificationType":"Bounce","mail":{"headers":5},"receipt":{"action":{"type":"S3","bucketName":"mail","objectKey":"inbox/a"}}}`,
		"sns message list": `{"Type":"Notification","Message":["x"]}`,
		"not an object":    `["Received"]`,
		"null":             `null`,
	} {
		if _, err := Parse([]byte(body)); !errors.Is(err, ErrNotReceipt) {
			t.Errorf("%s: err %v, want ErrNotReceipt", name, err)
		}
	}
}
