// Package inventory reads an S3 Inventory report: the existing AWS facility
// that lists a bucket daily into CSV, ORC or Parquet files, so a mailbox of
// millions of objects can be indexed with no LIST call at all.
//
// The layout is AWS's documented one: under the destination prefix
// <dest-prefix>/<source-bucket>/<config-id>/ each report is a folder named
// by its time (YYYY-MM-DDTHH-MMZ/) holding manifest.json and
// manifest.checksum (the MD5 of manifest.json in hex); the manifest names
// the data files (gzip'd CSV, or Parquet) and their MD5s.
package inventory

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sesbox/sesbox/internal/lazyregexp"
	"github.com/sesbox/sesbox/mailstore"
)

// Source is read access to the bucket that holds the reports. It is not
// the mailbox's store: an inventory usually lands in another bucket.
type Source interface {
	// Dirs lists the "folders" directly under prefix (delimiter "/"), as
	// full key prefixes ending in "/".
	Dirs(ctx context.Context, bucket, prefix string) ([]string, error)
	// Get opens one object; a key that is not there is (wraps)
	// mailstore.ErrNotFound.
	Get(ctx context.Context, bucket, key string) (io.ReadCloser, error)
}

// Row is what an inventory says about one object.
type Row struct {
	Bucket       string
	Key          string
	Size         int64
	ETag         string // without quotes
	LastModified time.Time
	// IsLatest and DeleteMarker come from reports that include all
	// versions; a current-version-only report leaves them true and false.
	IsLatest     bool
	DeleteMarker bool
}

// File is one data file named by a manifest.
type File struct {
	Key         string `json:"key"`
	Size        int64  `json:"size"`
	MD5Checksum string `json:"MD5checksum"`
}

// Manifest is manifest.json.
type Manifest struct {
	SourceBucket      string `json:"sourceBucket"`
	DestinationBucket string `json:"destinationBucket"` // an ARN: arn:aws:s3:::name
	Version           string `json:"version"`
	CreationTimestamp string `json:"creationTimestamp"` // milliseconds since the epoch, as a string
	FileFormat        string `json:"fileFormat"`        // CSV, ORC or Parquet
	FileSchema        string `json:"fileSchema"`
	Files             []File `json:"files"`

	// Key is where the manifest was read from (not part of the JSON).
	Key string `json:"-"`
}

