package notify

import (
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore"
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

func TestSummaryTakesRecipientsAndVerdictsFromTheReceipt(t *testing.T) {
	for name, body := range map[string][]byte{"raw": fixture(t), "sns": snsWrap(t, fixture(t))} {
		t.Run(name, func(t *testing.T) {
			n, err := Parse(body)
			if err != nil {
				t.Fatal(err)
			}
			s := n.Summary()
			// The stored headers' own Received hop says "for johndoe@": only
			// the receipt speaks for SES.
			if strings.Join(s.Recipients, ",") != "support@acme-demo.example" {
				t.Errorf("recipients %v", s.Recipients)
			}
			if s.Verdicts.SPF != "FAIL" || s.Verdicts.Spam != "PASS" || s.Verdicts.DKIM != "PASS" {
				t.Errorf("verdicts %+v", s.Verdicts)
			}
			if s.Key != "inbox/o3vrnil0e2ic28trm7dakrc2v0clambda4nbp0g1" || n.Bucket() != "mail" {
				t.Errorf("object %q in %q", s.Key, n.Bucket())
			}
			if s.Subject != "Test Subject" || s.From.Address != "janedoe@example.com" || s.From.Name != "Jane Doe" || s.MessageID != "0123456789example.com" {
				t.Errorf("summary %+v", s)
			}
			if want := time.Date(2015, 10, 7, 19, 34, 56, 0, time.UTC); !s.Date.Equal(want) || s.DateFromStore {
				t.Errorf("date %v, want %v", s.Date, want)
			}
		})
	}
}

func TestCommonHeadersWhenHeadersAreAbsent(t *testing.T) {
	var raw map[string]any
	if err := json.Unmarshal(fixture(t), &raw); err != nil {
		t.Fatal(err)
	}
	m := raw["mail"].(map[string]any)
	delete(m, "headers")
	m["headersTruncated"] = true
	ch := m["commonHeaders"].(map[string]any)
	ch["subject"] = "Ünïcode\r\nBcc: evil@example.com"
	b, _ := json.Marshal(raw)
	n, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	s := n.Summary()
	if s.Subject != "Ünïcode  Bcc: evil@example.com" {
		t.Errorf("subject %q: a line break must not start a new field", s.Subject)
	}
	if s.From.Address != "janedoe@example.com" || len(s.Warnings) == 0 {
		t.Errorf("from %+v, warnings %v", s.From, s.Warnings)
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

// SES cuts the headers list past 10 KB: the Received and DKIM lines come
// first, so From and Subject were lost, and the row had neither until a
// listing read the object. commonHeaders fills what the list lacks.
func TestTruncatedHeadersAreCompletedFromCommonHeaders(t *testing.T) {
	var raw map[string]any
	if err := json.Unmarshal(fixture(t), &raw); err != nil {
		t.Fatal(err)
	}
	m := raw["mail"].(map[string]any)
	m["headers"] = m["headers"].([]any)[:3] // Return-Path, Received, DKIM-Signature
	m["headersTruncated"] = true
	b, _ := json.Marshal(raw)
	n, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	s := n.Summary()
	if s.From.Address != "janedoe@example.com" || s.Subject != "Test Subject" || s.MessageID != "0123456789example.com" ||
		len(s.To) != 1 || s.To[0].Address != "info@example.com" {
		t.Fatalf("summary %+v: want From, To, Subject and Message-ID from commonHeaders", s)
	}
}

// commonHeaders.subject is SES's decoded subject: the summary holds it
// exactly, even where it reads like an encoded word.
func TestCommonHeadersSubjectRoundTrips(t *testing.T) {
	for _, subject := range []string{
		"=?utf-8?q?spoofed?=",
		"Re: =?UTF-8?B?w7w=?= and more",
		strings.Repeat("Ünïcödé wörds ", 20) + "end",
		"plain",
		"\x1b[31mred\u202eevil",
	} {
		var raw map[string]any
		if err := json.Unmarshal(fixture(t), &raw); err != nil {
			t.Fatal(err)
		}
		m := raw["mail"].(map[string]any)
		delete(m, "headers")
		m["commonHeaders"].(map[string]any)["subject"] = subject
		b, _ := json.Marshal(raw)
		n, err := Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		if got := n.Summary().Subject; got != subject {
			t.Errorf("subject %q became %q", subject, got)
		}
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

// A verdict decides whether a message is shown as spam or a virus and
// what a verdict query finds: only the statuses SES gives are taken.
func TestVerdictsSESDoesNotGiveAreLeftOut(t *testing.T) {
	for status, want := range map[string]string{
		"PASS": "PASS", "FAIL": "FAIL", "GRAY": "GRAY", "PROCESSING_FAILED": "PROCESSING_FAILED", "DISABLED": "DISABLED",
		"pass": "", "PASS ": "", "PASS\x1b[0m": "", "\u202ePASS": "", "FAIL\r\nPASS": "", strings.Repeat("P", 10000): "",
	} {
		n := withFixture(t, func(_, r map[string]any) {
			for _, v := range []string{"spamVerdict", "virusVerdict", "spfVerdict", "dkimVerdict", "dmarcVerdict"} {
				r[v] = map[string]any{"status": status}
			}
		})
		s := n.Summary()
		if got := (mailstore.Verdicts{Spam: want, Virus: want, SPF: want, DKIM: want, DMARC: want}); s.Verdicts != got {
			t.Errorf("%.20q: verdicts %+v, want all %q", status, s.Verdicts, want)
		}
		warned := strings.Contains(strings.Join(s.Warnings, "\n"), "not one SES gives")
		if warned != (want == "") {
			t.Errorf("%.20q: warnings %q", status, s.Warnings)
		}
		for _, w := range s.Warnings {
			if len(w) > 200 || strings.ContainsAny(w, "\x1b\r\n\u202e") {
				t.Errorf("warning %q: too long, or holds what it quotes raw", w)
			}
		}
	}
}

// receipt.recipients are SES's envelope recipients (mail.destination is
// the message's To and Cc): reply picks its From from them and forward
// its destinations, so an item that is not one address is left out.
func TestReceiptRecipientsAreAddresses(t *testing.T) {
	n := withFixture(t, func(m, r map[string]any) {
		m["destination"] = []string{"ceo@acme-demo.example"}
		r["recipients"] = []string{"support@acme-demo.example", "SUPPORT@acme-demo.example", "a@acme-demo.example\r\nBcc: evil@x.example",
			"b@acme-demo.example, evil@x.example", "\x1b]8;;x\x07c@acme-demo.example", "", "\"quoted local\"@acme-demo.example", "üser@acme-demo.example"}
	})
	s := n.Summary()
	want := []string{"support@acme-demo.example", "\"quoted local\"@acme-demo.example", "üser@acme-demo.example"}
	if !slices.Equal(s.Recipients, want) {
		t.Fatalf("recipients %q, want %q", s.Recipients, want)
	}
	if got := strings.Count(strings.Join(s.Warnings, "\n"), "is not an address"); got != 4 {
		t.Fatalf("warnings %q: want one per item left out", s.Warnings)
	}
}

// A header list entry whose name is not a field name must not end the
// header block (losing From and Subject after it) nor fold into the
// field before it.
func TestHeaderNamesThatAreNotNamesAreSkipped(t *testing.T) {
	for _, name := range []string{"X Bad", "\tSubject", " Subject", "X\x00", "X\x1b[2J", "Subject\r\nBcc", "X:Y", "", "Subject "} {
		n := withFixture(t, func(m, _ map[string]any) {
			hs := m["headers"].([]any)
			bad := map[string]any{"name": name, "value": "injected"}
			m["headers"] = append([]any{hs[0], hs[1], bad}, hs[2:]...)
		})
		s := n.Summary()
		if s.Subject != "Test Subject" || s.From.Address != "janedoe@example.com" || len(s.To) != 1 {
			t.Errorf("name %q: summary %+v", name, s)
		}
	}
}

// A field of another type than SES writes costs the mailbox nothing but
// that notification's headers: the object it names is indexed as a row
// whose headers are read from the object (it was left in the queue, to
// come back until a redrive policy took it). A notification whose
// object cannot be told is not a receipt notification at all.
func TestFieldsOfAnotherTypeYieldARowWithoutHeaders(t *testing.T) {
	for name, change := range map[string]func(m, r map[string]any){
		"headers not a list":       func(m, _ map[string]any) { m["headers"] = "From: x" },
		"header value a number":    func(m, _ map[string]any) { m["headers"].([]any)[0].(map[string]any)["value"] = 5 },
		"commonHeaders.from":       func(m, _ map[string]any) { m["commonHeaders"].(map[string]any)["from"] = "a@b" },
		"recipients not a list":    func(_, r map[string]any) { r["recipients"] = "support@acme-demo.example" },
		"verdict a string":         func(_, r map[string]any) { r["spamVerdict"] = "PASS" },
		"mail timestamp not one":   func(m, _ map[string]any) { m["timestamp"] = "yesterday" },
		"headersTruncated string":  func(m, _ map[string]any) { m["headersTruncated"] = "false" },
		"receipt timestamp number": func(_, r map[string]any) { r["timestamp"] = 12 },
	} {
		t.Run(name, func(t *testing.T) {
			n := withFixture(t, change)
			if n.Unreadable == "" || n.CheckKey() != nil {
				t.Fatalf("unreadable %q, key check %v", n.Unreadable, n.CheckKey())
			}
			s := n.Summary()
			if !s.HeadersPending || s.Key != "inbox/o3vrnil0e2ic28trm7dakrc2v0clambda4nbp0g1" || s.Subject != "" || len(s.Recipients) != 0 ||
				s.Date.IsZero() || len(s.Warnings) != 1 {
				t.Fatalf("summary %+v: want a row without headers, dated", s)
			}
			// Said in the notification's terms, not Go's.
			if w := s.Warnings[0]; strings.Contains(w, "Go struct") || len(w) > 160 {
				t.Fatalf("warning %q", w)
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

// A timestamp no SES notification carries (year 9999, year 1) is left out
// with a warning: the index keeps times as Unix nanoseconds (1678 to
// 2262), and 9999-12-31 came back from it as 1816-03-30.
func TestImplausibleTimestampsAreLeftOut(t *testing.T) {
	for _, ts := range []string{"9999-12-31T23:59:59.000Z", "0001-01-01T00:00:01.000Z", "2262-04-12T00:00:00.000Z"} {
		n := withFixture(t, func(m, r map[string]any) {
			m["timestamp"], r["timestamp"] = ts, ts
			delete(m, "headers")
			delete(m["commonHeaders"].(map[string]any), "date")
		})
		s := n.Summary()
		if !s.LastModified.IsZero() || !s.Date.IsZero() {
			t.Errorf("%s: last modified %v, date %v; want none", ts, s.LastModified, s.Date)
		}
		if w := strings.Join(s.Warnings, "\n"); !strings.Contains(w, "timestamp") || !strings.Contains(w, "left out") {
			t.Errorf("%s: warnings %q", ts, s.Warnings)
		}
	}
	// SES's own times are kept.
	if s := withFixture(t, func(map[string]any, map[string]any) {}).Summary(); s.LastModified.Year() != 2026 || len(s.Warnings) != 0 {
		t.Errorf("fixture: %v %q", s.LastModified, s.Warnings)
	}
}
