package mailbox

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sesbox/sesbox/mailstore/query"
)

// TestQueryKeys: the keys a query chooses for an action are the matching
// messages still in the bucket, oldest first; one deleted after indexing
// is marked missing by the next refresh and left out; a query that
// matches nothing chooses nothing (an empty, non-nil list).
func TestQueryKeys(t *testing.T) {
	m, srv := newMailbox(t)
	msg := func(subject, date string) []byte {
		return []byte("From: a@example.com\r\nSubject: " + subject + "\r\nDate: " + date + "\r\n\r\nx\r\n")
	}
	srv.Put(t, "mail", "in/new", msg("invoice new", "Wed, 18 Nov 2026 09:00:00 +0000"))
	srv.Put(t, "mail", "in/old", msg("invoice old", "Mon, 16 Nov 2026 09:00:00 +0000"))
	srv.Put(t, "mail", "in/mid", msg("invoice mid", "Tue, 17 Nov 2026 09:00:00 +0000"))
	srv.Put(t, "mail", "in/other", msg("hello", "Tue, 17 Nov 2026 10:00:00 +0000"))
	ctx := context.Background()
	if err := m.Refresh(ctx, nil); err != nil {
		t.Fatal(err)
	}
	q, _ := query.Parse("subject:invoice", time.Now())
	keys, err := m.QueryKeys(ctx, q)
	if err != nil || !slices.Equal(keys, []string{"in/old", "in/mid", "in/new"}) {
		t.Fatalf("QueryKeys = %v, %v", keys, err)
	}
	if _, err := srv.Client(nil).DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("mail"), Key: aws.String("in/mid")}); err != nil {
		t.Fatal(err)
	}
	if err := m.Refresh(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if sums, _ := m.Summaries(ctx, q, query.ByDate, true); len(sums) != 3 || !sums[1].Missing {
		t.Fatalf("the deleted message is not indexed as missing: %+v", sums)
	}
	keys, err = m.QueryKeys(ctx, q)
	if err != nil || !slices.Equal(keys, []string{"in/old", "in/new"}) {
		t.Errorf("after the delete: %v, %v", keys, err)
	}
	none, _ := query.Parse("subject:nothing", time.Now())
	if keys, err := m.QueryKeys(ctx, none); err != nil || keys == nil || len(keys) != 0 {
		t.Errorf("no match: %#v, %v", keys, err)
	}
}
