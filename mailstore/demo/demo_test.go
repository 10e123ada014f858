package demo

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"maps"
	"mime"
	"net/http"
	"net/mail"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/text/encoding/htmlindex"
)

// Messages the tests single out.
const (
	// setupKey is the object SES writes when the receipt rule is created.
	setupKey = Prefix + "AMAZON_SES_SETUP_NOTIFICATION"
	// hugeHeaderKey has a header block of more than 64 KiB (2,300 To: addresses).
	hugeHeaderKey = Prefix + "9vdcr844vva2mmo7m114mloinajp3h2qg5romvk8"
	// bareLFKey is the website form mail with no header separator and bare-LF
	// body lines: the one message allowed to break the CRLF rule.
	bareLFKey = Prefix + "0jj4e27lu21n9b5o46bc5c4av11ubslmtgiuc1dk"
)

var sesID = regexp.MustCompile(`^[0-9a-v]{40}$`)

func startServer(t *testing.T) (*Server, *s3.Client) {
	t.Helper()
	srv, err := Start()
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(srv.Close)
	client := s3.New(s3.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("demo", "demo", ""),
		BaseEndpoint: aws.String(srv.URL()),
		UsePathStyle: true,
	})
	return srv, client
}

func listAll(t *testing.T, client *s3.Client) []types.Object {
	t.Helper()
	var objs []types.Object
	p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{
		Bucket:  aws.String(Bucket),
		Prefix:  aws.String(Prefix),
		MaxKeys: aws.Int32(20), // force several pages
	})
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatalf("list s3://%s/%s: %v", Bucket, Prefix, err)
		}
		objs = append(objs, page.Contents...)
	}
	return objs
}

// headerBlock is everything before the first empty line (all of raw if
// there is none).
func headerBlock(raw []byte) []byte {
	if i := bytes.Index(raw, []byte("\r\n\r\n")); i >= 0 {
		return raw[:i+2]
	}
	return raw
}

func TestListMatchesEmbeddedMessages(t *testing.T) {
	_, client := startServer(t)
	msgs := Messages()
	objs := listAll(t, client)
	if len(objs) != len(msgs) {
		t.Fatalf("listed %d objects, embedded %d messages", len(objs), len(msgs))
	}
	for _, o := range objs {
		key := aws.ToString(o.Key)
		raw, ok := msgs[key]
		if !ok {
			t.Errorf("listed %s, which is not an embedded message", key)
			continue
		}
		if got := aws.ToInt64(o.Size); got != int64(len(raw)) {
			t.Errorf("%s: Size %d, want %d", key, got, len(raw))
		}
		sum := md5.Sum(raw)
		if want := `"` + hex.EncodeToString(sum[:]) + `"`; aws.ToString(o.ETag) != want {
			t.Errorf("%s: ETag %s, want %s", key, aws.ToString(o.ETag), want)
		}
		want, err := receivedAt(raw)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if !aws.ToTime(o.LastModified).Equal(want) {
			t.Errorf("%s: LastModified %v, want the receipt time %v", key, aws.ToTime(o.LastModified), want)
		}
	}
}

func TestLastModifiedIsReceiptTime(t *testing.T) {
	_, client := startServer(t)
	for key, want := range map[string]time.Time{
		setupKey:      time.Date(2026, 10, 9, 16, 41, 7, 0, time.UTC),
		hugeHeaderKey: time.Date(2026, 11, 10, 16, 30, 2, 0, time.UTC),
	} {
		head, err := client.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(Bucket), Key: aws.String(key)})
		if err != nil {
			t.Fatalf("head %s: %v", key, err)
		}
		if got := aws.ToTime(head.LastModified); !got.Equal(want) {
			t.Errorf("head %s: LastModified %v, want %v", key, got, want)
		}
	}
}

