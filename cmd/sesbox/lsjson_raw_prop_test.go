package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/index"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/mailstore/testutil/gensum"
)

// hostileHeaderBits are what a sender writes into a header field to make
// a JSON output lie: raw bytes that are not UTF-8, surrogates (lone, as
// UTF-8 bytes and in UTF-16 encoded words), U+2028 and U+2029 (line ends
// to JavaScript), controls raw and encoded, encoded words nested and
// broken, quotes and backslashes, and the characters that end addresses
// and ids.
var hostileHeaderBits = []string{
	"\xff", "\xfe\xff", "\xc3(", "\xed\xa0\x80", "\xed\xbf\xbf", "\xf4\x90\x80\x80", "\xc0\xaf",
	"=?utf-8?B?7aCA?=", "=?utf-8?Q?=ED=A0=80x?=", "=?utf-16be?B?2AAAQQ==?=", "=?utf-16le?B?AN5BAA==?=",
	"=?utf-8?Q?=E2=80=A8?=", "\u2028", "\u2029", "=?utf-8?B?DQpCY2M6IHhAeA==?=",
	"=?utf-8?Q?=3D=3Futf-8=3FB=3FDQpCY2M6IHhAeA=3D=3D=3F=3D?=", "=?utf-8?Q?broken", "=?x-unknown?Q?=1B=5B2J?=",
	"\x1b[2J", "\x00", "\x7f", "\u0085", "\u202e", "\"", "\\", "<", ">", ",", ";", "(", ")", "@", " ", "a", "é", "中",
}

func hostileHeaderValue(r *rand.Rand) string {
	var b strings.Builder
	for n := r.IntN(8); n >= 0; n-- {
		b.WriteString(hostileHeaderBits[r.IntN(len(hostileHeaderBits))])
	}
	return b.String()
}

// TestLsJSONRoundTripFromHostileHeaders: TestLsJSONRoundTripProperty
// starts from summaries of valid strings; a sender starts from bytes.
// For 1,000 header blocks with hostile bytes in every field ls --json
// reads (a lone surrogate as UTF-8 bytes and in a UTF-16 encoded word,
// invalid UTF-8, U+2028), every string of the row is valid UTF-8 as
// summarized (encoding/json would write U+FFFD in place of the rest, and
// the row read back would differ from the summary), and the row, through
// the index and ls --json's encoder, decodes back exactly.
func TestLsJSONRoundTripFromHostileHeaders(t *testing.T) {
	x, err := index.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(13, 17))
	for i := range 1000 {
		h := hostileHeaderValue
		raw := "Received: from x by inbound-smtp.us-east-1.amazonaws.com with SMTP id k" + fmt.Sprint(i) +
			"\r\n for " + h(r) + "@acme.example;\r\n Thu, 19 Nov 2026 17:25:40 +0000\r\n" +
			"X-SES-Spam-Verdict: " + h(r) + "\r\nX-SES-Virus-Verdict: " + h(r) + "\r\n" +
			"Authentication-Results: amazonses.com; spf=" + h(r) + "; dkim=" + h(r) + "; dmarc=" + h(r) + "\r\n" +
			"From: " + h(r) + " <" + h(r) + "@evil.example>\r\nTo: " + h(r) + " <t@x.example>, " + h(r) + "\r\n" +
			"Subject: " + h(r) + "\r\nMessage-ID: <" + h(r) + "@x>\r\nDate: Thu, 19 Nov 2026 17:25:40 +0000\r\n\r\n"
		s := mime.Summarize([]byte(raw))
		s.Key = fmt.Sprintf("inbound/%04d", i)
		s.Size = int64(len(raw))
		s.LastModified = time.Date(2026, 11, 19, 17, 25, 41, 0, time.UTC)
		row := lsRowOf(&s)
		if p, bad := invalidUTF8(reflect.ValueOf(row), "row"); bad {
			t.Fatalf("message %d: %s is not UTF-8 (ls --json writes U+FFFD in its place):\n%q", i, p, raw)
		}
		if err := x.Put(ctx, "b", []mailstore.Summary{s}); err != nil {
			t.Fatal(err)
		}
		got, ok, err := x.Get(ctx, "b", s.Key)
		if err != nil || !ok {
			t.Fatalf("Get %q: %v %v", s.Key, ok, err)
		}
		var buf bytes.Buffer
		if err := json.NewEncoder(terminalSafe{&buf}).Encode(lsRowOf(&got)); err != nil {
			t.Fatal(err)
		}
		line := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
		if c, ok := termActive(string(line)); ok {
			t.Fatalf("message %d: the line holds %U as it is: %q", i, c, line)
		}
		var back lsRow
		if err := json.Unmarshal(line, &back); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		norm := gensum.Normal(s)
		if want := lsRowOf(&norm); !reflect.DeepEqual(back, want) {
			t.Fatalf("message %d: ls --json row changed:\n got %#v\nwant %#v\nfrom %q", i, back, want, raw)
		}
	}
}

// invalidUTF8 returns the path of the first string in v that is not
// valid UTF-8.
func invalidUTF8(v reflect.Value, path string) (string, bool) {
	switch v.Kind() {
	case reflect.String:
		return path, !utf8.ValidString(v.String())
	case reflect.Slice:
		for i := range v.Len() {
			if p, bad := invalidUTF8(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); bad {
				return p, true
			}
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if p, bad := invalidUTF8(v.Field(i), path+"."+v.Type().Field(i).Name); bad {
				return p, true
			}
		}
	}
	return "", false
}