// Created is the report's creation time.
func (m Manifest) Created() time.Time {
	var ms int64
	if _, err := fmt.Sscan(m.CreationTimestamp, &ms); err != nil {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// URL is a parsed inventory location: s3://dest-bucket/dest-prefix/source-bucket/config-id/.
type URL struct {
	Bucket string
	Prefix string // ends in "/"
}

func (u URL) String() string { return "s3://" + u.Bucket + "/" + u.Prefix }

// ParseURL parses an s3:// URL naming an inventory configuration's folder.
func ParseURL(s string) (URL, error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "s3" || u.Host == "" {
		return URL{}, fmt.Errorf("inventory %q: want s3://dest-bucket/dest-prefix/source-bucket/config-id/", s)
	}
	p := strings.TrimPrefix(u.Path, "/")
	if p != "" && !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return URL{Bucket: u.Host, Prefix: p}, nil
}

// reportDir matches the folder a report is written to: 2016-11-06T21-32Z/.
var reportDir = lazyregexp.New(`^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}Z/$`)

// Latest finds the newest report under u. A newer report that is still
// being written (its manifest.json or manifest.checksum not there yet) is
// passed over for the one before it; a report that is there but wrong (a
// manifest that does not match its checksum, an ORC report, data files
// outside the configuration's folder) or cannot be read (access denied,
// the server failing) is an error, not a reason to read an older one in
// silence.
func Latest(ctx context.Context, src Source, u URL) (Manifest, error) {
	dirs, err := src.Dirs(ctx, u.Bucket, u.Prefix)
	if err != nil {
		return Manifest{}, fmt.Errorf("inventory %s: %w", u, err)
	}
	var reports []string
	for _, d := range dirs {
		if reportDir().MatchString(strings.TrimPrefix(d, u.Prefix)) {
			reports = append(reports, d)
		}
	}
	if len(reports) == 0 {
		return Manifest{}, fmt.Errorf("inventory %s: no report yet (no YYYY-MM-DDTHH-MMZ/ folder; the first report arrives within 48 hours of creating the configuration)", u)
	}
	// The folder names sort by time.
	sort.Sort(sort.Reverse(sort.StringSlice(reports)))
	var firstErr error
	for _, d := range reports {
		body, sum, err := getManifest(ctx, src, u.Bucket, d)
		if errors.Is(err, mailstore.ErrNotFound) {
			// Still being written: the one before is the newest report.
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if err != nil {
			// Not a reason to read a day-older report in silence.
			return Manifest{}, fmt.Errorf("inventory %s: %w", u, err)
		}
		m, err := parseManifest(u, d, body, sum)
		if err != nil {
			return Manifest{}, fmt.Errorf("inventory %s: %w", u, err)
		}
		return m, nil
	}
	return Manifest{}, fmt.Errorf("inventory %s: no usable report: %w", u, firstErr)
}

// getManifest reads a report's manifest.json and manifest.checksum.
func getManifest(ctx context.Context, src Source, bucket, dir string) (body, sum []byte, err error) {
	if body, err = getAll(ctx, src, bucket, dir+"manifest.json"); err != nil {
		return nil, nil, err
	}
	if sum, err = getAll(ctx, src, bucket, dir+"manifest.checksum"); err != nil {
		return nil, nil, err
	}
	return body, sum, nil
}

// parseManifest checks the manifest of the report in dir under u against
// its checksum and parses it. The data files it names must be in u's
// bucket under u's prefix (AWS writes them to <prefix>data/): a manifest
// is bytes in a bucket, and one naming files elsewhere would have sesbox
// read another bucket's objects as the mailbox's listing.
func parseManifest(u URL, dir string, body, sum []byte) (Manifest, error) {
	m := Manifest{Key: dir + "manifest.json"}
	// Named as every object in an error is: the folder is the
	// configuration's, and a key is bytes that may hold anything.
	name := mailstore.ObjectName(u.Bucket, m.Key)
	got := md5.Sum(body)
	if want := strings.TrimSpace(string(sum)); !strings.EqualFold(want, hex.EncodeToString(got[:])) {
		return Manifest{}, fmt.Errorf("%s: MD5 %x does not match manifest.checksum %q", name, got, want)
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return Manifest{}, fmt.Errorf("%s: %w", name, err)
	}
	switch strings.ToUpper(m.FileFormat) {
	case "CSV", "PARQUET":
	case "ORC":
		return Manifest{}, fmt.Errorf("%s: ORC inventory reports are not supported; configure the inventory as CSV or Parquet", name)
	default:
		return Manifest{}, fmt.Errorf("%s: unknown file format %q", name, m.FileFormat)
	}
	if b := strings.TrimPrefix(m.DestinationBucket, "arn:aws:s3:::"); b != u.Bucket {
		return Manifest{}, fmt.Errorf("%s: destination bucket %q, but the report is in %s", name, m.DestinationBucket, u.Bucket)
	}
	// AWS writes every field below. Without the source bucket, rows
	// without a Bucket column would be taken for any mailbox's; without
	// a data file's size and MD5, a file cut short would pass on the
	// rows before the cut as a whole report (see Read).
	if m.SourceBucket == "" {
		return Manifest{}, fmt.Errorf("%s: no sourceBucket: not an S3 Inventory manifest", name)
	}
	if m.Files == nil {
		return Manifest{}, fmt.Errorf("%s: no files: not an S3 Inventory manifest", name)
	}
	if strings.EqualFold(m.FileFormat, "CSV") {
		if _, err := parseSchema(m.FileSchema); err != nil {
			return Manifest{}, fmt.Errorf("%s: %w", name, err)
		}
	}
	for _, f := range m.Files {
		if !strings.HasPrefix(f.Key, u.Prefix) || mailstore.HasDotSegment(f.Key) {
			return Manifest{}, fmt.Errorf("%s: data file %q is outside %s", name, f.Key, u)
		}
		if f.Size <= 0 || !md5Hex().MatchString(f.MD5Checksum) {
			return Manifest{}, fmt.Errorf("%s: data file %q: size %d, MD5checksum %q: a file the manifest does not size and hash cannot be checked before its rows are read",
				name, f.Key, f.Size, f.MD5Checksum)
		}
	}
	return m, nil
}

var md5Hex = lazyregexp.New(`^[0-9A-Fa-f]{32}$`)

func getAll(ctx context.Context, src Source, bucket, key string) ([]byte, error) {
	rc, err := src.Get(ctx, bucket, key)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", mailstore.ObjectName(bucket, key), err)
	}
	defer rc.Close()
	// A manifest is small; bound it anyway, as it is read whole.
	b, err := io.ReadAll(io.LimitReader(rc, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", mailstore.ObjectName(bucket, key), err)
	}
	return b, nil
}

// Filter says which rows Read passes on.
type Filter struct {
	// Bucket is the mailbox's bucket: rows of other buckets are skipped.
	Bucket string
	// Prefix is the mailbox's prefix: rows outside it are skipped.
	Prefix string
}

func (f Filter) keep(r Row) bool {
	if r.DeleteMarker || !r.IsLatest {
		return false
	}
	if f.Bucket != "" && r.Bucket != "" && r.Bucket != f.Bucket {
		return false
	}
	return strings.HasPrefix(r.Key, f.Prefix)
}

// Read passes the rows of every data file of m that pass f to fn, one
// file at a time. Each file is first copied to a private temporary file in
// tmpDir, no more bytes than the manifest's size, and checked against the
// manifest's size and MD5: a file that is truncated, changed or replaced
// yields an error before any of its rows is passed on. Then its rows are
// streamed from the copy (Parquet keeps its index at the end, so it needs
// the copy anyway); memory holds one CSV row, or one page of each Parquet
// column it uses.
func Read(ctx context.Context, src Source, m Manifest, f Filter, tmpDir string, fn func(Row) error) error {
	bucket := strings.TrimPrefix(m.DestinationBucket, "arn:aws:s3:::")
	for _, file := range m.Files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := readFile(ctx, src, bucket, m, file, f, tmpDir, fn); err != nil {
			return fmt.Errorf("inventory %s: %w", mailstore.ObjectName(bucket, file.Key), err)
		}
	}
	return nil
}

func readFile(ctx context.Context, src Source, bucket string, m Manifest, file File, f Filter, tmpDir string, fn func(Row) error) error {
	tmp, err := os.CreateTemp(tmpDir, "sesbox-inventory-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	size, err := copyVerified(ctx, src, bucket, file, tmp)
	if err != nil {
		return err
	}
	keep := func(r Row) error {
		if r.Bucket == "" {
			r.Bucket = m.SourceBucket
		}
		if !f.keep(r) {
			return nil
		}
		return fn(r)
	}
	switch strings.ToUpper(m.FileFormat) {
	case "CSV":
		return readCSV(io.NewSectionReader(tmp, 0, size), size, m.FileSchema, keep)
	case "PARQUET":
		return readParquet(tmp, size, keep)
	}
	return fmt.Errorf("unknown file format %q", m.FileFormat)
}

// copyVerified copies file to w and checks it against the manifest's size
// and MD5 (parseManifest saw both), reading at most one byte past the size.
func copyVerified(ctx context.Context, src Source, bucket string, file File, w io.Writer) (int64, error) {
	rc, err := src.Get(ctx, bucket, file.Key)
	if errors.Is(err, mailstore.ErrNotFound) {
		// Said without the store's "no such message": it is no message.
		return 0, fmt.Errorf("the report is incomplete, wait for the next one: %s, which its manifest names, is missing (a data file deleted, or the report copied in part)", mailstore.ObjectName(bucket, file.Key))
	}
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	h := md5.New()
	n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(rc, file.Size+1))
	if err != nil {
		return n, err
	}
	if n != file.Size {
		got := fmt.Sprintf("%d bytes", n)
		if n > file.Size {
			got = fmt.Sprintf("more than %d bytes", file.Size)
		}
		return n, fmt.Errorf("%s, the manifest says %d: the file is not the one the manifest names", got, file.Size)
	}
	if want := file.MD5Checksum; !strings.EqualFold(want, hex.EncodeToString(h.Sum(nil))) {
		return n, fmt.Errorf("MD5 %x does not match the manifest's %s", h.Sum(nil), want)
	}
	return n, nil
}

// checkRow refuses a row no S3 object could have: an empty key, one longer
// than S3's 1,024 bytes or not UTF-8, a negative size, a last-modified time
// before 1970 or from 2200 on (a row misread, or a report that is not one).
func checkRow(r Row) error {
	switch {
	case r.Key == "":
		return errors.New("empty key")
	case len(r.Key) > 1024 || !utf8.ValidString(r.Key):
		return fmt.Errorf("key %.80q...: not an S3 key (longer than 1,024 bytes, or not UTF-8)", r.Key)
	case r.Size < 0:
		return fmt.Errorf("%q: size %d", r.Key, r.Size)
	case !r.LastModified.IsZero() && !mailstore.PlausibleTime(r.LastModified):
		// The index keeps times as Unix nanoseconds: 9999-12-31 came back
		// from it as 1816.
		return fmt.Errorf("%q: last modified %s: not a time S3 gives", r.Key, r.LastModified.Format(time.RFC3339))
	}
	return nil
}

// trimETag removes the quotes some writers keep around an ETag.
func trimETag(s string) string { return strings.Trim(s, `"`) }

// PageSize is how many rows Lister passes on at once, as one LIST page.
const PageSize = 1000

// Lister returns a listing source for index.Refresh (its Options.List)
// that reads the newest report under u instead of listing the bucket: the
// rows of loc's bucket under loc's prefix, PageSize at a time, streamed
// (see Read). tmpDir holds each data file while it is read.
func Lister(src Source, u URL, loc mailstore.Location, tmpDir string) func(ctx context.Context, fn func([]mailstore.Object) error) error {
	return func(ctx context.Context, fn func([]mailstore.Object) error) error {
		m, err := Latest(ctx, src, u)
		if err != nil {
			return err
		}
		if m.SourceBucket != loc.Bucket {
			return fmt.Errorf("inventory %s lists bucket %s, not the mailbox's %s", u, m.SourceBucket, loc.Bucket)
		}
		page := make([]mailstore.Object, 0, PageSize)
		err = Read(ctx, src, m, Filter{Bucket: loc.Bucket, Prefix: loc.Prefix}, tmpDir, func(r Row) error {
			page = append(page, mailstore.Object{Key: r.Key, ETag: r.ETag, Size: r.Size, LastModified: r.LastModified})
			if len(page) < PageSize {
				return nil
			}
			err := fn(page)
			page = page[:0]
			return err
		})
		if err != nil || len(page) == 0 {
			return err
		}
		return fn(page)
	}
}
