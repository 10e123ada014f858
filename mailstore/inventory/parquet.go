package inventory

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
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
	// Only the columns above are read, each page by page: a row of the
	// file holds every column, and a column sesbox does not use (a
	// report's storage class, or a column of megabytes a value that a
	// file of kilobytes decompresses to) would otherwise be decompressed
	// and held for every row of a batch.
	groups := f.Metadata().RowGroups
	for g, rg := range f.RowGroups() {
		chunks := rg.ColumnChunks()
		cols := make([]*columnValues, 0, len(index))
		for c, i := range index {
			if g >= len(groups) || i >= len(groups[g].Columns) || i >= len(chunks) {
				return fmt.Errorf("the Parquet row group %d has no column %s", g, c.name)
			}
			if err := checkPages(r, groups[g].Columns[i].MetaData, c.name); err != nil {
				return err
			}
			cols = append(cols, &columnValues{column: c, pages: chunks[i].Pages()})
		}
		err := readRowGroup(rg.NumRows(), cols, unit, fn)
		for _, cv := range cols {
			cv.pages.Close()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// maxParquetPage bounds what one page of a column sesbox reads may
// decompress to. parquet-go allocates the size a page header states before
// it decompresses the page, so a header of a few bytes could ask for 2 GB
// (per column); AWS's pages are a megabyte or so.
const maxParquetPage = 64 << 20

// maxParquetPageValues bounds how many values one such page may hold: an
// encoding of runs (RLE, delta) packs millions of values in a few bytes,
// and a page is decoded whole. AWS's pages hold thousands.
const maxParquetPageValues = 1 << 22

// checkPages reads every page of a column chunk, where parquet-go reads
// them (from the dictionary page, or the first data page, to the chunk's
// compressed size), and refuses a page that states more than
// maxParquetPage bytes (compressed or not) or maxParquetPageValues
// values, or whose bytes decompress to another size than it states
// (pageSizer). One page is held at a time.
func checkPages(r io.ReaderAt, md format.ColumnMetaData, name string) error {
	base := md.DataPageOffset
	if md.DictionaryPageOffset != 0 {
		base = md.DictionaryPageOffset
	}
	br := bufio.NewReader(io.NewSectionReader(r, base, md.TotalCompressedSize))
	var proto thrift.CompactProtocol
	dec := thrift.NewDecoder(proto.NewReader(br))
	var sizer pageSizer
	defer sizer.close()
	var page []byte
	for {
		if _, err := br.Peek(1); errors.Is(err, io.EOF) {
			return nil
		}
		var h format.PageHeader
		if err := dec.Decode(&h); err != nil {
			return fmt.Errorf("the Parquet column %s: unreadable page header: %w", name, err)
		}
		if h.UncompressedPageSize < 0 || h.UncompressedPageSize > maxParquetPage || h.CompressedPageSize < 0 || h.CompressedPageSize > maxParquetPage {
			return fmt.Errorf("the Parquet column %s has a page of %d bytes, %d compressed (at most %d MiB): not an S3 Inventory report",
				name, h.UncompressedPageSize, h.CompressedPageSize, maxParquetPage>>20)
		}
		if n := max(h.DataPageHeader.V.NumValues, h.DataPageHeaderV2.V.NumValues, h.DictionaryPageHeader.V.NumValues); n > maxParquetPageValues ||
			min(h.DataPageHeader.V.NumValues, h.DataPageHeaderV2.V.NumValues, h.DictionaryPageHeader.V.NumValues) < 0 {
			return fmt.Errorf("the Parquet column %s has a page of %d values (at most %d): not an S3 Inventory report", name, n, maxParquetPageValues)
		}
		page = slices.Grow(page[:0], int(h.CompressedPageSize))[:h.CompressedPageSize]
		if _, err := io.ReadFull(br, page); err != nil {
			return fmt.Errorf("the Parquet column %s: a page cut short: %w", name, err)
		}
		// A v2 data page keeps its levels uncompressed ahead of the
		// values, and may leave the values uncompressed too.
		codec, data, want := md.Codec, page, int(h.UncompressedPageSize)
		if v2 := h.DataPageHeaderV2; v2.Valid {
			levels := int(v2.V.DefinitionLevelsByteLength) + int(v2.V.RepetitionLevelsByteLength)
			if v2.V.DefinitionLevelsByteLength < 0 || v2.V.RepetitionLevelsByteLength < 0 || levels > len(data) || levels > want {
				return fmt.Errorf("the Parquet column %s has a page whose levels do not fit in it: not an S3 Inventory report", name)
			}
			data, want = data[levels:], want-levels
			if v2.V.IsCompressed.Valid && !v2.V.IsCompressed.V {
				codec = format.Uncompressed
			}
		}
		if err := sizer.check(codec, data, want); err != nil {
			return fmt.Errorf("the Parquet column %s has a page that %v: not an S3 Inventory report", name, err)
		}
	}
}

// readRowGroup passes on the n rows of one row group, a value of each
// column at a time.
func readRowGroup(n int64, cols []*columnValues, unit time.Duration, fn func(Row) error) error {
	for r := range n {
		row := Row{IsLatest: true}
		for _, cv := range cols {
			v, err := cv.next()
			if err != nil {
				return fmt.Errorf("the Parquet column %s ends before row %d of %d: %w", cv.column.name, r+1, n, err)
			}
			if v.IsNull() {
				continue
			}
			setParquetValue(&row, cv.column, v, unit)
		}
		if err := checkRow(row); err != nil {
			return err
		}
		if err := fn(row); err != nil {
			return err
		}
	}
	return nil
}

// columnValues reads the values of one non-repeated column in row order,
// one page at a time.
type columnValues struct {
	column parquetColumn
	pages  parquet.Pages
	vals   parquet.ValueReader
	buf    [64]parquet.Value
	i, n   int
}

func (c *columnValues) next() (parquet.Value, error) {
	for c.i == c.n {
		if c.vals != nil {
			n, err := c.vals.ReadValues(c.buf[:])
			c.i, c.n = 0, n
			if n > 0 {
				break
			}
			if err != nil && !errors.Is(err, io.EOF) {
				return parquet.Value{}, err
			}
		}
		p, err := c.pages.ReadPage()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return parquet.Value{}, err
		}
		c.vals = p.Values()
	}
	v := c.buf[c.i]
	c.i++
	return v, nil
}

// setParquetValue puts the value of column c into row; byte arrays are
// copied, as a page's memory is reused.
func setParquetValue(row *Row, c parquetColumn, x parquet.Value, unit time.Duration) {
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
}
