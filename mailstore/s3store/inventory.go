package s3store

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sesbox/sesbox/mailstore"

	"github.com/sesbox/sesbox/mailstore/inventory"
)

// InventorySource reads S3 Inventory reports, which usually land in a
// bucket other than the mailbox's, through the store's client and with its
// read policy: every listing and GET retried as the store's reads are, and
// a data file whose body breaks resumed from the byte reached (a report's
// data files are tens of megabytes, read once each). Like the store it only
// ever lists and gets.
type InventorySource struct{ s *Store }

var _ inventory.Source = InventorySource{}

// InventorySource returns a report reader for the buckets this store's
// client reaches.
func (s *Store) InventorySource() InventorySource { return InventorySource{s: s} }

// Dirs implements inventory.Source with a delimited listing.
func (src InventorySource) Dirs(ctx context.Context, bucket, prefix string) ([]string, error) {
	var out []string
	in := listInput(bucket, prefix)
	in.Delimiter = aws.String("/")
	p := s3.NewListObjectsV2Paginator(src.s.api, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx, src.s.readOpts)
		if err != nil {
			return nil, src.s.explain(err, bucket, "s3:ListBucket")
		}
		for _, cp := range page.CommonPrefixes {
			dir, err := listedKey(page.EncodingType, cp.Prefix)
			if err != nil {
				return nil, err
			}
			out = append(out, dir)
		}
	}
	return out, nil
}

// Get implements inventory.Source. A key that is not there is
// mailstore.ErrNotFound (a report still being written).
func (src InventorySource) Get(ctx context.Context, bucket, key string) (io.ReadCloser, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	out, err := src.s.sendGet(ctx, in)
	if err != nil {
		var nsk *types.NoSuchKey
		if errors.As(err, &nsk) {
			return nil, fmt.Errorf("%s: %w", mailstore.ObjectName(bucket, key), mailstore.ErrNotFound)
		}
		return nil, src.s.explain(err, bucket, "s3:GetObject")
	}
	return src.s.newResumingBody(ctx, in, out, 0), nil
}
