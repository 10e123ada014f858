package inventory_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/inventory"
	"github.com/sesbox/sesbox/mailstore/testutil/invgen"
)

// The tests below write reports by hand (invgen writes only well-formed
// ones): a report is bytes in a bucket, and sesbox must neither crash,
// nor grow without bound, nor pass on a row it misread.

const testRoot = "inv/mail/cfg/"

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writeManifest puts manifest m (and its checksum) in report folder dir of
// bucket "inv".
func writeManifest(t *testing.T, src memSource, dir string, m map[string]any) {
	t.Helper()
	body, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(body)
	src["inv/"+dir+"manifest.json"] = body
	src["inv/"+dir+"manifest.checksum"] = []byte(hex.EncodeToString(sum[:]) + "\n")
}

// handReport writes one data file (as the manifest names it, size and MD5
// included) and a manifest of format and schema into a new memSource.
func handReport(t *testing.T, format, schema string, data []byte) memSource {
	t.Helper()
	src := memSource{}
	key := testRoot + "data/1"
	src["inv/"+key] = data
	sum := md5.Sum(data)
	writeManifest(t, src, testRoot+"2026-12-01T00-00Z/", map[string]any{
		"sourceBucket": "mail", "destinationBucket": "arn:aws:s3:::inv", "fileFormat": format, "fileSchema": schema,
		"creationTimestamp": "1764547200000",
		"files":             []map[string]any{{"key": key, "size": len(data), "MD5checksum": hex.EncodeToString(sum[:])}},
	})
	return src
}

// readAll reads the newest report of src as the mailbox mail/inbox/ would.
func readAll(src memSource) ([]inventory.Row, error) {
	ctx := context.Background()
	m, err := inventory.Latest(ctx, src, inventory.URL{Bucket: "inv", Prefix: testRoot})
	if err != nil {
		return nil, err
	}
	var rows []inventory.Row
	err = inventory.Read(ctx, src, m, inventory.Filter{Bucket: "mail", Prefix: ""}, "", func(r inventory.Row) error {
		rows = append(rows, r)
		return nil
	})
	return rows, err
}

// readAllAllocating is readAll and the bytes allocated meanwhile, after
// a GC, so that what the test built before does not count.
func readAllAllocating(src memSource) ([]inventory.Row, uint64, error) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rows, err := readAll(src)
	runtime.ReadMemStats(&after)
	return rows, after.TotalAlloc - before.TotalAlloc, err
}

// AWS quotes every field and URL-encodes keys (form encoding: a space is
// "+", "+" is "%2B"); the optional fields come in the order fileSchema
// gives, which is not always the same.
func TestCSVAsAWSWritesIt(t *testing.T) {
	schema := "Bucket, Key, ETag, IsLatest, Size, LastModifiedDate, StorageClass"
	data := `"mail","inbox/a+b%2Bc%2Fd%C3%BC%0A%2C","""0f""","true","12","2026-11-30T10:00:00.000Z","STANDARD"` + "\n" +
		`"mail","inbox/%E2%80%AEevil","e2","false","1","2026-11-30T10:00:00.000Z","STANDARD"` + "\n"
	rows, err := readAll(handReport(t, "CSV", schema, gzipped(t, []byte(data))))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	want := inventory.Row{Bucket: "mail", Key: "inbox/a b+c/dü\n,", Size: 12, ETag: "0f", LastModified: at, IsLatest: true}
	if len(rows) != 1 || rows[0] != want {
		t.Fatalf("rows %+v, want only %+v (the other is not the latest version)", rows, want)
	}
}

