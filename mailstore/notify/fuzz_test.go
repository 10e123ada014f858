package notify

import "testing"

// A queue message is anyone's bytes: reading one never panics, and what
// is read from one that parses is checked, whatever the fields hold.
func FuzzParse(f *testing.F) {
	b, err := readFixture()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"Type":"Notification","Message":"{\"notificationType\":\"Received\"}"}`))
	f.Add([]byte(`{"notificationType":"Received","mail":{"messageId":"a","headers":[{"name":"\tX","value":"\r\n"}]},"receipt":{"action":{"type":"S3","bucketName":"b","objectKey":"a"}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := Parse(body)
		if err != nil {
			return
		}
		if n.CheckKey() == nil && (n.Key() == "" || n.Bucket() == "") {
			t.Fatalf("a notification naming no object passed: %+v", n)
		}
	})
}
