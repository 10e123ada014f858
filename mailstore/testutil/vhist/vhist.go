// Package vhist writes the history of a versioned bucket on versitygw on
// given dates, for tests of what sesbox makes of the bucket as of a past
// date (audit snapshot, verify and export --as-of).
//
// versitygw v1.8.0 reports a noncurrent version's LastModified as its
// file's time, which is when the write after it copied it into the
// versioning directory (a put on day 1 overwritten on day 5 lists as last
// modified on day 5), and a delete marker's likewise; AWS S3 keeps each
// version's own time. After each write History sets the time of every
// file of the key (the current one under the bucket, the others under
// the versioning directory) to the date that version was written, so the
// server reports what AWS would.
package vhist

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sesbox/sesbox/mailstore/testutil/peer"
)

// History is a bucket on a versitygw of its own.
type History struct {
	t      testing.TB
	Srv    *peer.S3
	C      *s3.Client
	Bucket string
	Prefix string
	when   map[string]time.Time // key + "\x00" + version id -> written
	// VIDs are each key's versions and delete markers (their ids), oldest
	// first: a write of version id "null" replaces the one before.
	VIDs map[string][]string
}

// New starts versitygw (with versioning support), creates bucket, and
// enables versioning on it when versioned is set. Keys are written under
// prefix.
func New(t testing.TB, bucket, prefix string, versioned bool) *History {
	t.Helper()
	srv := peer.StartS3(t, true)
	create := srv.CreateBuckets
	if versioned {
		create = srv.CreateVersionedBuckets
	}
	return &History{t: t, Srv: srv, C: create(t, bucket), Bucket: bucket, Prefix: prefix,
		when: map[string]time.Time{}, VIDs: map[string][]string{}}
}

// Day is noon UTC on day n of January 2026.
func Day(n int) time.Time { return time.Date(2026, 1, n, 12, 0, 0, 0, time.UTC) }

// Message is a small message whose subject and body are name.
func Message(name string) []byte {
	return []byte("From: sender@example.com\r\nTo: support@example.com\r\nSubject: " + name + "\r\nMessage-ID: <" +
		strings.ReplaceAll(name, " ", ".") + "@example.com>\r\n\r\n" + name + "\r\n")
}

// SHA256 is the hex SHA-256 of b.
func SHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Versioning sets the bucket's versioning status.
func (h *History) Versioning(s types.BucketVersioningStatus) {
	h.t.Helper()
	peer.SetVersioning(h.t, h.C, h.Bucket, s)
}

// Put writes Prefix+key on d and returns its version id ("null" when
// versioning is off or suspended).
func (h *History) Put(key string, d time.Time, body []byte) string {
	h.t.Helper()
	out, err := h.C.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(h.Bucket), Key: aws.String(h.Prefix + key), Body: bytes.NewReader(body)})
	if err != nil {
		h.t.Fatal(err)
	}
	vid := aws.ToString(out.VersionId)
	if vid == "" {
		vid = "null"
	}
	h.written(key, vid, d)
	return vid
}

// Delete deletes Prefix+key on d (a delete marker on a versioned bucket)
// and returns the marker's version id.
func (h *History) Delete(key string, d time.Time) string {
	h.t.Helper()
	out, err := h.C.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(h.Bucket), Key: aws.String(h.Prefix + key)})
	if err != nil {
		h.t.Fatal(err)
	}
	vid := aws.ToString(out.VersionId)
	if vid != "" {
		h.written(key, vid, d)
	}
	return vid
}

func (h *History) written(key, vid string, d time.Time) {
	h.t.Helper()
	full := h.Prefix + key
	h.when[key+"\x00"+vid] = d
	h.VIDs[key] = append(slices.DeleteFunc(h.VIDs[key], func(v string) bool { return v == vid }), vid)
	out, err := h.C.ListObjectVersions(context.Background(), &s3.ListObjectVersionsInput{Bucket: aws.String(h.Bucket), Prefix: aws.String(full)})
	if err != nil {
		h.t.Fatal(err)
	}
	type entry struct {
		vid    string
		latest bool
	}
	var es []entry
	for _, v := range out.Versions {
		if aws.ToString(v.Key) == full {
			es = append(es, entry{aws.ToString(v.VersionId), aws.ToBool(v.IsLatest)})
		}
	}
	for _, m := range out.DeleteMarkers {
		if aws.ToString(m.Key) == full {
			es = append(es, entry{aws.ToString(m.VersionId), aws.ToBool(m.IsLatest)})
		}
	}
	hx := SHA256([]byte(full))
	for _, e := range es {
		tm, ok := h.when[key+"\x00"+e.vid]
		if !ok {
			h.t.Fatalf("%s: version %s was not written by the test", full, e.vid)
		}
		file := filepath.Join(h.Srv.VersioningDir, h.Bucket, hx[:2], hx[2:4], hx[4:6], hx, e.vid)
		if e.latest {
			file = filepath.Join(h.Srv.Root, h.Bucket, full)
		}
		if err := os.Chtimes(file, tm, tm); err != nil {
			h.t.Fatalf("%s version %s: %v", full, e.vid, err)
		}
	}
}

// TwoDates is a history around two dates, Date1 (January 10) and Date2
// (January 20), keys without the prefix:
//
//	a  written on day 1, untouched
//	b  written on day 1, overwritten on days 5, 15 and 22
//	c  written on day 2, deleted on day 12 (between the dates)
//	d  written on day 3, deleted on day 6, written again on day 8, deleted on day 25
//	e  written on day 14 (new between the dates)
//	f  written on day 4, deleted on day 7 (before both)
//	g  written on day 11, deleted on day 13 (there only between the dates)
//	h  written on day 2, the same bytes written again on day 16
//	i  written on day 5, deleted on day 9, written again on day 18
//
// V names each version written: "b2" is b's second.
type TwoDates struct {
	Date1, Date2 time.Time
	V            map[string]string
}

// WriteTwoDates writes the TwoDates history into h.
func WriteTwoDates(h *History) TwoDates {
	v := map[string]string{}
	v["a1"] = h.Put("a", Day(1), Message("a 1"))
	v["b1"] = h.Put("b", Day(1), Message("b 1"))
	v["b2"] = h.Put("b", Day(5), Message("b 2 longer"))
	v["c1"] = h.Put("c", Day(2), Message("c 1"))
	v["d1"] = h.Put("d", Day(3), Message("d 1"))
	h.Delete("d", Day(6))
	v["d2"] = h.Put("d", Day(8), Message("d 2"))
	v["f1"] = h.Put("f", Day(4), Message("f 1"))
	h.Delete("f", Day(7))
	v["g1"] = h.Put("g", Day(11), Message("g 1"))
	h.Delete("g", Day(13))
	v["h1"] = h.Put("h", Day(2), Message("h 1"))
	v["i1"] = h.Put("i", Day(5), Message("i 1"))
	h.Delete("i", Day(9))
	h.Delete("c", Day(12))
	v["e1"] = h.Put("e", Day(14), Message("e 1"))
	v["b3"] = h.Put("b", Day(15), Message("b 3"))
	v["h2"] = h.Put("h", Day(16), Message("h 1"))
	v["i2"] = h.Put("i", Day(18), Message("i 2"))
	v["b4"] = h.Put("b", Day(22), Message("b 4 latest"))
	h.Delete("d", Day(25))
	return TwoDates{Date1: Day(10).Add(-12 * time.Hour), Date2: Day(20).Add(-12 * time.Hour), V: v}
}