// Objects carry only what an object SES wrote would: no request headers of
// an upload replayed as metadata (gofakes3 keeps those for client PUTs).
func TestObjectHeadersAreClean(t *testing.T) {
	srv, _ := startServer(t)
	// gofakes3 does not check signatures, so a plain request will do and
	// shows the raw headers.
	req, err := http.NewRequestWithContext(t.Context(), http.MethodHead, srv.URL()+"/"+Bucket+"/"+setupKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("head %s: %v", setupKey, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("head %s: %s", setupKey, resp.Status)
	}
	// s3mem gives every object a version id, versioned bucket or not, and
	// gofakes3 sends it; the request ids are per response.
	allowed := []string{"X-Amz-Request-Id", "X-Amz-Id-2", "X-Amz-Version-Id"}
	for name := range resp.Header {
		if strings.HasPrefix(name, "X-Amz-") && !slices.Contains(allowed, name) {
			t.Errorf("head %s: unexpected header %s: %s", setupKey, name, resp.Header.Get(name))
		}
	}
	for name, want := range map[string]string{
		"Content-Type":   "application/octet-stream",
		"Last-Modified":  "Fri, 09 Oct 2026 16:41:07 GMT",
		"Content-Length": fmt.Sprint(len(Messages()[setupKey])),
	} {
		if got := resp.Header.Get(name); got != want {
			t.Errorf("head %s: %s %q, want %q", setupKey, name, got, want)
		}
	}
}

func TestGetObjectIsByteExact(t *testing.T) {
	_, client := startServer(t)
	for key, want := range Messages() {
		out, err := client.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(Bucket), Key: aws.String(key)})
		if err != nil {
			t.Fatalf("get %s: %v", key, err)
		}
		got, err := io.ReadAll(out.Body)
		out.Body.Close()
		if err != nil {
			t.Fatalf("read %s: %v", key, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("get %s: %d bytes differ from the embedded %d", key, len(got), len(want))
		}
	}
}

// The header block of hugeHeaderKey does not fit in the first 64 KiB, so a
// reader that fetches headers by range has to ask for more; gofakes3 must
// honour the range for that to be testable.
func TestRangedGetStopsInsideHugeHeader(t *testing.T) {
	_, client := startServer(t)
	raw := Messages()[hugeHeaderKey]
	out, err := client.GetObject(t.Context(), &s3.GetObjectInput{
		Bucket: aws.String(Bucket),
		Key:    aws.String(hugeHeaderKey),
		Range:  aws.String("bytes=0-65535"),
	})
	if err != nil {
		t.Fatalf("ranged get: %v", err)
	}
	defer out.Body.Close()
	got, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("read ranged body: %v", err)
	}
	if !bytes.Equal(got, raw[:65536]) {
		t.Fatalf("ranged get returned %d bytes, want the first 65536 of %d", len(got), len(raw))
	}
	if want := fmt.Sprintf("bytes 0-65535/%d", len(raw)); aws.ToString(out.ContentRange) != want {
		t.Errorf("Content-Range %q, want %q", aws.ToString(out.ContentRange), want)
	}
	if bytes.Contains(got, []byte("\r\n\r\n")) {
		t.Errorf("the first 64 KiB already hold the whole header block")
	}
}

func TestMessageFiles(t *testing.T) {
	msgs := Messages()
	if len(msgs) < 40 {
		t.Errorf("%d messages, want at least 40", len(msgs))
	}
	if _, ok := msgs[setupKey]; !ok {
		t.Errorf("no %s", setupKey)
	}
	total := 0
	for key, raw := range msgs {
		total += len(raw)
		id := strings.TrimPrefix(key, Prefix)
		if key == setupKey {
			continue
		}
		if !sesID.MatchString(id) {
			t.Errorf("%s: id is not 40 characters of [0-9a-v]", key)
		}
		if key != bareLFKey {
			if i := bareLF(raw); i >= 0 {
				t.Errorf("%s: bare LF at byte %d", key, i)
			}
		}
		// SES's block comes first, in SES's order, and names the message id.
		var names []string
		for _, line := range strings.Split(string(headerBlock(raw)), "\r\n") {
			if name, _, ok := strings.Cut(line, ":"); ok && line[0] != ' ' && line[0] != '\t' {
				names = append(names, name)
			}
		}
		sesOrder := []string{"Return-Path", "Received", "X-SES-Spam-Verdict", "X-SES-Virus-Verdict", "Received-SPF", "Authentication-Results", "X-SES-RECEIPT", "X-SES-DKIM-SIGNATURE"}
		if len(names) < len(sesOrder) || !slices.Equal(names[:len(sesOrder)], sesOrder) {
			t.Errorf("%s: headers start %v, want SES's %v", key, names[:min(len(names), len(sesOrder))], sesOrder)
		}
		if !bytes.Contains(raw, []byte("by inbound-smtp.us-east-1.amazonaws.com with SMTP id "+id+"\r\n")) {
			t.Errorf("%s: the SES Received header does not name id %s", key, id)
		}
	}
	if i := bareLF(msgs[bareLFKey]); i < 0 {
		t.Errorf("%s: meant to have bare LFs, has none", bareLFKey)
	}
	if total > 1536*1024 {
		t.Errorf("messages total %d bytes, keep them under 1.5 MiB", total)
	}
}

