package inventory_test

import (
	"bytes"
	"runtime"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

func TestProbeParquetBomb(t *testing.T) {
	type wide struct {
		Key  string `parquet:"key"`
		Junk string `parquet:"junk,zstd"`
	}
	junk := strings.Repeat("a", 200<<20)
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[wide](&buf, parquet.Compression(&parquet.Zstd))
	if _, err := w.Write([]wide{{"inbox/k", junk}}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	junk = ""
	t.Logf("file %d bytes", buf.Len())
	src := handReport(t, "Parquet", "", buf.Bytes())
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rows, err := readAll(src)
	runtime.ReadMemStats(&after)
	t.Logf("rows %d err %v alloc %d MB", len(rows), err, (after.TotalAlloc-before.TotalAlloc)>>20)
}

func TestProbeGzipRows(t *testing.T) {
	var raw bytes.Buffer
	line := []byte(`"other","x/k"` + "\n")
	for raw.Len() < 200<<20 {
		raw.Write(line)
	}
	z := gzipped(t, raw.Bytes())
	t.Logf("gz %d bytes for %d", len(z), raw.Len())
	src := handReport(t, "CSV", "Bucket, Key", z)
	rows, err := readAll(src)
	t.Logf("rows %d err %v", len(rows), err)
}
