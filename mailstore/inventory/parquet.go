package inventory

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// parquetColumn is a column of AWS's Parquet inventory schema that Read
// uses, with the physical type AWS writes it as.
type parquetColumn struct {
	name string
	kind parquet.Kind
}

var (
	pqBucket       = parquetColumn{"bucket", parquet.ByteArray}
	pqKey          = parquetColumn{"key", parquet.ByteArray}
	pqSize         = parquetColumn{"size", parquet.Int64}
	pqLastModified = parquetColumn{"last_modified_date", parquet.Int64}
	pqETag         = parquetColumn{"e_tag", parquet.ByteArray}
	pqIsLatest     = parquetColumn{"is_latest", parquet.Boolean}
	pqDeleteMarker = parquetColumn{"is_delete_marker", parquet.Boolean}
)

// readParquet streams the rows of a Parquet file (which keeps its index at
// the end, so it needs random access: Read hands it the verified copy).
// A column it uses must be a top-level, non-repeated column of the type AWS
// writes: anything else is refused rather than read into the wrong field.
func readParquet(r io.ReaderAt, size int64, fn func(Row) error) (err error) {
	// parquet-go can panic on a file it does not expect; a report is
	// bytes from a bucket, so that is an error about the file, not a crash.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("unreadable Parquet file: %v", p)
		}
	}()
	f, err := parquet.OpenFile(r, size)
	if err != nil {
		return fmt.Errorf("not a Parquet file: %w", err)
	}
	index := map[parquetColumn]int{}
	unit := time.Millisecond // AWS writes timestamp(millisecond)
	for _, c := range []parquetColumn{pqBucket, pqKey, pqSize, pqLastModified, pqETag, pqIsLatest, pqDeleteMarker} {
		leaf, ok := f.Schema().Lookup(c.name)
		if !ok {
			continue
		}
		if k := leaf.Node.Type().Kind(); leaf.MaxRepetitionLevel != 0 || k != c.kind {
			return fmt.Errorf("the Parquet column %s is %s (repeated: %t), want a single %s: not an S3 Inventory schema",
				c.name, k, leaf.MaxRepetitionLevel != 0, c.kind)
		}
		index[c] = leaf.ColumnIndex
		if lt := leaf.Node.Type().LogicalType(); c == pqLastModified && lt != nil {
			if ts, ok := lt.Value.(*format.TimestampType); ok && ts.Unit.Value != nil {
				unit = ts.Unit.Value.Duration()
			}
		}
	}
	if _, ok := index[pqKey]; !ok {
		return errors.New("the Parquet schema has no key column")
	}
	byIndex := make(map[int]parquetColumn, len(index))
	for c, i := range index {
		byIndex[i] = c
	}
	buf := make([]parquet.Row, 512)
	for _, rg := range f.RowGroups() {
		rows := rg.Rows()
		for {
			n, err := rows.ReadRows(buf)
			for _, pr := range buf[:n] {
				row, err := parquetRow(pr, byIndex, unit)
				if err == nil {
					err = fn(row)
				}
				if err != nil {
					rows.Close()
					return err
				}
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				rows.Close()
				return err
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
	}
	return nil
}

// parquetRow reads one row by column index (a row holds a value per
// column, more for a repeated column, so positions are not indexes).
func parquetRow(pr parquet.Row, byIndex map[int]parquetColumn, unit time.Duration) (Row, error) {
	row := Row{IsLatest: true}
	pr.Range(func(i int, vs []parquet.Value) bool {
		c, ok := byIndex[i]
		if !ok || len(vs) != 1 || vs[0].IsNull() {
			return true
		}
		x := vs[0]
		switch c {
		case pqBucket:
			row.Bucket = string(x.ByteArray())
		case pqKey:
			row.Key = string(x.ByteArray())
		case pqSize:
			row.Size = x.Int64()
		case pqLastModified:
			switch unit {
			case time.Microsecond:
				row.LastModified = time.UnixMicro(x.Int64()).UTC()
			case time.Nanosecond:
				row.LastModified = time.Unix(0, x.Int64()).UTC()
			default:
				row.LastModified = time.UnixMilli(x.Int64()).UTC()
			}
		case pqETag:
			row.ETag = trimETag(string(x.ByteArray()))
		case pqIsLatest:
			row.IsLatest = x.Boolean()
		case pqDeleteMarker:
			row.DeleteMarker = x.Boolean()
		}
		return true
	})
	return row, checkRow(row)
}
