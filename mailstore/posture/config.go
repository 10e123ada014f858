package posture

import (
	"context"
	"errors"
	"time"

	"github.com/sesbox/sesbox/mailstore"
)

// BucketConfig reads the bucket settings that decide whether mail can be
// lost. Each read returns ErrNotConfigured (wrapped) when the bucket has no
// such setting, and mailstore.ErrUnsupported when the server does not implement the
// call. s3store.Store implements it.
type BucketConfig interface {
	Location() mailstore.Location
	Versioning(ctx context.Context) (Versioning, error)
	ObjectLock(ctx context.Context) (ObjectLock, error)
	Lifecycle(ctx context.Context) ([]LifecycleRule, error)
	Encryption(ctx context.Context) (Encryption, error)
	PublicAccessBlock(ctx context.Context) (PublicAccessBlock, error)
	// Policy is the bucket policy document, as JSON.
	Policy(ctx context.Context) (string, error)
}

// ErrNotConfigured says the bucket has no configuration of that kind.
var ErrNotConfigured = errors.New("not configured")

// Versioning is the bucket's versioning state.
type Versioning struct {
	Status    string // "Enabled", "Suspended", or "" (never enabled)
	MFADelete string // "Enabled", "Disabled" or ""
}

// ObjectLock is the bucket's Object Lock configuration.
type ObjectLock struct {
	Enabled bool
	// Default retention; Mode is "" when there is none.
	Mode  string // "GOVERNANCE" or "COMPLIANCE"
	Days  int32
	Years int32
}

// LifecycleRule is one lifecycle rule, reduced to what can lose mail or
// make it slow to read.
type LifecycleRule struct {
	ID      string
	Enabled bool
	// Prefix is the rule's key prefix filter ("" = the whole bucket).
	Prefix string
	// Narrowed is set when the rule also filters on tags or size, so it
	// may apply to only some objects under Prefix.
	Narrowed string

	ExpirationDays            int32
	ExpirationDate            time.Time
	ExpiredObjectDeleteMarker bool
	NoncurrentExpirationDays  int32
	NoncurrentNewerVersions   int32
	Transitions               []Transition
	NoncurrentTransitions     []Transition
}

// Transition moves objects to another storage class.
type Transition struct {
	Days         int32
	Date         time.Time
	StorageClass string
}

// Encryption is the bucket's default encryption.
type Encryption struct {
	Algorithm string // "AES256", "aws:kms", "aws:kms:dsse"
	KMSKeyID  string
}

// PublicAccessBlock is the bucket's public access block.
type PublicAccessBlock struct {
	BlockPublicAcls       bool
	IgnorePublicAcls      bool
	BlockPublicPolicy     bool
	RestrictPublicBuckets bool
}
