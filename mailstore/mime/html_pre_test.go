package mime

import "testing"

// TestPreKeepsItsBlankLines: html2text trims the whole text and folds
// every run of blank lines into one, so an HTML body starting with
// <pre>\n\n (a blank first line, the parser dropping the newline right
// after the tag) lost that line, and blank lines inside a <pre> folded.
// A <pre>'s blank lines are the sender's layout, as in a graphical client.
func TestPreKeepsItsBlankLines(t *testing.T) {
	for _, c := range []struct{ html, want string }{
		{"<pre>\n\nafter a blank</pre>", "\nafter a blank"},
		{"<html><body><pre>\n\n\nafter two\n\n\n\nafter three\n  indented</pre></body></html>", "\n\nafter two\n\n\n\nafter three\n  indented"},
		{"<pre>\nno blank</pre>", "no blank"},
		{"<p>before</p><pre>a\n\n\nb</pre><p>after</p>", "before\n\na\n\n\nb\n\nafter"},
	} {
		got, _, err := htmlToText(c.html)
		if err != nil || got != c.want {
			t.Errorf("%q:\n got %q, %v\nwant %q", c.html, got, err, c.want)
		}
	}
	// The viewer's body, from a whole message.
	v := Parse([]byte("From: a@example.com\r\nContent-Type: text/html\r\n\r\n<pre>\r\n\r\nafter a blank\r\n</pre>\r\n"))
	if got := v.Body(); got != "\nafter a blank" {
		t.Errorf("the body of a message whose HTML starts with <pre>: %q", got)
	}
}
