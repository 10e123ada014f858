package inventory_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
)

// understated writes one page of keys, compressed by codec, whose values
// take real bytes uncompressed, then rewrites the page header to state
// stated bytes instead (a varint of the same length, so no offset in the
// file moves): a page that says it is small and is not.
func understated(t *testing.T, codec compress.Codec, real, stated int) []byte {
	t.Helper()
	type row struct {
		Key string `parquet:"key"`
	}
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[row](&buf, parquet.Compression(codec), parquet.PageBufferSize(real*2))
	for i := range real >> 20 {
		if _, err := w.Write([]row{{fmt.Sprintf("inbox/%08d", i) + strings.Repeat("a", 1<<20-18)}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	md := f.Metadata().RowGroups[0].Columns[0].MetaData
	if len(f.Metadata().RowGroups) != 1 {
		t.Fatalf("%d row groups", len(f.Metadata().RowGroups))
	}
	// The header starts: field 1 (type, i32) DATA_PAGE, field 2
	// (uncompressed_page_size, i32, a zigzag varint).
	at := md.DataPageOffset
	head := data[at:]
	if head[0] != 0x15 || head[2] != 0x15 {
		t.Fatalf("page header % x", head[:8])
	}
	size, l := binary.Varint(head[3:])
	stateVarint := binary.AppendVarint(nil, int64(stated))
	if len(stateVarint) > l {
		t.Fatalf("stated %d needs %d bytes, the header has %d", stated, len(stateVarint), l)
	}
	for len(stateVarint) < l { // the same number, in as many bytes (a varint may run long)
		stateVarint[len(stateVarint)-1] |= 0x80
		stateVarint = append(stateVarint, 0)
	}
	if size < int64(real)*9/10 {
		t.Fatalf("the page holds %d bytes, want about %d", size, real)
	}
	copy(head[3:], stateVarint)
	return data
}

// A page that states a small size but decompresses to more is refused
// before it is decompressed into memory: parquet-go sizes its buffer by
// the header, and a decoder (zstd, gzip, brotli) grows it to whatever the
// bytes give, so a page of a few KiB, stating 1 MiB, took 160 MB (and a
// file of megabytes, gigabytes). Each codec AWS might write is checked;
// an uncompressed page is read as it states, up to maxParquetPage. What
// is left is the decoder's window, which the frame asks for (16 MiB for
// these pages of 32; at most maxParquetPage).
func TestParquetPageUnderstatingItsSizeIsRefused(t *testing.T) {
	for _, codec := range []compress.Codec{&parquet.Zstd, &parquet.Gzip, &parquet.Brotli, &parquet.Snappy, &parquet.Lz4Raw} {
		t.Run(codec.String(), func(t *testing.T) {
			data := understated(t, codec, 32<<20, 1<<20)
			rows, alloc, err := readAllAllocating(handReport(t, "Parquet", "", data))
			if err == nil || !strings.Contains(err.Error(), "not an S3 Inventory report") {
				t.Errorf("%d rows, err = %v", len(rows), err)
			}
			if alloc > 24<<20 {
				t.Errorf("allocated %d MB before refusing the page", alloc>>20)
			}
		})
	}
}

// Well-formed pages of every codec, in both data page versions, with and
// without a dictionary and with nulls (levels), pass the check and read
// back whole.
func TestParquetPagesOfEveryCodecRead(t *testing.T) {
	type row struct {
		Key  string  `parquet:"key"`
		Dict string  `parquet:"bucket,dict"`
		Size *int64  `parquet:"size,optional"`
		ETag *string `parquet:"e_tag,optional"`
	}
	codecs := map[string]compress.Codec{"none": &parquet.Uncompressed, "snappy": &parquet.Snappy, "gzip": &parquet.Gzip,
		"brotli": &parquet.Brotli, "zstd": &parquet.Zstd, "lz4": &parquet.Lz4Raw}
	for name, codec := range codecs {
		for _, version := range []int{1, 2} {
			t.Run(fmt.Sprint(name, "/v", version), func(t *testing.T) {
				var in []row
				for i := range 5000 {
					r := row{Key: fmt.Sprintf("inbox/%05d-%x", i, i*7919), Dict: "mail"}
					if i%3 != 0 {
						size, etag := int64(i), fmt.Sprintf("%032x", i)
						r.Size, r.ETag = &size, &etag
					}
					in = append(in, r)
				}
				data := parquetBytes(t, in, parquet.Compression(codec), parquet.DataPageVersion(version), parquet.PageBufferSize(16<<10))
				rows, err := readAll(handReport(t, "Parquet", "", data))
				if err != nil || len(rows) != len(in) {
					t.Fatalf("%d rows of %d, err %v", len(rows), len(in), err)
				}
				for i, r := range rows {
					if r.Key != in[i].Key || (in[i].Size != nil && (r.Size != *in[i].Size || r.ETag != *in[i].ETag)) {
						t.Fatalf("row %d: %+v, want %+v", i, r, in[i])
					}
				}
			})
		}
	}
}
