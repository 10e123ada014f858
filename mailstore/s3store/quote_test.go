package s3store

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore"
)

// TestErrorsQuoteTheKey: every error that names an object quotes its key
// (mailstore.ObjectName, Go's quoting): a key with a blank, a line break,
// an escape sequence or a bidi override made the message ambiguous
// ("read s3://mail/a b: not found": which key?), printed a line of its own
// or acted on the terminal.
func TestErrorsQuoteTheKey(t *testing.T) {
	const hostile = "inbox/a b\nsesbox: all good\x1b[2J\u202egpj.exe"
	st := New(fakeS3(t, "mail"), mailstore.Location{Bucket: "mail", Prefix: "inbox/"})
	ctx := context.Background()
	quoted := strconv.Quote("s3://mail/" + hostile)
	check := func(what string, err error, want string) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s: no error", what)
		}
		msg := err.Error()
		if !strings.Contains(msg, want) || strings.ContainsAny(msg, "\n\x1b\u202e") {
			t.Errorf("%s: %q, want it to name %s", what, msg, want)
		}
	}
	_, _, err := st.Read(ctx, hostile)
	check("Read", err, quoted)
	_, _, err = st.ReadHeader(ctx, hostile)
	check("ReadHeader", err, quoted)
	_, _, err = st.Open(ctx, hostile, "")
	check("Open", err, quoted)
	_, _, err = st.Open(ctx, hostile, "v1")
	check("Open a version", err, strconv.Quote("s3://mail/"+hostile)+" version \"v1\"")
	dot := "inbox/../x\ny"
	_, _, err = st.Read(ctx, dot)
	check("Read a dot segment", err, strconv.Quote("s3://mail/"+dot))
}
