package s3store

import (
	"bytes"
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sesbox/sesbox/mailstore"
)

// putAPI is the one write call sesbox makes to a bucket.
type putAPI interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

var _ putAPI = (*s3.Client)(nil)

// SentCopier keeps a copy of each sent reply in the bucket under the sent
// prefix (drafts.SentCopier). It is the only write sesbox makes to a
// bucket, and it never replaces an object: the PUT is conditional on the
// key being free.
type SentCopier struct {
	api    putAPI
	bucket string
	prefix string
}

// NewSentCopier returns the copier for sent_prefix of the mailbox at loc,
// or the error of mailstore.CheckSentPrefix.
func NewSentCopier(client putAPI, loc mailstore.Location, sentPrefix string) (*SentCopier, error) {
	if err := mailstore.CheckSentPrefix(loc.Prefix, sentPrefix); err != nil {
		return nil, err
	}
	return &SentCopier{api: client, bucket: loc.Bucket, prefix: sentPrefix}, nil
}

// CopySent stores raw as <sent prefix><messageID>.eml and returns the key.
func (c *SentCopier) CopySent(ctx context.Context, messageID string, raw []byte) (string, error) {
	key := c.prefix + messageID + ".eml"
	_, err := c.api.PutObject(ctx, &s3.PutObjectInput{
		Bucket:      aws.String(c.bucket),
		Key:         aws.String(key),
		Body:        bytes.NewReader(raw),
		ContentType: aws.String("message/rfc822"),
		IfNoneMatch: aws.String("*"),
	})
	if err != nil {
		return "", fmt.Errorf("put %s: %w", mailstore.ObjectName(c.bucket, key), err)
	}
	return key, nil
}
