package index

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore"
)

// pagedStore is a minimal in-memory mailstore.Store for testing the
// refresh stages one at a time (the stages only see this interface; the
// whole Refresh runs against S3 servers in index_test.go).
type pagedStore struct {
	pages [][]mailstore.Object
	hdr   map[string][]byte
	errs  map[string]error
}

func (s *pagedStore) Location() mailstore.Location {
	return mailstore.Location{Bucket: "mail", Prefix: "inbox/"}
}

func (s *pagedStore) List(ctx context.Context, fn func([]mailstore.Object) error) error {
	for _, p := range s.pages {
		if err := fn(p); err != nil {
			return err
		}
	}
	return nil
}

func (s *pagedStore) ReadHeader(ctx context.Context, key string) ([]byte, mailstore.Object, error) {
	if err := s.errs[key]; err != nil {
		return nil, mailstore.Object{Key: key}, err
	}
	return s.hdr[key], mailstore.Object{Key: key}, nil
}

func (s *pagedStore) Read(ctx context.Context, key string) ([]byte, mailstore.Object, error) {
	return nil, mailstore.Object{}, errors.New("not used")
}

func obj(key, etag string) mailstore.Object {
	return mailstore.Object{Key: key, ETag: etag, Size: 10, LastModified: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
}

func TestListerSendsOnlyWhatMustBeRead(t *testing.T) {
	st := &pagedStore{pages: [][]mailstore.Object{
		{obj("inbox/same", "e1"), obj("inbox/changed", "new"), obj("inbox/stale", "e1")},
		{obj("inbox/undecrypted", "e1"), obj("inbox/back", "e1"), obj("inbox/new", "e1")},
	}}
	known := map[string]Known{
		"inbox/same":        {ETag: "e1"},
		"inbox/changed":     {ETag: "old"},
		"inbox/stale":       {ETag: "e1", Stale: true},
		"inbox/undecrypted": {ETag: "e1", Undecrypted: true},
		"inbox/back":        {ETag: "e1", Missing: true},
		"inbox/gone":        {ETag: "e1"},
		"inbox/still-gone":  {ETag: "e1", Missing: true},
	}
	out := make(chan mailstore.Object, 16)
	var n counters
	res := listChanged(context.Background(), st.List, known, out, &n)
	close(out)
	if res.err != nil {
		t.Fatal(res.err)
	}
	var sent []string
	for o := range out {
		sent = append(sent, o.Key)
	}
	want := []string{"inbox/changed", "inbox/stale", "inbox/undecrypted", "inbox/new"}
	if !slices.Equal(sent, want) {
		t.Errorf("sent %v, want %v", sent, want)
	}
	if !slices.Equal(res.back, []string{"inbox/back"}) {
		t.Errorf("back %v", res.back)
	}
	if g := res.gone(known); !slices.Equal(g, []string{"inbox/gone"}) {
		t.Errorf("gone %v", g)
	}
	if n.listed.Load() != 6 || n.toFetch.Load() != 4 {
		t.Errorf("listed %d, to fetch %d", n.listed.Load(), n.toFetch.Load())
	}
}

func TestListerStopsWhenCancelled(t *testing.T) {
	var page []mailstore.Object
	for i := range 100 {
		page = append(page, obj(fmt.Sprintf("inbox/%03d", i), "e"))
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan mailstore.Object) // nobody reads
	done := make(chan listResult)
	go func() {
		done <- listChanged(ctx, (&pagedStore{pages: [][]mailstore.Object{page}}).List, nil, out, &counters{})
	}()
	cancel()
	select {
	case res := <-done:
		if !errors.Is(res.err, context.Canceled) {
			t.Fatalf("err %v", res.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the lister did not stop")
	}
}

func TestHeaderFetchersSummarizeEveryObject(t *testing.T) {
	st := &pagedStore{hdr: map[string][]byte{}, errs: map[string]error{
		"inbox/enc":    fmt.Errorf("read: %w: no key", mailstore.ErrEncrypted),
		"inbox/broken": errors.New("connection reset"),
	}}
	in := make(chan mailstore.Object, 64)
	for i := range 50 {
		k := fmt.Sprintf("inbox/%02d", i)
		st.hdr[k] = fmt.Appendf(nil, "From: a%d@example.com\r\nSubject: s%d\r\n\r\n", i, i)
		in <- obj(k, "e")
	}
	in <- obj("inbox/enc", "e")
	in <- obj("inbox/broken", "e")
	close(in)
	out := make(chan fetched)
	go fetchHeaders(context.Background(), st, 7, in, out)
	got := map[string]fetched{}
	var failed int
	for r := range out {
		if r.err != nil {
			failed++
			continue
		}
		got[r.sum.Key] = r
	}
	if len(got) != 51 || failed != 1 {
		t.Fatalf("%d summaries, %d failed", len(got), failed)
	}
	if s := got["inbox/07"].sum; s.Subject != "s7" || s.From.Address != "a7@example.com" || s.ETag != "e" || s.Size != 10 {
		t.Errorf("summary %+v", s)
	}
	if s := got["inbox/enc"].sum; s.Subject != encryptedSubject || len(s.Warnings) == 0 || !strings.Contains(s.Warnings[len(s.Warnings)-1], "no key") {
		t.Errorf("encrypted placeholder %+v", s)
	}
}

func TestHeaderFetchersCloseWhenCancelled(t *testing.T) {
	st := &pagedStore{hdr: map[string][]byte{}}
	in := make(chan mailstore.Object, 10)
	for i := range 10 {
		in <- obj(fmt.Sprintf("inbox/%d", i), "e")
	}
	close(in)
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan fetched) // nobody reads until cancelled
	done := make(chan struct{})
	go func() { fetchHeaders(ctx, st, 3, in, out); close(done) }()
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the fetchers did not stop")
	}
	for range out {
	}
}

func TestCollectorWritesBatchesAndReports(t *testing.T) {
	x, err := OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	var n counters
	n.listed.Store(1300)
	n.toFetch.Store(1201)
	var reports []Progress
	c := newCollector(x, "mail", Options{Batch: 500, Every: time.Hour}, &n, func(p Progress) { reports = append(reports, p) })
	in := make(chan fetched, 1300)
	for i := range 1200 {
		in <- fetched{sum: summarize(fmt.Appendf(nil, "Subject: s%d\r\n\r\n", i), obj(fmt.Sprintf("inbox/%04d", i), "e"))}
	}
	in <- fetched{err: errors.New("first failure")}
	close(in)
	if err := c.run(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if err := c.finish(context.Background()); err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for _, p := range reports {
		sizes = append(sizes, len(p.New))
	}
	if !slices.Equal(sizes, []int{500, 500, 200}) {
		t.Errorf("batches %v, want 500, 500, 200", sizes)
	}
	last := reports[len(reports)-1]
	if !last.Done || last.Listing || last.Fetched != 1201 || last.Failed != 1 || last.Listed != 1300 || last.ToFetch != 1201 {
		t.Errorf("last report %+v", last)
	}
	if c.firstErr == nil || c.firstErr.Error() != "first failure" {
		t.Errorf("first error %v", c.firstErr)
	}
	sums, err := x.Summaries(context.Background(), mailstore.Location{Bucket: "mail", Prefix: "inbox/"})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(sums, func(i, j int) bool { return sums[i].Key < sums[j].Key })
	if len(sums) != 1200 || sums[1199].Subject != "s1199" {
		t.Fatalf("%d rows indexed", len(sums))
	}
}

// TestPutSameKeyTwiceInABatch: the last summary of a key put twice in one
// batch is what the row and the full-text index hold.
func TestPutSameKeyTwiceInABatch(t *testing.T) {
	x, err := OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	a := summarize([]byte("Subject: first version\r\n\r\n"), obj("inbox/k", "e1"))
	b := summarize([]byte("Subject: second version\r\n\r\n"), obj("inbox/k", "e2"))
	ctx := context.Background()
	if err := x.Put(ctx, "mail", []mailstore.Summary{a, b}); err != nil {
		t.Fatal(err)
	}
	loc := mailstore.Location{Bucket: "mail", Prefix: "inbox/"}
	for word, want := range map[string]int{"second": 1, "first": 0} {
		got, err := search(x, loc, word)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != want {
			t.Errorf("search %q: %d rows, want %d", word, len(got), want)
		}
	}
}

// TestFutureDateIsListedByStoredTime: the index lists a message whose
// Date is long after it was stored by its stored time (it headed every
// list sorted newest first).
func TestFutureDateIsListedByStoredTime(t *testing.T) {
	o := obj("inbox/k", "e")
	s := summarize([]byte("Date: Tue, 1 Jan 2199 00:00:00 +0000\r\nSubject: pinned\r\n\r\n"), o)
	if !s.Date.Equal(o.LastModified) || !s.DateFromStore {
		t.Errorf("date %v, from store %v", s.Date, s.DateFromStore)
	}
}
