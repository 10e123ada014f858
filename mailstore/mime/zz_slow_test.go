package mime

import (
	"strings"
	"testing"
	"time"
)

func TestZZSlow(t *testing.T) {
	n := 60000
	cases := map[string]string{
		"eq-q":      "Subject: " + strings.Repeat("=?", n/2) + "\r\n\r\n",
		"eq-word":   "Subject: " + strings.Repeat("=?a?q?", n/6) + "\r\n\r\n",
		"from-eq":   "From: " + strings.Repeat("=?", n/2) + "\r\n\r\n",
		"from-lt":   "From: " + strings.Repeat("<", n) + "\r\n\r\n",
		"from-q":    "From: " + strings.Repeat("\"a\" ", n/4) + "\r\n\r\n",
		"from-comma":"From: " + strings.Repeat("a b, ", n/5) + "\r\n\r\n",
		"from-paren":"From: " + strings.Repeat("(", n) + "\r\n\r\n",
		"refs":      "References: " + strings.Repeat("<", n) + "\r\n\r\n",
		"date":      "Date: " + strings.Repeat("1 ", n/2) + "\r\n\r\n",
		"recv":      "Received: " + strings.Repeat("for ", n/4) + "\r\n\r\n",
		"lines":     strings.Repeat("A: b\r\n", n/6) + "\r\n",
		"folds":     "A: b" + strings.Repeat("\r\n x", n/3) + "\r\n\r\n",
		"auth":      "Authentication-Results: " + strings.Repeat(";a=b", n/4) + "\r\n\r\n",
		"ctype":     "Content-Type: text/plain; " + strings.Repeat("charset=", n/8) + "\r\n\r\n",
		"html":      "Content-Type: text/html\r\n\r\n" + strings.Repeat("<a href=x>", n/10),
		"htmlnest":  "Content-Type: text/html\r\n\r\n" + strings.Repeat("<div>", n/5),
		"mp":        "Content-Type: multipart/mixed; boundary=b\r\n\r\n" + strings.Repeat("--b\r\n", n/5),
	}
	for name, in := range cases {
		start := time.Now()
		Parse([]byte(in))
		t.Logf("%-10s Parse %v", name, time.Since(start))
	}
}
