// Package posture reviews, read-only, the bucket settings that decide
// whether mail can vanish or change: versioning, Object Lock, lifecycle
// rules, default encryption, public access block and the bucket policy.
// s3store.Store implements BucketConfig.
//
// Nothing here writes to the bucket: every call is a GET.
package posture
