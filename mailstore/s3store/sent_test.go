package s3store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/s3store"
	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
)

// TestSentCopierNeverOverwrites: a copy lands under the sent prefix; a
// second copy under the same key is refused, and a sent prefix that
// overlaps the inbound one is refused before anything is written.
func TestSentCopierNeverOverwrites(t *testing.T) {
	srv := fakes3.Start(t, "mail")
	loc := mailstore.Location{Bucket: "mail", Prefix: "inbound/"}
	for _, bad := range []string{"inbound/", "inbound/sent/", ""} {
		if _, err := s3store.NewSentCopier(srv.Client(nil), loc, bad); err == nil || !strings.Contains(err.Error(), "overlaps") {
			t.Errorf("sent prefix %q: err = %v, want an overlap", bad, err)
		}
	}
	c, err := s3store.NewSentCopier(srv.Client(nil), loc, "sent/")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	key, err := c.CopySent(ctx, "id1", []byte("Subject: x\r\n\r\nbody\r\n"))
	if err != nil || key != "sent/id1.eml" {
		t.Fatalf("copy: %q %v", key, err)
	}
	if _, err := c.CopySent(ctx, "id1", []byte("other")); err == nil {
		t.Error("an existing copy was overwritten")
	}
	raw, _, err := s3store.New(srv.Client(nil), mailstore.Location{Bucket: "mail", Prefix: "sent/"}).Read(ctx, "sent/id1.eml")
	if err != nil || string(raw) != "Subject: x\r\n\r\nbody\r\n" {
		t.Fatalf("stored copy: %q %v", raw, err)
	}
}
