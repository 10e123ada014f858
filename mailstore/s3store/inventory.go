package s3store

import (
	"context"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sesbox/sesbox/mailstore/inventory"
)

// InventorySource reads S3 Inventory reports, which usually land in a
// bucket other than the mailbox's, through the same client. Like the store
// it only ever lists and gets.
type InventorySource struct{ api s3API }

var _ inventory.Source = InventorySource{}

// NewInventorySource returns a report reader over client.
func NewInventorySource(client s3API) InventorySource { return InventorySource{api: client} }

// Dirs implements inventory.Source with a delimited listing.
func (s InventorySource) Dirs(ctx context.Context, bucket, prefix string) ([]string, error) {
	var out []string
	in := listInput(bucket, prefix)
	in.Delimiter = aws.String("/")
	p := s3.NewListObjectsV2Paginator(s.api, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, Explain(err, "s3:ListBucket")
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

// Get implements inventory.Source.
func (s InventorySource) Get(ctx context.Context, bucket, key string) (io.ReadCloser, error) {
	out, err := s.api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, Explain(err, "s3:GetObject")
	}
	return out.Body, nil
}
