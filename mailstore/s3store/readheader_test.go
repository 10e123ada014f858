package s3store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
	"github.com/sesbox/sesbox/mailstore/testutil/faultproxy"
)

// longHeaderMessage is a message whose header block is about 82 KB, as
// the bench's longest template's, its filler lines made of fill, and a
// body of 100 KB.
func longHeaderMessage(fill string) (msg []byte, headerEnd int) {
	var b bytes.Buffer
	b.WriteString("Return-Path: <a@b.example>\r\n")
	for i := 0; b.Len() < 82_000; i++ {
		fmt.Fprintf(&b, "X-Long-%d: %s\r\n", i, strings.Repeat(fill, 70))
	}
	b.WriteString("Subject: long header\r\n\r\n")
	headerEnd = b.Len()
	for b.Len() < headerEnd+100_000 {
		b.WriteString("body line\r\n")
	}
	return b.Bytes(), headerEnd
}

func TestReadHeaderReadsEachByteOnce(t *testing.T) {
	srv := fakes3.Start(t, "mail")
	testReadHeaderReadsEachByteOnce(t, srv.URL, srv.Admin, func(url string) *s3.Client {
		return (&fakes3.Server{URL: url}).Client(nil)
	})
}

// testReadHeaderReadsEachByteOnce reads the header of a message whose
// header block is longer than the first range through a proxy in front
// of the S3 server at target (admin writes to it directly; client makes
// a client for a URL): each range starts where the one before ended, so
// every byte comes once, and an object replaced between two ranges is
// read again from its start, never joined to the bytes of the version
// before.
func testReadHeaderReadsEachByteOnce(t *testing.T, target string, admin *s3.Client, client func(url string) *s3.Client) {
	var (
		mu      sync.Mutex
		ranges  []string
		replace func(r *http.Request) // the hook of the moment
	)
	p := faultproxy.Start(t, target, faultproxy.Config{Before: func(r *http.Request) {
		if r.Method != http.MethodGet {
			return
		}
		mu.Lock()
		ranges = append(ranges, r.Header.Get("Range"))
		hook := replace
		mu.Unlock()
		if hook != nil {
			hook(r)
		}
	}})
	took := func() []string {
		mu.Lock()
		defer mu.Unlock()
		out := ranges
		ranges = nil
		return out
	}
	st := New(client(p.URL), mailstore.Location{Bucket: "mail"})
	ctx := context.Background()

	a, end := longHeaderMessage("a")
	put(t, admin, "mail", "k", a)
	hdr, obj, err := st.ReadHeader(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	// 16 KiB, then the next 16, 32 and 64 KiB: 128 KiB in all, where each
	// range read from byte 0 (16 + 32 + 64 + 128 = 240 KiB).
	want := []string{"bytes=0-16383", "bytes=16384-32767", "bytes=32768-65535", "bytes=65536-131071"}
	if got := took(); !slices.Equal(got, want) {
		t.Errorf("ranges %q, want %q", got, want)
	}
	if !bytes.Equal(hdr, a[:128<<10]) || mime.HeaderEnd(hdr) != end {
		t.Errorf("read %d bytes, header end %d: want the first 128 KiB, header end %d", len(hdr), mime.HeaderEnd(hdr), end)
	}
	if got := p.Stats().BodyBytes; got != 128<<10 {
		t.Errorf("%d body bytes served, want %d: each byte once", got, 128<<10)
	}
	if obj.Size != int64(len(a)) {
		t.Errorf("size %d, want %d", obj.Size, len(a))
	}

	// Replaced once between the first range and the second: the read
	// starts over on the new version.
	b, _ := longHeaderMessage("b")
	c, _ := longHeaderMessage("c")
	put(t, admin, "mail", "k", b)
	var once sync.Once
	mu.Lock()
	replace = func(r *http.Request) {
		if r.Header.Get("Range") == "bytes=16384-32767" {
			once.Do(func() { put(t, admin, "mail", "k", c) })
		}
	}
	mu.Unlock()
	took()
	hdr, _, err = st.ReadHeader(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(hdr, c[:128<<10]) {
		t.Errorf("read %d bytes, %d of b's: want the replacement's first 128 KiB alone", len(hdr), bytes.Count(hdr, []byte("bbbb")))
	}
	want = append([]string{"bytes=0-16383", "bytes=16384-32767"}, want...)
	if got := took(); !slices.Equal(got, want) {
		t.Errorf("ranges %q, want %q", got, want)
	}

	// Replaced before every second range: three tries, then an error
	// that says why, and no bytes.
	fills := []string{"d", "e", "f", "g"}
	mu.Lock()
	replace = func(r *http.Request) {
		if r.Header.Get("Range") == "bytes=16384-32767" {
			m, _ := longHeaderMessage(fills[0])
			fills = fills[1:]
			put(t, admin, "mail", "k", m)
		}
	}
	mu.Unlock()
	hdr, _, err = st.ReadHeader(ctx, "k")
	if !errors.Is(err, errChangedMidRead) || hdr != nil || !strings.Contains(err.Error(), "s3://mail/k") {
		t.Errorf("ReadHeader of an object replaced at each read = %d bytes, %v; want none and the object named as changed", len(hdr), err)
	}
	if got := took(); len(got) != 6 {
		t.Errorf("%d GETs (%q), want 6: three tries of two ranges", len(got), got)
	}
}