func TestCSVRowsThatAreNotInventoryRowsAreRefused(t *testing.T) {
	schema := "Bucket, Key, Size, LastModifiedDate, ETag"
	ok := `"mail","inbox/ok","1","2026-11-30T10:00:00.000Z","e"` + "\n"
	for name, tc := range map[string]struct{ data, want string }{
		"a column missing": {ok + `"mail","inbox/a","12"` + "\n", "wrong number of fields"},
		"a column more":    {ok + `"mail","inbox/a","1","2026-11-30T10:00:00.000Z","e","x"` + "\n", "wrong number of fields"},
		"empty key":        {ok + `"mail","","1","2026-11-30T10:00:00.000Z","e"` + "\n", "empty key"},
		"key too long":     {ok + `"mail","` + strings.Repeat("k", 1025) + `","1","2026-11-30T10:00:00.000Z","e"` + "\n", "not an S3 key"},
		"bad escape":       {ok + `"mail","inbox/%zz","1","2026-11-30T10:00:00.000Z","e"` + "\n", "invalid URL escape"},
		"negative size":    {ok + `"mail","inbox/a","-1","2026-11-30T10:00:00.000Z","e"` + "\n", "size -1"},
		"unclosed quote":   {ok + `"mail","inbox/a` + "\n", "extraneous or missing"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := readAll(handReport(t, "CSV", schema, gzipped(t, []byte(tc.data))))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// A gzip bomb: 256 MB of one endless row in 250 KB. It is refused after
// maxCSVRow, having allocated a few MB, not the 1 GB it took to hold it.
func TestCSVEndlessRowIsBounded(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	chunk := bytes.Repeat([]byte("a"), 1<<20)
	for range 256 {
		zw.Write(chunk)
	}
	zw.Close()
	src := handReport(t, "CSV", "Bucket, Key", buf.Bytes())
	_, alloc, err := readAllAllocating(src)
	if err == nil || !strings.Contains(err.Error(), "row 1: a row longer than 64 KiB") {
		t.Fatalf("err = %v", err)
	}
	if alloc > 16<<20 {
		t.Fatalf("allocated %d MB for one bad row", alloc>>20)
	}
}

// A data file that is not the one the manifest names (cut short, or
// replaced) is refused before any of its rows is passed on: a partial
// ingest must not look like a complete one.
func TestChangedDataFileYieldsNoRow(t *testing.T) {
	at := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	r := invgen.Report{DestBucket: "inv", SourceBucket: "mail", ConfigID: "c", Format: "CSV", Created: at}
	for name, change := range map[string]func([]byte) []byte{
		"truncated": func(b []byte) []byte { return b[:len(b)-20] },
		"longer":    func(b []byte) []byte { return append(b, make([]byte, 1<<20)...) },
		"same size": func(b []byte) []byte { c := bytes.Clone(b); c[len(c)-9] ^= 1; return c },
	} {
		t.Run(name, func(t *testing.T) {
			src := memSource{}
			if err := invgen.Write(r, objects(50, 3), src.put("inv")); err != nil {
				t.Fatal(err)
			}
			m, err := inventory.Latest(context.Background(), src, inventory.URL{Bucket: "inv", Prefix: r.Root()})
			if err != nil {
				t.Fatal(err)
			}
			src["inv/"+m.Files[0].Key] = change(src["inv/"+m.Files[0].Key])
			rows := 0
			err = inventory.Read(context.Background(), src, m, inventory.Filter{}, t.TempDir(), func(inventory.Row) error { rows++; return nil })
			if err == nil || rows != 0 {
				t.Fatalf("err = %v after %d rows, want an error before any", err, rows)
			}
		})
	}
}

// A manifest names where to read: only files of its own report bucket,
// under the configuration's folder, are read. And a newest report that
// is there but wrong is an error, not a reason to read an older one.
func TestManifestIsKeptToItsFolder(t *testing.T) {
	good := func(t *testing.T) memSource {
		return handReport(t, "CSV", "Bucket, Key", gzipped(t, []byte(`"mail","inbox/a"`+"\n")))
	}
	for name, tc := range map[string]struct {
		change func(m map[string]any)
		want   string
	}{
		"another bucket":   {func(m map[string]any) { m["destinationBucket"] = "arn:aws:s3:::victim" }, "destination bucket"},
		"another prefix":   {func(m map[string]any) { m["files"].([]any)[0].(map[string]any)["key"] = "other/data/1" }, "outside"},
		"climbing out":     {func(m map[string]any) { m["files"].([]any)[0].(map[string]any)["key"] = testRoot + "../x/data/1" }, "outside"},
		"orc":              {func(m map[string]any) { m["fileFormat"] = "ORC" }, "ORC inventory reports are not supported"},
		"checksum changed": {nil, "does not match manifest.checksum"},
	} {
		t.Run(name, func(t *testing.T) {
			src := good(t)
			// A newer report, changed as the case says.
			dir := testRoot + "2026-12-02T00-00Z/"
			var m map[string]any
			if err := json.Unmarshal(src["inv/"+testRoot+"2026-12-01T00-00Z/manifest.json"], &m); err != nil {
				t.Fatal(err)
			}
			if tc.change != nil {
				tc.change(m)
				writeManifest(t, src, dir, m)
			} else {
				writeManifest(t, src, dir, m)
				src["inv/"+dir+"manifest.checksum"] = []byte(strings.Repeat("0", 32))
			}
			_, err := readAll(src)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	// A newer report without its checksum yet is still being written.
	src := good(t)
	src["inv/"+testRoot+"2026-12-02T00-00Z/manifest.json"] = []byte("{}")
	if rows, err := readAll(src); err != nil || len(rows) != 1 {
		t.Fatalf("rows %v, err %v: want the older report's row", rows, err)
	}
}

func parquetBytes[T any](t *testing.T, rows []T, opts ...parquet.WriterOption) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[T](&buf, opts...)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestParquetOfAnotherSchema(t *testing.T) {
	// A key that is a number crashed the process (parquet-go panics when a
	// value is read as a type it is not).
	type intKey struct {
		Key int64 `parquet:"key"`
	}
	_, err := readAll(handReport(t, "Parquet", "", parquetBytes(t, []intKey{{5}})))
	if err == nil || !strings.Contains(err.Error(), "column key is INT64") {
		t.Fatalf("err = %v", err)
	}
	// A repeated column before the key put one of its values in the key.
	type tagged struct {
		Tags []string  `parquet:"tags"`
		Key  string    `parquet:"key"`
		Size int64     `parquet:"size"`
		At   time.Time `parquet:"last_modified_date,timestamp(microsecond)"`
	}
	at := time.Date(2026, 11, 30, 10, 0, 0, 123456000, time.UTC)
	rows, err := readAll(handReport(t, "Parquet", "", parquetBytes(t, []tagged{{[]string{"a", "b"}, "inbox/k", 5, at}})))
	if err != nil {
		t.Fatal(err)
	}
	if want := (inventory.Row{Bucket: "mail", Key: "inbox/k", Size: 5, LastModified: at, IsLatest: true}); len(rows) != 1 || rows[0] != want {
		t.Fatalf("rows %+v, want %+v", rows, want)
	}
	type repeatedKey struct {
		Key []string `parquet:"key"`
	}
	if _, err := readAll(handReport(t, "Parquet", "", parquetBytes(t, []repeatedKey{{[]string{"a"}}}))); err == nil || !strings.Contains(err.Error(), "repeated: true") {
		t.Fatalf("err = %v", err)
	}
	_, err = readAll(handReport(t, "Parquet", "", []byte("PAR1 not really PAR1")))
	if err == nil || !strings.Contains(err.Error(), "Parquet") {
		t.Fatalf("err = %v", err)
	}
}

// A manifest without a field AWS always writes, or with one of another
// type, is refused with the field named, before any data file is read:
// without a source bucket rows could be taken for any mailbox's, without
// a file's size and MD5 a file cut short would pass on its first rows.
func TestManifestWithoutWhatAWSWrites(t *testing.T) {
	file := func(m map[string]any) map[string]any { return m["files"].([]any)[0].(map[string]any) }
	for name, tc := range map[string]struct {
		change func(m map[string]any)
		want   string
	}{
		"no sourceBucket":      {func(m map[string]any) { delete(m, "sourceBucket") }, "no sourceBucket"},
		"no files":             {func(m map[string]any) { delete(m, "files") }, "no files"},
		"no fileFormat":        {func(m map[string]any) { delete(m, "fileFormat") }, `unknown file format ""`},
		"no fileSchema":        {func(m map[string]any) { delete(m, "fileSchema") }, "has no Key column"},
		"schema without Key":   {func(m map[string]any) { m["fileSchema"] = "Bucket, Size" }, "has no Key column"},
		"file without size":    {func(m map[string]any) { delete(file(m), "size") }, "cannot be checked"},
		"file without MD5":     {func(m map[string]any) { delete(file(m), "MD5checksum") }, "cannot be checked"},
		"MD5 not hex":          {func(m map[string]any) { file(m)["MD5checksum"] = "zz" }, "cannot be checked"},
		"size a string":        {func(m map[string]any) { file(m)["size"] = "12" }, "cannot unmarshal"},
		"files an object":      {func(m map[string]any) { m["files"] = map[string]any{} }, "cannot unmarshal"},
		"not an object":        {nil, "cannot unmarshal"},
		"destination a number": {func(m map[string]any) { m["destinationBucket"] = 5 }, "cannot unmarshal"},
	} {
		t.Run(name, func(t *testing.T) {
			src := handReport(t, "CSV", "Bucket, Key", gzipped(t, []byte(`"mail","inbox/a"`+"\n")))
			dir := testRoot + "2026-12-01T00-00Z/"
			var m map[string]any
			if err := json.Unmarshal(src["inv/"+dir+"manifest.json"], &m); err != nil {
				t.Fatal(err)
			}
			if tc.change == nil {
				body := []byte(`["not", "a", "manifest"]`)
				sum := md5.Sum(body)
				src["inv/"+dir+"manifest.json"], src["inv/"+dir+"manifest.checksum"] = body, []byte(hex.EncodeToString(sum[:]))
			} else {
				tc.change(m)
				writeManifest(t, src, dir, m)
			}
			rows, err := readAll(src)
			if err == nil || !strings.Contains(err.Error(), tc.want) || len(rows) != 0 {
				t.Fatalf("rows %v, err = %v, want %q", rows, err, tc.want)
			}
		})
	}
}

// A gzip bomb of short rows, each a row of another bucket: no row is too
// long, and without a bound the ingest decompressed all of it (500 times
// the file here; a thousand is possible), for nothing.
func TestCSVInflationIsBounded(t *testing.T) {
	var raw bytes.Buffer
	for raw.Len() < 100<<20 {
		raw.WriteString(`"other","x/k"` + "\n")
	}
	src := handReport(t, "CSV", "Bucket, Key", gzipped(t, raw.Bytes()))
	rows, err := readAll(src)
	if err == nil || !strings.Contains(err.Error(), "gzip bomb") || len(rows) != 0 {
		t.Fatalf("rows %d, err = %v", len(rows), err)
	}
}

// A report whose gzip stream was cut short before AWS hashed it (the MD5
// matches) says so, with the row it stopped at.
func TestCSVCutShortSaysSo(t *testing.T) {
	data := gzipped(t, []byte(strings.Repeat(`"mail","inbox/a"`+"\n", 1000)))
	for name, b := range map[string][]byte{
		"cut":     data[:len(data)-12],
		"crc off": append(bytes.Clone(data[:len(data)-8]), 0, 0, 0, 0, data[len(data)-4], data[len(data)-3], data[len(data)-2], data[len(data)-1]),
	} {
		_, err := readAll(handReport(t, "CSV", "Bucket, Key", b))
		if err == nil || !strings.Contains(err.Error(), "gzip stream is cut short or damaged") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

// Only the columns sesbox uses are read: a column of large values beside
// them (here 600 rows of 1 MiB each) was decompressed
// and held 512 rows at a time (over 500 MB), and a null in an optional
// column keeps its row's place.
func TestParquetReadsOnlyItsColumns(t *testing.T) {
	type wide struct {
		Key  string  `parquet:"key"`
		Junk string  `parquet:"junk,zstd"`
		Size *int64  `parquet:"size,optional"`
		ETag *string `parquet:"e_tag,optional"`
	}
	junk := strings.Repeat("a", 1<<20)
	var in []wide
	for i := range 600 {
		w := wide{Key: fmt.Sprintf("inbox/k%03d", i), Junk: junk}
		if i%3 != 0 {
			size, etag := int64(i), fmt.Sprint("e", i)
			w.Size, w.ETag = &size, &etag
		}
		in = append(in, w)
	}
	data := parquetBytes(t, in)
	in, junk = nil, ""
	src := handReport(t, "Parquet", "", data)
	rows, alloc, err := readAllAllocating(src)
	if err != nil || len(rows) != 600 {
		t.Fatalf("%d rows, err %v", len(rows), err)
	}
	for i, r := range rows {
		want := inventory.Row{Bucket: "mail", Key: fmt.Sprintf("inbox/k%03d", i), IsLatest: true}
		if i%3 != 0 {
			want.Size, want.ETag = int64(i), fmt.Sprint("e", i)
		}
		if r != want {
			t.Fatalf("row %d: %+v, want %+v", i, r, want)
		}
	}
	if alloc > 64<<20 {
		t.Fatalf("allocated %d MB to read %d bytes of keys and sizes", alloc>>20, len(data))
	}
}

// A data file is anyone's bytes once its manifest names it: reading one
// never panics, and every row passed on is one S3 could hold, of the
// mailbox's bucket.
func FuzzDataFile(f *testing.F) {
	f.Add(true, []byte(`"mail","inbox/a%20b","12"`+"\n"))
	f.Add(true, []byte(`"mail","inbox/a","1"`+"\n"+`"mail","inbox/%E2%80%AE","x"`+"\n"))
	type row struct {
		Key  string `parquet:"key"`
		Size int64  `parquet:"size"`
	}
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[row](&buf)
	if _, err := w.Write([]row{{"inbox/a", 1}, {"inbox/b", 2}}); err != nil {
		f.Fatal(err)
	}
	if err := w.Close(); err != nil {
		f.Fatal(err)
	}
	f.Add(false, buf.Bytes())
	f.Fuzz(func(t *testing.T, csv bool, data []byte) {
		format, schema := "Parquet", ""
		if csv {
			format, schema = "CSV", "Bucket, Key, Size"
			data = gzipped(t, data)
		}
		rows, _ := readAll(handReport(t, format, schema, data))
		for _, r := range rows {
			if r.Key == "" || len(r.Key) > 1024 || r.Size < 0 || r.Bucket != "mail" {
				t.Fatalf("row %+v passed on", r)
			}
		}
	})
}

// A page of a column sesbox reads is refused when its header states more
// than 64 MiB: parquet-go allocates what the header states before it
// decompresses, so a header of a few bytes could ask for 2 GB. Here the
// page is real (70 keys of 1 MiB, compressed to little) and the refusal
// comes before it is decompressed.
func TestParquetPageSizeIsBounded(t *testing.T) {
	type big struct {
		Key string `parquet:"key,zstd"`
	}
	rows := make([]big, 70)
	for i := range rows {
		rows[i].Key = fmt.Sprintf("inbox/%d", i) + strings.Repeat("a", 1<<20)
	}
	data := parquetBytes(t, rows, parquet.PageBufferSize(256<<20))
	rows = nil
	src := handReport(t, "Parquet", "", data)
	_, alloc, err := readAllAllocating(src)
	if err == nil || !strings.Contains(err.Error(), "has a page of") {
		t.Fatalf("err = %v", err)
	}
	if alloc > 32<<20 {
		t.Fatalf("allocated %d MB before refusing the page", alloc>>20)
	}
}

// A page of more than 4M values is refused before it is decoded: runs
// pack millions of values in a few bytes (here 5M booleans, and as many
// keys from a dictionary of one), and a page is decoded whole.
func TestParquetPageValuesAreBounded(t *testing.T) {
	type flags struct {
		Key    string `parquet:"key,dict"`
		Latest bool   `parquet:"is_latest"`
	}
	rows := make([]flags, 5<<20)
	for i := range rows {
		rows[i] = flags{Key: "inbox/a", Latest: true}
	}
	data := parquetBytes(t, rows, parquet.PageBufferSize(256<<20))
	rows = nil
	_, err := readAll(handReport(t, "Parquet", "", data))
	if err == nil || !strings.Contains(err.Error(), "values (at most") {
		t.Fatalf("err = %v (file of %d bytes)", err, len(data))
	}
}

// A last-modified time no S3 object has (year 9999, year 1) ends the
// ingest naming the row, as another impossible value does: the index
// keeps times as Unix nanoseconds, and 9999-12-31 came back as 1816.
func TestRowWithAnImpossibleTimeIsRefused(t *testing.T) {
	schema := "Bucket, Key, Size, LastModifiedDate"
	for _, ts := range []string{"9999-12-31T23:59:59.000Z", "0001-01-01T00:00:01.000Z"} {
		data := `"mail","inbox/ok","1","2026-11-30T10:00:00.000Z"` + "\n" + `"mail","inbox/a","1","` + ts + `"` + "\n"
		_, err := readAll(handReport(t, "CSV", schema, gzipped(t, []byte(data))))
		if err == nil || !strings.Contains(err.Error(), "row 2") || !strings.Contains(err.Error(), "not a time S3 gives") {
			t.Errorf("%s: err = %v", ts, err)
		}
	}
}

// TestInventoryErrorsQuoteTheKey: an error about a manifest or a data
// file names it as every error names an object (mailstore.ObjectName):
// a data file's key comes from the manifest's JSON and may hold a line
// break or an escape sequence; it was printed bare (its last segment), and
// the manifest's key too.
func TestInventoryErrorsQuoteTheKey(t *testing.T) {
	data := gzipped(t, []byte(`"mail","inbox/a"`+"\n"))
	hostile := testRoot + "data/\x1b]0;owned\x07x\nsesbox: all good"
	src := memSource{}
	src["inv/"+hostile] = data
	sum := md5.Sum(data)
	manifest := map[string]any{
		"sourceBucket": "mail", "destinationBucket": "arn:aws:s3:::inv", "fileFormat": "CSV", "fileSchema": "Bucket, Key",
		"creationTimestamp": "1764547200000",
		// One byte more than there is: the file does not check.
		"files": []map[string]any{{"key": hostile, "size": len(data) + 1, "MD5checksum": hex.EncodeToString(sum[:])}},
	}
	writeManifest(t, src, testRoot+"2026-12-01T00-00Z/", manifest)
	_, err := readAll(src)
	if err == nil || strings.ContainsAny(err.Error(), "\x1b\x07\n") || !strings.Contains(err.Error(), mailstore.ObjectName("inv", hostile)) {
		t.Fatalf("err = %q, want the data file named %s", err, mailstore.ObjectName("inv", hostile))
	}
	manifest["fileFormat"] = "ORC"
	writeManifest(t, src, testRoot+"2026-12-01T00-00Z/", manifest)
	_, err = readAll(src)
	if want := mailstore.ObjectName("inv", testRoot+"2026-12-01T00-00Z/manifest.json") + ": ORC"; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %q, want %q", err, want)
	}
}
