package mailbox

import (
	"bytes"

	"github.com/sesbox/sesbox/mailstore/audit"
	"github.com/sesbox/sesbox/mailstore/mime"
)

// PipeText is what a pipe of msgs hands a command on its standard input,
// as mutt's pipe-message does (the viewer's | and the list's, over the
// marked messages): raw, one message's stored bytes exactly (as show
// --raw prints them), several as an mboxrd stream in their order (as
// export --mbox writes them, each From_ line dated when SES stored it);
// decoded, each message's header fields a reader wants and its body text
// (mime.DecodedText; a message that could not be parsed, its stored
// bytes), one after another with a blank line between (mutt's pipe_sep).
// Nothing is sanitized: it goes to a program, not the screen.
func PipeText(msgs []*Message, raw bool) []byte {
	if raw && len(msgs) == 1 {
		return msgs[0].Raw
	}
	var b bytes.Buffer
	for i, m := range msgs {
		switch {
		case raw:
			// A bytes.Buffer does not fail.
			_ = audit.WriteMboxMessage(&b, m.Raw, m.Summary.LastModified)
		default:
			if i > 0 {
				b.WriteByte('\n')
			}
			if m.View == nil {
				b.Write(m.Raw)
				continue
			}
			b.Write(mime.DecodedText(m.View))
		}
	}
	return b.Bytes()
}