// bareLF is the offset of the first LF not preceded by CR, or -1.
func bareLF(raw []byte) int {
	for i, b := range raw {
		if b == '\n' && (i == 0 || raw[i-1] != '\r') {
			return i
		}
	}
	return -1
}

// TestMailboxCoversTheHardCases checks the kinds of mail the demo exists for.
func TestMailboxCoversTheHardCases(t *testing.T) {
	msgs := Messages()
	count := func(pred func(hdr, raw []byte) bool) int {
		n := 0
		for _, raw := range msgs {
			if pred(headerBlock(raw), raw) {
				n++
			}
		}
		return n
	}
	inHeader := func(s string) func(hdr, raw []byte) bool {
		return func(hdr, _ []byte) bool { return bytes.Contains(bytes.ToLower(hdr), bytes.ToLower([]byte(s))) }
	}
	anywhere := func(s string) func(hdr, raw []byte) bool {
		return func(_, raw []byte) bool { return bytes.Contains(bytes.ToLower(raw), bytes.ToLower([]byte(s))) }
	}
	either := func(a, b func(hdr, raw []byte) bool) func(hdr, raw []byte) bool {
		return func(hdr, raw []byte) bool { return a(hdr, raw) || b(hdr, raw) }
	}
	for _, c := range []struct {
		what string
		pred func(hdr, raw []byte) bool
		min  int
	}{
		{"spam FAIL", inHeader("\r\nX-SES-Spam-Verdict: FAIL\r\n"), 1},
		{"virus FAIL", inHeader("\r\nX-SES-Virus-Verdict: FAIL\r\n"), 1},
		{"SPF fail", inHeader("\r\nReceived-SPF: fail "), 1},
		{"DKIM fail", inHeader(" dkim=fail "), 1},
		{"DMARC fail", inHeader(" dmarc=fail "), 1},
		{"ESC bytes in the header", inHeader("\x1b["), 1},
		{"header block over 64 KiB", func(hdr, _ []byte) bool { return len(hdr) > 64*1024 }, 1},
		{"message over 150 KB", func(_, raw []byte) bool { return len(raw) > 150_000 }, 1},
		{"ks_c_5601-1987 or EUC-KR", either(anywhere("charset=\"ks_c_5601-1987\""), anywhere("charset=euc-kr")), 1},
		{"ISO-2022-JP", anywhere("charset=\"iso-2022-jp\""), 1},
		{"Shift_JIS", anywhere("charset=shift_jis"), 1},
		{"GB2312", anywhere("charset=\"gb2312\""), 1},
		{"KOI8-R", anywhere("charset=koi8-r"), 1},
		{"windows-1251", anywhere("charset=\"windows-1251\""), 1},
		{"PDF attachment", anywhere("Content-Type: application/pdf"), 2},
		{"PNG attachment", anywhere("Content-Type: image/png"), 2},
		{"calendar invite", anywhere("Content-Type: text/calendar"), 1},
		{"CSV attachment", anywhere("Content-Type: text/csv"), 1},
		{"hostile file name", anywhere("filename=\"../../.bashrc\""), 1},
		{"HTML-only mail", inHeader("\r\nContent-Type: text/html"), 1},
		{"multipart/alternative", anywhere("multipart/alternative"), 10},
		{"delivery status notification", anywhere("multipart/report; report-type=delivery-status"), 1},
		{"out-of-office", inHeader("\r\nAuto-Submitted: auto-replied\r\n"), 1},
		{"received on 2026-11-22", inHeader("\r\n Sun, 22 Nov 2026 "), 2},
	} {
		if n := count(c.pred); n < c.min {
			t.Errorf("%s: %d messages, want at least %d", c.what, n, c.min)
		}
	}
}

