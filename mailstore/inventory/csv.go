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
}

func parseSchema(schema string) (csvColumns, error) {
	c := csvColumns{-1, -1, -1, -1, -1, -1, -1}
	for i, name := range strings.Split(schema, ",") {
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

func readCSV(r io.Reader, schema string, fn func(Row) error) error {
	cols, err := parseSchema(schema)
	if err != nil {
		return err
	}
	zr, err := gzip.NewReader(r)
	if err != nil {
		return fmt.Errorf("not a gzip'd CSV file: %w", err)
	}
	defer zr.Close()
	cr := csv.NewReader(zr)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
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
	return row, nil
}
