package audit

import (
	"context"
	"io"
	"time"

	"github.com/sesbox/sesbox/mailstore"
)

// Bucket is the read access Snapshot, Verify and Export need. Every method
// is a GET, a HEAD or a List: an audit never writes to the bucket.
// s3store.Store implements it.
type Bucket interface {
	Location() mailstore.Location
	// ListSorted calls fn with pages of the objects under the prefix whose
	// keys sort after startAfter ("" = all), in key order, one page at a time.
	ListSorted(ctx context.Context, startAfter string, fn func([]mailstore.Object) error) error
	// Open streams one object, or one version of it when versionID is set.
	// A missing key or version is reported as mailstore.ErrNotFound.
	Open(ctx context.Context, key, versionID string) (io.ReadCloser, mailstore.Object, error)
	// Versions lists every version and delete marker of exactly key, newest
	// first. mailstore.ErrUnsupported when the server has no versions API.
	Versions(ctx context.Context, key string) ([]Version, error)
}

// Version is one entry of a versioned listing: a version of an object, or
// a delete marker.
type Version struct {
	Key          string    `json:"key"`
	VersionID    string    `json:"versionId"`
	ETag         string    `json:"etag,omitempty"`
	Size         int64     `json:"size"`
	LastModified time.Time `json:"lastModified"`
	IsLatest     bool      `json:"isLatest"`
	DeleteMarker bool      `json:"deleteMarker"`
}
