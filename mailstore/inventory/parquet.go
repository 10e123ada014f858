package inventory

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/parquet-go/parquet-go"
)

// readParquet copies the file to a private temporary file (Parquet keeps
// its index at the end, so it needs random access) and streams its rows.
func readParquet(r io.Reader, tmpDir string, fn func(Row) error) error {
	tmp, err := os.CreateTemp(tmpDir, "sesbox-inventory-*.parquet")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	size, err := io.Copy(tmp, r)
	if err != nil {
		return err
	}
	f, err := parquet.OpenFile(tmp, size)
	if err != nil {
		return fmt.Errorf("not a Parquet file: %w", err)
	}
	col := func(name string) int {
		if c, ok := f.Schema().Lookup(name); ok {
			return c.ColumnIndex
		}
		return -1
	}
	bucket, key, size_, lastMod, etag, isLatest, delMarker :=
		col("bucket"), col("key"), col("size"), col("last_modified_date"), col("e_tag"), col("is_latest"), col("is_delete_marker")
	if key < 0 {
		return errors.New("the Parquet schema has no key column")
	}
	buf := make([]parquet.Row, 512)
	for _, rg := range f.RowGroups() {
		rows := rg.Rows()
		for {
			n, err := rows.ReadRows(buf)
			for _, pr := range buf[:n] {
				v := func(i int) (parquet.Value, bool) {
					if i < 0 || i >= len(pr) || pr[i].IsNull() {
						return parquet.Value{}, false
					}
					return pr[i], true
				}
				row := Row{IsLatest: true}
				if x, ok := v(bucket); ok {
					row.Bucket = string(x.ByteArray())
				}
				if x, ok := v(key); ok {
					row.Key = string(x.ByteArray())
				}
				if x, ok := v(size_); ok {
					row.Size = x.Int64()
				}
				if x, ok := v(lastMod); ok {
					// AWS writes timestamp(millisecond).
					row.LastModified = time.UnixMilli(x.Int64()).UTC()
				}
				if x, ok := v(etag); ok {
					row.ETag = trimETag(string(x.ByteArray()))
				}
				if x, ok := v(isLatest); ok {
					row.IsLatest = x.Boolean()
				}
				if x, ok := v(delMarker); ok {
					row.DeleteMarker = x.Boolean()
				}
				if err := fn(row); err != nil {
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
