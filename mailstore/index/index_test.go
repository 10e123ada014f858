package index

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/query"
	"github.com/sesbox/sesbox/mailstore/s3store"
	"github.com/sesbox/sesbox/mailstore/testutil/fakekms"
	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
	"github.com/sesbox/sesbox/mailstore/testutil/httprec"
)

func msg(i int, subject, from string) []byte {
	return fmt.Appendf(nil, "Received: from mx by inbound-smtp.us-east-1.amazonaws.com with SMTP id x%d for support@acme.example; Mon, 16 Nov 2026 09:12:33 +0000 (UTC)\r\n"+
		"X-SES-Spam-Verdict: PASS\r\nX-SES-Virus-Verdict: PASS\r\n"+
		"From: %s\r\nTo: support@acme.example\r\nSubject: %s\r\nDate: Mon, 16 Nov 2026 09:%02d:00 +0000\r\nMessage-ID: <m%d@example.com>\r\n\r\nbody %d\r\n",
		i, from, subject, i%60, i, i)
}

type fixture struct {
	srv *fakes3.Server
	rec *httprec.Recorder
	st  *s3store.Store
	idx *Index
	loc mailstore.Location
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{srv: fakes3.Start(t, "mail"), rec: &httprec.Recorder{}, loc: mailstore.Location{Bucket: "mail", Prefix: "inbox/"}}
	f.st = s3store.New(f.srv.Client(f.rec), f.loc)
	var err error
	f.idx, err = Open(filepath.Join(t.TempDir(), "cache", "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.idx.Close() })
	return f
}

func (f *fixture) refresh(t *testing.T) Progress {
	t.Helper()
	var last Progress
	var got int
	err := Refresh(context.Background(), f.idx, f.st, Options{Workers: 4}, func(p Progress) {
		last = p
		got += len(p.New)
	})
	if err != nil {
		t.Fatal(err)
	}
	if !last.Done || got != last.Fetched-last.Failed {
		t.Fatalf("progress: last %+v, %d summaries reported", last, got)
	}
	return last
}

func TestRefreshIncremental(t *testing.T) {
	f := newFixture(t)
	for i := range 30 {
		f.srv.Put(t, "mail", fmt.Sprintf("inbox/%02dmsg", i), msg(i, fmt.Sprintf("Subject %d", i), "Alice <alice@example.com>"))
	}
	f.srv.Put(t, "mail", "inbox/AMAZON_SES_SETUP_NOTIFICATION", []byte("From: no-reply-aws@amazon.com\r\nSubject: Amazon SES Setup Notification\r\n\r\nHello\r\n"))
	f.srv.Put(t, "mail", "inbox/nodate", []byte("Subject: no date\r\n\r\nx"))

	p := f.refresh(t)
	if p.Listed != 32 || p.ToFetch != 32 || p.Fetched != 32 {
		t.Fatalf("first refresh %+v", p)
	}
	sums, err := f.idx.Summaries(context.Background(), f.loc)
	if err != nil || len(sums) != 32 {
		t.Fatalf("%d summaries, %v", len(sums), err)
	}
	byKey := map[string]mailstore.Summary{}
	for _, s := range sums {
		byKey[s.Key] = s
	}
	s7 := byKey["inbox/07msg"]
	if s7.Subject != "Subject 7" || s7.From.Address != "alice@example.com" || s7.MessageID != "m7@example.com" ||
		s7.Verdicts.Spam != "PASS" || len(s7.Recipients) != 1 || s7.Recipients[0] != "support@acme.example" || s7.Size == 0 || s7.ETag == "" {
		t.Errorf("summary round trip: %+v", s7)
	}
	if byKey["inbox/AMAZON_SES_SETUP_NOTIFICATION"].Kind != mailstore.KindSetupNotification {
		t.Error("setup notification not recognised")
	}
	if nd := byKey["inbox/nodate"]; !nd.DateFromStore || nd.Date.IsZero() {
		t.Errorf("no Date header: want the stored time, got %+v", nd)
	}

	// A second refresh of an unchanged bucket only lists.
	getsBefore := f.rec.ObjectGets()
	p = f.refresh(t)
	gets := f.rec.ObjectGets()
	if p.ToFetch != 0 || gets != getsBefore {
		t.Fatalf("unchanged bucket: %d to fetch, %d object GETs", p.ToFetch, gets-getsBefore)
	}

	// Changed, deleted and new objects.
	if err := f.idx.SetRead(context.Background(), "mail", "inbox/03msg", true); err != nil {
		t.Fatal(err)
	}
	f.srv.Put(t, "mail", "inbox/03msg", msg(3, "Subject 3 edited", "Alice <alice@example.com>"))
	if _, err := f.srv.Admin.DeleteObject(context.Background(), deleteInput("mail", "inbox/04msg")); err != nil {
		t.Fatal(err)
	}
	f.srv.Put(t, "mail", "inbox/99new", msg(99, "Brand new", "Bob <bob@example.com>"))
	p = f.refresh(t)
	if p.ToFetch != 2 {
		t.Fatalf("changed+new: %d to fetch, want 2", p.ToFetch)
	}
	s3, _, _ := f.idx.Get(context.Background(), "mail", "inbox/03msg")
	if s3.Subject != "Subject 3 edited" || !s3.Read {
		t.Errorf("changed object: %+v (read state must survive)", s3)
	}
	s4, ok, _ := f.idx.Get(context.Background(), "mail", "inbox/04msg")
	if !ok || !s4.Missing {
		t.Errorf("deleted object must stay indexed and be marked missing: %+v", s4)
	}
	// Back again.
	f.srv.Put(t, "mail", "inbox/04msg", msg(4, "Subject 4", "Alice <alice@example.com>"))
	f.refresh(t)
	if s4, _, _ = f.idx.Get(context.Background(), "mail", "inbox/04msg"); s4.Missing {
		t.Error("re-added object still marked missing")
	}
}

func TestRefreshKMSEncryptedMail(t *testing.T) {
	f := newFixture(t)
	k := fakekms.New()
	raw := msg(5, "Quarterly numbers", "Carol <carol@example.com>")
	ctx := fakekms.SESContext("m5", "store-encrypted", "111122223333", "arn:aws:kms:us-east-1:111122223333:alias/aws/ses")
	body, meta := k.Seal(raw, "kms", ctx)
	f.srv.PutMeta(t, "mail", "inbox/m5", body, meta)
	f.srv.Put(t, "mail", "inbox/plain", msg(6, "Plain", "Dan <dan@example.com>"))

	// No kms:Decrypt yet: listed under a placeholder that says why.
	k.Fail(&smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized to perform: kms:Decrypt"})
	f.st.WithKMS(k)
	f.refresh(t)
	s, _, _ := f.idx.Get(context.Background(), "mail", "inbox/m5")
	if s.Subject != "(encrypted with KMS)" || !strings.Contains(strings.Join(s.Warnings, "\n"), "the credentials need kms:Decrypt") {
		t.Fatalf("undecryptable message: %+v", s)
	}

	// Once KMS answers, the next refresh reads it again although its ETag
	// has not changed, and indexes the real header; the plain message is
	// not read again.
	k.Fail(nil)
	gets := f.rec.ObjectGets()
	p := f.refresh(t)
	if p.ToFetch != 1 || f.rec.ObjectGets()-gets != 1 {
		t.Fatalf("second refresh fetched %d (%d GETs), want only the encrypted message", p.ToFetch, f.rec.ObjectGets()-gets)
	}
	s, _, _ = f.idx.Get(context.Background(), "mail", "inbox/m5")
	if s.Subject != "Quarterly numbers" || s.From.Address != "carol@example.com" || len(s.Warnings) != 0 || s.Size != int64(len(raw)) {
		t.Fatalf("decrypted message: %+v (size %d, want %d)", s, s.Size, len(raw))
	}
	if got, err := search(f.idx, f.loc, "quarterly"); err != nil || len(got) != 1 {
		t.Fatalf("search finds %d, %v", len(got), err)
	}

	// Then it is as settled as any other message.
	gets = f.rec.ObjectGets()
	if p := f.refresh(t); p.ToFetch != 0 || f.rec.ObjectGets() != gets {
		t.Fatalf("third refresh fetched %d", p.ToFetch)
	}
}

func TestSearchFTS(t *testing.T) {
	f := newFixture(t)
	f.srv.Put(t, "mail", "inbox/a", msg(1, "=?UTF-8?B?7KO866y4IO2ZleyduCDslYjrgrQ=?=", "=?UTF-8?B?6rmA7LKg7IiY?= <kim@example.kr>"))
	f.srv.Put(t, "mail", "inbox/b", msg(2, "Quarterly invoice", "Billing <billing@shop.example>"))
	f.refresh(t)
	for _, tc := range []struct {
		words []string
		want  string
	}{
		{[]string{"확인 안"}, "inbox/a"},
		{[]string{"김철수"}, "inbox/a"},
		{[]string{"invoice"}, "inbox/b"},
		{[]string{"INVOICE", "shop.ex"}, "inbox/b"},
		{[]string{"support@acme"}, "inbox/a inbox/b"},
		{[]string{"nothing"}, ""},
	} {
		got, err := search(f.idx, f.loc, tc.words...)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, s := range got {
			keys = append(keys, s.Key)
		}
		if g := strings.Join(sorted(keys), " "); g != tc.want {
			t.Errorf("Search(%q) = %q, want %q", tc.words, g, tc.want)
		}
	}
}

// search runs a query of free-text words (each one quoted) through Query.
func search(x *Index, loc mailstore.Location, words ...string) ([]mailstore.Summary, error) {
	var quoted []string
	for _, w := range words {
		quoted = append(quoted, `"`+w+`"`)
	}
	q, err := query.Parse(strings.Join(quoted, " "), time.Now())
	if err != nil {
		return nil, err
	}
	return x.Query(context.Background(), loc, q, query.ByDate, false, 0)
}

func TestFilesArePrivate(t *testing.T) {
	dir := t.TempDir()
	x, err := Open(filepath.Join(dir, "sub", "i.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Put(context.Background(), "b", []mailstore.Summary{{Object: mailstore.Object{Key: "k", ETag: "e"}, Subject: "s\x1fx"}}); err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	st, err := os.Stat(filepath.Join(dir, "sub"))
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode %v, %v", st.Mode(), err)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "sub"))
	for _, e := range entries {
		info, _ := e.Info()
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", e.Name(), info.Mode().Perm())
		}
	}
	if len(entries) == 0 {
		t.Fatal("no files")
	}
}

func deleteInput(bucket, key string) *s3.DeleteObjectInput {
	return &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
}

func sorted(s []string) []string { sort.Strings(s); return s }

// TestSnapshotListingMarksNothingMissing: a listing source that is a
// snapshot (an inventory report, up to a day old) lacks keys newer than
// it; those must not be marked missing, while its own keys are indexed.
func TestSnapshotListingMarksNothingMissing(t *testing.T) {
	f := newFixture(t)
	for i := range 3 {
		f.srv.Put(t, "mail", fmt.Sprintf("inbox/%02dmsg", i), msg(i, fmt.Sprintf("Subject %d", i), "Alice <alice@example.com>"))
	}
	f.refresh(t) // a LIST refresh knows all three
	// The report was made before 02msg arrived, and lists only 00 and 01.
	var all []mailstore.Object
	if err := f.st.List(context.Background(), func(page []mailstore.Object) error {
		all = append(all, page...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	snapshot := func(ctx context.Context, fn func([]mailstore.Object) error) error {
		var page []mailstore.Object
		for _, o := range all {
			if o.Key != "inbox/02msg" {
				page = append(page, o)
			}
		}
		return fn(page)
	}
	if err := Refresh(context.Background(), f.idx, f.st, Options{Workers: 2, List: snapshot}, nil); err != nil {
		t.Fatal(err)
	}
	s2, ok, _ := f.idx.Get(context.Background(), "mail", "inbox/02msg")
	if !ok || s2.Missing {
		t.Fatalf("a key newer than the snapshot: %+v (ok %v), want indexed and not missing", s2, ok)
	}
}
