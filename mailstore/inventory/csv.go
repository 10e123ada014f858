package inventory

import (
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// csvColumns are the fileSchema names Read understands; the rest are
// skipped. AWS writes the schema as "Bucket, Key, Size, ..." in the order
// the columns appear in each (header-less) row.
type csvColumns struct {
	bucket, key, size, lastModified, etag, isLatest, deleteMarker int
	// n is how many columns the schema names: every row has that many.
	n int
}

func parseSchema(schema string) (csvColumns, error) {
	names := strings.Split(schema, ",")
	c := csvColumns{-1, -1, -1, -1, -1, -1, -1, len(names)}
	for i, name := range names {
		switch strings.TrimSpace(name) {
		case "Bucket":
			c.bucket = i
		case "Key":
			c.key = i
		case "Size":
			c.size = i
		case "LastModifiedDate":
			c.lastModified = i
		case "ETag":
			c.etag = i
		case "IsLatest":
			c.isLatest = i
		case "IsDeleteMarker":
			c.deleteMarker = i
		}
	}
	if c.key < 0 {
		return c, fmt.Errorf("fileSchema %q has no Key column", schema)
	}
	return c, nil
}

// maxCSVRow bounds one row of a CSV report. A row is a key of at most
// 1,024 bytes, URL-encoded (at most three characters a byte), and a few
// short fields: 64 KiB is far past any, and holds the memory a row that
// never ends (a line of a gzip bomb: 300 MB of it took 1.2 GB) can take.
const maxCSVRow = 64 << 10

var errRowTooLong = fmt.Errorf("a row longer than %d KiB: not an inventory row", maxCSVRow>>10)

// rowBound fails a read that goes further than limit: the caller moves the
// limit past the end of each row it reads (csv.Reader reads ahead a buffer
// of 4 KiB, well within maxCSVRow).
type rowBound struct {
	r           io.Reader
	read, limit int64
}

func (b *rowBound) Read(p []byte) (int, error) {
	if b.read >= b.limit {
		return 0, errRowTooLong
	}
	if int64(len(p)) > b.limit-b.read {
		p = p[:b.limit-b.read]
	}
	n, err := b.r.Read(p)
	b.read += int64(n)
	return n, err
}

// maxInflation bounds what a CSV file may decompress to: maxInflation
// times its size, and at least minInflated. A report's rows hold random
// message ids and ETags, so gzip makes them some ten times smaller (11 B
// a key in the bench); a gzip bomb of short rows, a thousand times, would
// otherwise keep the ingest busy for hours on a file of megabytes.
const (
	maxInflation = 200
	minInflated  = 64 << 20
)

// inflateBound fails a read past limit bytes of decompressed data.
type inflateBound struct {
	r           io.Reader
	read, limit int64
	compressed  int64
}

func (b *inflateBound) Read(p []byte) (int, error) {
	if b.read > b.limit {
		return 0, fmt.Errorf("the file decompresses to more than %d MB, %d times its %d bytes: not an S3 Inventory report (a gzip bomb?)",
			b.limit>>20, b.limit/b.compressed, b.compressed)
	}
	n, err := b.r.Read(p)
	b.read += int64(n)
	return n, err
}

func readCSV(r io.Reader, size int64, schema string, fn func(Row) error) error {
	cols, err := parseSchema(schema)
	if err != nil {
		return err
	}
	zr, err := gzip.NewReader(r)
	if err != nil {
		return fmt.Errorf("not a gzip'd CSV file: %w", err)
	}
	defer zr.Close()
	inflated := &inflateBound{r: zr, limit: max(minInflated, maxInflation*size), compressed: max(size, 1)}
	bound := &rowBound{r: inflated, limit: maxCSVRow}
	cr := csv.NewReader(bound)
	// A row of another length than the schema's would put one column's
	// value in another's place.
	cr.FieldsPerRecord = cols.n
	cr.ReuseRecord = true
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if errors.Is(err, errRowTooLong) {
			return fmt.Errorf("row %d: %w", line, err)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, gzip.ErrChecksum) {
			// The file is the one the manifest names (size and MD5), so it
			// was written so: a report cut short, the rows before it read.
			return fmt.Errorf("row %d: the file's gzip stream is cut short or damaged: %w", line, err)
		}
		if err != nil {
			return fmt.Errorf("row %d: %w", line, err)
		}
		bound.limit = cr.InputOffset() + maxCSVRow
		row, err := csvRow(rec, cols)
		if err != nil {
			return fmt.Errorf("row %d: %w", line, err)
		}
		if err := fn(row); err != nil {
			return err
		}
	}
}

func csvRow(rec []string, c csvColumns) (Row, error) {
	field := func(i int) string {
		if i < 0 || i >= len(rec) {
			return ""
		}
		return rec[i]
	}
	// CSV reports URL-encode the key (AWS's documented rule; ORC and
	// Parquet do not).
	key, err := url.QueryUnescape(field(c.key))
	if err != nil {
		return Row{}, fmt.Errorf("key %q: %w", field(c.key), err)
	}
	row := Row{Bucket: field(c.bucket), Key: key, ETag: trimETag(field(c.etag)), IsLatest: true}
	if s := field(c.size); s != "" {
		if row.Size, err = strconv.ParseInt(s, 10, 64); err != nil {
			return Row{}, fmt.Errorf("size %q: %w", s, err)
		}
	}
	if s := field(c.lastModified); s != "" {
		if row.LastModified, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return Row{}, fmt.Errorf("last modified %q: %w", s, err)
		}
	}
	if s := field(c.isLatest); s != "" {
		row.IsLatest = s == "true"
	}
	row.DeleteMarker = field(c.deleteMarker) == "true"
	return row, checkRow(row)
}