// TestEncodedSubjectsDecode proves the legacy-charset subjects were encoded
// by a real encoder: each decodes to the intended text.
func TestEncodedSubjectsDecode(t *testing.T) {
	dec := mime.WordDecoder{CharsetReader: func(charset string, r io.Reader) (io.Reader, error) {
		enc, err := htmlindex.Get(charset)
		if err != nil {
			return nil, err
		}
		return enc.NewDecoder().Reader(r), nil
	}}
	subjects := map[string]string{} // decoded -> raw
	for key, raw := range Messages() {
		msg, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			continue // the malformed ones
		}
		s := msg.Header.Get("Subject")
		d, err := dec.DecodeHeader(s)
		if err != nil {
			t.Errorf("%s: decode subject %q: %v", key, s, err)
			continue
		}
		subjects[d] = s
	}
	for want, charset := range map[string]string{
		"배송 지연 문의 (주문번호 51377)":                  "UTF-8",
		"[견적 요청] WX-200 컨트롤러 500대 납품 건":          "ks_c_5601-1987",
		"【資料請求】WX-200コントローラのカタログ送付のお願い":          "ISO-2022-JP",
		"バックエンドエンジニア職への応募（山田花子）":                 "Shift_JIS",
		"关于WX-200控制器中国区代理合作的咨询":                  "GB2312",
		"Ошибка 429 при работе с API телеметрии": "KOI8-R",
		"Закрывающие документы за октябрь":       "windows-1251",
	} {
		raw, ok := subjects[want]
		if !ok {
			t.Errorf("no message with subject %q", want)
			continue
		}
		if !strings.Contains(raw, "=?"+charset+"?") {
			t.Errorf("subject %q is encoded as %q, want charset %s", want, raw, charset)
		}
	}
}

// TestThreads checks the support threads: replies point at messages in the
// mailbox, so a client can thread them.
func TestThreads(t *testing.T) {
	byID := map[string]string{}
	parent := map[string]string{}
	for key, raw := range Messages() {
		msg, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			continue
		}
		id := msg.Header.Get("Message-ID")
		byID[id] = key
		if irt := msg.Header.Get("In-Reply-To"); irt != "" {
			parent[key] = irt
			refs := strings.Fields(msg.Header.Get("References"))
			// Some mailers send In-Reply-To alone; when there are
			// References, they end with the parent.
			if len(refs) > 0 && refs[len(refs)-1] != irt {
				t.Errorf("%s: References %v do not end with In-Reply-To %s", key, refs, irt)
			}
			if !strings.HasPrefix(strings.ToLower(msg.Header.Get("Subject")), "re:") &&
				!strings.HasPrefix(msg.Header.Get("Subject"), "Automatic reply:") {
				t.Errorf("%s: reply without Re: subject", key)
			}
		}
	}
	sizes := map[string]int{} // root key -> messages in thread
	for key := range Messages() {
		root := key
		for {
			p, ok := parent[root]
			if !ok {
				break
			}
			pk, ok := byID[p]
			if !ok {
				break
			}
			root = pk
		}
		sizes[root]++
	}
	threads := 0
	for _, n := range sizes {
		if n >= 3 {
			threads++
		}
	}
	if threads < 3 {
		t.Errorf("%d threads of 3 or more messages, want at least 3 (sizes %v)", threads, slices.Sorted(maps.Values(sizes)))
	}
}

func TestMessagesReturnsCopies(t *testing.T) {
	a := Messages()
	a[setupKey][0] = 'X'
	delete(a, hugeHeaderKey)
	b := Messages()
	if b[setupKey][0] != 'D' {
		t.Errorf("changing one Messages() result changed the next")
	}
	if _, ok := b[hugeHeaderKey]; !ok {
		t.Errorf("deleting from one Messages() result changed the next")
	}
}

