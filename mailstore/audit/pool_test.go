package audit

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore/testutil/mboxrd"
)

func TestOrderedKeepsOrderAndBoundsWork(t *testing.T) {
	const n = 200
	var inFlight, peak atomic.Int64
	var got []int
	err := ordered(context.Background(), 4,
		func(ctx context.Context, emit func(int) error) error {
			for i := range n {
				if err := emit(i); err != nil {
					return err
				}
			}
			return nil
		},
		func(ctx context.Context, i int) int {
			cur := inFlight.Add(1)
			for {
				p := peak.Load()
				if cur <= p || peak.CompareAndSwap(p, cur) {
					break
				}
			}
			time.Sleep(time.Duration(rand.IntN(300)) * time.Microsecond)
			inFlight.Add(-1)
			return i * 2
		},
		func(r int) error { got = append(got, r); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("%d results", len(got))
	}
	for i, r := range got {
		if r != i*2 {
			t.Fatalf("result %d is %d: out of order", i, r)
		}
	}
	if peak.Load() > 4 {
		t.Errorf("%d items worked on at once, want at most 4", peak.Load())
	}
}

func TestOrderedStopsOnErrors(t *testing.T) {
	boom := errors.New("boom")
	var sunk atomic.Int64
	err := ordered(context.Background(), 3,
		func(ctx context.Context, emit func(int) error) error {
			for i := 0; ; i++ { // endless: only the sink error stops it
				if err := emit(i); err != nil {
					return err
				}
			}
		},
		func(ctx context.Context, i int) int { return i },
		func(r int) error {
			if sunk.Add(1) == 10 {
				return boom
			}
			return nil
		})
	if !errors.Is(err, boom) {
		t.Errorf("sink error: got %v", err)
	}
	err = ordered(context.Background(), 3,
		func(ctx context.Context, emit func(int) error) error {
			emit(1)
			return boom
		},
		func(ctx context.Context, i int) int { return i },
		func(int) error { return nil })
	if !errors.Is(err, boom) {
		t.Errorf("feed error: got %v", err)
	}
}

func TestETagCheck(t *testing.T) {
	md5 := "0cc175b9c0f1b6a831c399e269772661"
	for etag, want := range map[string]string{
		md5: ETagMD5, `"` + md5 + `"`: ETagMD5, strings.ToUpper(md5): ETagMD5,
		"9b2cf535f27731c974343645a3985328-2": ETagMultipart,
		"ffffffffffffffffffffffffffffffff":   ETagMismatch,
	} {
		if got := etagCheck(etag, md5); got != want {
			t.Errorf("etagCheck(%s) = %s, want %s", etag, got, want)
		}
	}
}

func TestEnvelopeSender(t *testing.T) {
	for raw, want := range map[string]string{
		"Return-Path: <bounce@example.com>\r\nFrom: x\r\n\r\nbody": "bounce@example.com",
		"return-path: <>\n\n":                          "MAILER-DAEMON",
		"From: x\n\nReturn-Path: <late@example.com>\n": "MAILER-DAEMON",
		"Return-Path: <a b@example.com>\n\n":           "MAILER-DAEMON",
		// Only SES's block speaks for SES, and SES writes Return-Path
		// first: one further down (SES wrote none, for a null sender, or
		// the object was not stored by SES) is the sender's, and forged.
		"Received: from x by inbound-smtp.us-east-1.amazonaws.com\r\n for a@b.example;\r\nReturn-Path: <ceo@bank.example>\r\n\r\nbody": "MAILER-DAEMON",
		"From: x\nReturn-Path: <forged@example.com>\n\n": "MAILER-DAEMON",
		// Longer than an SMTP path may be: the From_ line would pass 998.
		"Return-Path: <" + strings.Repeat("a", 2000) + "@example.com>\n\n": "MAILER-DAEMON",
		"Return-Path: <" + strings.Repeat("a", 244) + "@example.com>\n\n":  strings.Repeat("a", 244) + "@example.com",
	} {
		if got := envelopeSender([]byte(raw)); got != want {
			t.Errorf("envelopeSender(%q) = %q, want %q", raw, got, want)
		}
	}
}

// FuzzMboxRoundTrip: any message that ends in a newline comes back from
// the mbox byte for byte, whatever From-lines it holds.
func FuzzMboxRoundTrip(f *testing.F) {
	f.Add([]byte("Subject: x\n\nFrom me\n>From you\n"), []byte("From \n\n"))
	f.Add([]byte("a\r\nFrom b\r\n"), []byte("\n"))
	f.Add([]byte(""), []byte(">>>From x\n\nFrom y\n"))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		msgs := [][]byte{a, b}
		var buf bytes.Buffer
		for _, m := range msgs {
			if err := WriteMboxMessage(&buf, m, time.Unix(0, 0)); err != nil {
				t.Fatal(err)
			}
		}
		got, err := mboxrd.Read(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(msgs) {
			t.Fatalf("%d messages back, want %d", len(got), len(msgs))
		}
		for i, m := range msgs {
			want := m
			if len(m) > 0 && !bytes.HasSuffix(m, []byte("\n")) {
				want = append(bytes.Clone(m), '\n')
			}
			if !bytes.Equal(got[i], want) {
				t.Errorf("message %d: got %q, want %q", i, got[i], want)
			}
		}
	})
}

// FuzzMboxReaderHashes: mboxReader, which CheckExport reads an exported
// mbox with, gives back for every message written by WriteMboxMessage the
// SHA-256 of the stored bytes (of those without the final newline the mbox
// added, for a message that lacks one), and finds no message more or less.
func FuzzMboxReaderHashes(f *testing.F) {
	f.Add([]byte("Subject: x\n\nFrom me\n>From you\n"), []byte("From \n\n"), []byte("no newline"))
	f.Add([]byte("a\r\nFrom b\r\n"), []byte("\n"), []byte(""))
	f.Add([]byte(""), []byte(">>>From x\n\nFrom y\n"), []byte("\n\n\nFrom z"))
	f.Fuzz(func(t *testing.T, a, b, c []byte) {
		msgs := [][]byte{a, b, c}
		var buf bytes.Buffer
		for _, m := range msgs {
			if err := WriteMboxMessage(&buf, m, time.Unix(0, 0)); err != nil {
				t.Fatal(err)
			}
		}
		r := &mboxReader{r: bufio.NewReader(&buf)}
		for i, m := range msgs {
			got, err := r.next()
			if err != nil || got == nil {
				t.Fatalf("message %d: %+v %v", i, got, err)
			}
			sum := sha256.Sum256(m)
			want := hex.EncodeToString(sum[:])
			if got.sha256 != want && got.withoutFinalNL != want {
				t.Errorf("message %d %q: hashes %s / %s, want %s", i, m, got.sha256, got.withoutFinalNL, want)
			}
		}
		if got, err := r.next(); got != nil || err != nil {
			t.Errorf("a fourth message: %+v %v", got, err)
		}
	})
}
