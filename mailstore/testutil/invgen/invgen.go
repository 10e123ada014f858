// Package invgen writes S3 Inventory reports in AWS's documented layout
// (manifest.json, manifest.checksum, gzip'd CSV or Parquet data files), so
// tests and benchmarks read real report files rather than a stand-in.
package invgen

import (
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
)

// Object is one inventory row to write.
type Object struct {
	Key          string
	Size         int64
	ETag         string
	LastModified time.Time
	// Version rows (all-versions reports).
	VersionID    string
	NotLatest    bool
	DeleteMarker bool
}

// Report describes the report to write.
type Report struct {
	DestBucket   string
	DestPrefix   string // "" or ending in "/"
	SourceBucket string
	ConfigID     string
	Format       string // "CSV" or "Parquet"
	Created      time.Time
	// PerFile is how many rows go in each data file (default 100,000).
	PerFile int
	// BadChecksum writes a manifest.checksum that does not match.
	BadChecksum bool
}

// Dir is the report's folder: dest-prefix/source-bucket/config-id/YYYY-MM-DDTHH-MMZ/.
func (r Report) Dir() string {
	return r.Root() + r.Created.UTC().Format("2006-01-02T15-04Z") + "/"
}

// Root is the configuration's folder, what a mailbox's `inventory` names.
func (r Report) Root() string { return r.DestPrefix + r.SourceBucket + "/" + r.ConfigID + "/" }

// Write produces the report's objects through put (key -> body), data files
// first and the manifest last, as AWS does.
func Write(r Report, objs []Object, put func(key string, body []byte) error) error {
	if r.PerFile <= 0 {
		r.PerFile = 100_000
	}
	type file struct {
		Key         string `json:"key"`
		Size        int64  `json:"size"`
		MD5checksum string `json:"MD5checksum"`
	}
	var files []file
	var chunks [][]Object
	for i := 0; i < len(objs); i += r.PerFile {
		chunks = append(chunks, objs[i:min(i+r.PerFile, len(objs))])
	}
	if len(chunks) == 0 {
		chunks = [][]Object{nil} // an empty bucket still gets one (empty) file
	}
	for n, chunk := range chunks {
		var body []byte
		var err error
		ext := ".csv.gz"
		if strings.EqualFold(r.Format, "Parquet") {
			body, err = parquetFile(r, chunk)
			ext = ".parquet"
		} else {
			body, err = csvFile(r, chunk)
		}
		if err != nil {
			return err
		}
		key := fmt.Sprintf("%sdata/%08x-%d%s", r.Root(), r.Created.Unix(), n, ext)
		if err := put(key, body); err != nil {
			return err
		}
		sum := md5.Sum(body)
		files = append(files, file{Key: key, Size: int64(len(body)), MD5checksum: hex.EncodeToString(sum[:])})
	}
	m := map[string]any{
		"sourceBucket":      r.SourceBucket,
		"destinationBucket": "arn:aws:s3:::" + r.DestBucket,
		"version":           "2016-11-30",
		"creationTimestamp": strconv.FormatInt(r.Created.UnixMilli(), 10),
		"fileFormat":        r.Format,
		"fileSchema":        schema(r.Format),
		"files":             files,
	}
	body, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := put(r.Dir()+"manifest.json", body); err != nil {
		return err
	}
	sum := md5.Sum(body)
	cs := hex.EncodeToString(sum[:])
	if r.BadChecksum {
		cs = strings.Repeat("0", 32)
	}
	return put(r.Dir()+"manifest.checksum", []byte(cs+"\n"))
}

func schema(format string) string {
	if strings.EqualFold(format, "Parquet") {
		return "message s3.inventory { required binary bucket (UTF8); required binary key (UTF8); optional binary version_id (UTF8); optional boolean is_latest; optional boolean is_delete_marker; optional int64 size; optional int64 last_modified_date (TIMESTAMP_MILLIS); optional binary e_tag (UTF8); optional binary storage_class (UTF8);}"
	}
	return "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, StorageClass"
}

// awsKeyEscape URL-encodes a key the way CSV inventory reports do.
func awsKeyEscape(k string) string { return url.QueryEscape(k) }

func csvFile(r Report, objs []Object) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	w := csv.NewWriter(zw)
	for _, o := range objs {
		rec := []string{r.SourceBucket, awsKeyEscape(o.Key), o.VersionID,
			strconv.FormatBool(!o.NotLatest), strconv.FormatBool(o.DeleteMarker),
			strconv.FormatInt(o.Size, 10), o.LastModified.UTC().Format("2006-01-02T15:04:05.000Z"), o.ETag, "STANDARD"}
		if err := w.Write(rec); err != nil {
			return nil, err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

type parquetRow struct {
	Bucket         string    `parquet:"bucket"`
	Key            string    `parquet:"key"`
	VersionID      *string   `parquet:"version_id,optional"`
	IsLatest       bool      `parquet:"is_latest"`
	IsDeleteMarker bool      `parquet:"is_delete_marker"`
	Size           int64     `parquet:"size"`
	LastModified   time.Time `parquet:"last_modified_date,timestamp(millisecond)"`
	ETag           string    `parquet:"e_tag"`
	StorageClass   string    `parquet:"storage_class"`
}

func parquetFile(r Report, objs []Object) ([]byte, error) {
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[parquetRow](&buf, parquet.Compression(&parquet.Snappy))
	rows := make([]parquetRow, 0, len(objs))
	for _, o := range objs {
		var vid *string
		if o.VersionID != "" {
			v := o.VersionID
			vid = &v
		}
		rows = append(rows, parquetRow{Bucket: r.SourceBucket, Key: o.Key, VersionID: vid, IsLatest: !o.NotLatest,
			IsDeleteMarker: o.DeleteMarker, Size: o.Size, LastModified: o.LastModified.UTC(), ETag: o.ETag, StorageClass: "STANDARD"})
	}
	if _, err := w.Write(rows); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