// The demo runs under a TUI: errors answered by the fake S3 must not be
// printed anywhere.
func TestServerIsSilent(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, stderr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = w, w
	var logged bytes.Buffer
	log.SetOutput(&logged)
	restore := func() {
		os.Stdout, os.Stderr = stdout, stderr
		log.SetOutput(os.Stderr)
	}
	defer restore()

	_, client := startServer(t)
	ctx := t.Context()
	_, err = client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(Bucket), Key: aws.String(Prefix + "missing")})
	var nsk *types.NoSuchKey
	if !errors.As(err, &nsk) {
		t.Errorf("get missing key: %v, want NoSuchKey", err)
	}
	_, err = client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(Bucket), Key: aws.String(setupKey), Range: aws.String("bytes=999999-")})
	if err == nil {
		t.Errorf("get an unsatisfiable range: no error")
	}
	_, err = client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("no-such-bucket")})
	var nsb *types.NoSuchBucket
	if !errors.As(err, &nsb) {
		t.Errorf("list a missing bucket: %v, want NoSuchBucket", err)
	}

	restore()
	w.Close()
	printed, _ := io.ReadAll(r)
	if len(printed) > 0 || logged.Len() > 0 {
		t.Errorf("the demo server printed %q and logged %q", printed, logged.String())
	}
}

func TestCloseStopsServing(t *testing.T) {
	srv, client := startServer(t)
	srv.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	_, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(Bucket)}, func(o *s3.Options) {
		o.RetryMaxAttempts = 1
	})
	if err == nil {
		t.Errorf("list after Close: no error")
	}
	srv.Close() // a second Close is harmless (t.Cleanup calls it again too)
}

func TestReceivedAt(t *testing.T) {
	for _, c := range []struct {
		name, raw string
		want      time.Time
	}{
		{"SES Received wins over Date",
			"Return-Path: <a@b.example>\r\nReceived: from x (x [192.0.2.1])\r\n by inbound-smtp.us-east-1.amazonaws.com with SMTP id abc\r\n for c@d.example;\r\n Mon, 16 Nov 2026 09:12:33 +0000 (UTC)\r\nDate: Sun, 15 Nov 2026 01:00:00 +0100\r\n\r\nbody\r\n",
			time.Date(2026, 11, 16, 9, 12, 33, 0, time.UTC)},
		{"Date when there is no Received",
			"Date: Fri, 9 Oct 2026 16:41:07 +0000\r\nSubject: x\r\n\r\n",
			time.Date(2026, 10, 9, 16, 41, 7, 0, time.UTC)},
		{"bare LF and no separator",
			"Subject: x\nDate: Thu, 19 Nov 2026 17:25:39 +0000\nName: y\nnot a header\n",
			time.Date(2026, 11, 19, 17, 25, 39, 0, time.UTC)},
		{"a Received header in the body is not read",
			"Subject: x\r\nDate: Thu, 19 Nov 2026 17:25:39 +0000\r\n\r\nReceived: from y; Mon, 1 Jan 2024 00:00:00 +0000\r\n",
			time.Date(2026, 11, 19, 17, 25, 39, 0, time.UTC)},
	} {
		got, err := receivedAt([]byte(c.raw))
		if err != nil || !got.Equal(c.want) {
			t.Errorf("%s: receivedAt = %v, %v; want %v", c.name, got, err, c.want)
		}
	}
	if _, err := receivedAt([]byte("Subject: no date\r\n\r\n")); err == nil {
		t.Errorf("no date: receivedAt succeeded")
	}
}

// Two demo servers answer alike, version ids included, so screenshots and
// goldens made from the demo are stable.
func TestStartIsDeterministic(t *testing.T) {
	_, a := startServer(t)
	_, b := startServer(t)
	la, lb := listAll(t, a), listAll(t, b)
	if len(la) != len(lb) {
		t.Fatalf("listed %d and %d objects", len(la), len(lb))
	}
	for i := range la {
		if aws.ToString(la[i].Key) != aws.ToString(lb[i].Key) || aws.ToString(la[i].ETag) != aws.ToString(lb[i].ETag) ||
			!aws.ToTime(la[i].LastModified).Equal(aws.ToTime(lb[i].LastModified)) {
			t.Errorf("object %d differs: %+v vs %+v", i, la[i], lb[i])
		}
	}
	head := func(c *s3.Client) string {
		out, err := c.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(Bucket), Key: aws.String(hugeHeaderKey)})
		if err != nil {
			t.Fatalf("head %s: %v", hugeHeaderKey, err)
		}
		return aws.ToString(out.VersionId)
	}
	if va, vb := head(a), head(b); va == "" || va != vb {
		t.Errorf("version ids differ: %q vs %q", va, vb)
	}
}
