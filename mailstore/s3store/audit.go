package s3store

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/audit"
	"github.com/sesbox/sesbox/mailstore/posture"
)

// auditAPI is the part of *s3.Client the audit reads use, beyond s3API.
// It is asserted at run time so that fakes of s3API need not grow.
type auditAPI interface {
	ListObjectVersions(ctx context.Context, in *s3.ListObjectVersionsInput, opts ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error)
	GetBucketVersioning(ctx context.Context, in *s3.GetBucketVersioningInput, opts ...func(*s3.Options)) (*s3.GetBucketVersioningOutput, error)
	GetObjectLockConfiguration(ctx context.Context, in *s3.GetObjectLockConfigurationInput, opts ...func(*s3.Options)) (*s3.GetObjectLockConfigurationOutput, error)
	GetBucketLifecycleConfiguration(ctx context.Context, in *s3.GetBucketLifecycleConfigurationInput, opts ...func(*s3.Options)) (*s3.GetBucketLifecycleConfigurationOutput, error)
	GetBucketEncryption(ctx context.Context, in *s3.GetBucketEncryptionInput, opts ...func(*s3.Options)) (*s3.GetBucketEncryptionOutput, error)
	GetPublicAccessBlock(ctx context.Context, in *s3.GetPublicAccessBlockInput, opts ...func(*s3.Options)) (*s3.GetPublicAccessBlockOutput, error)
	GetBucketPolicy(ctx context.Context, in *s3.GetBucketPolicyInput, opts ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error)
	GetObjectRetention(ctx context.Context, in *s3.GetObjectRetentionInput, opts ...func(*s3.Options)) (*s3.GetObjectRetentionOutput, error)
	GetObjectLegalHold(ctx context.Context, in *s3.GetObjectLegalHoldInput, opts ...func(*s3.Options)) (*s3.GetObjectLegalHoldOutput, error)
}

var (
	_ audit.Bucket         = (*Store)(nil)
	_ audit.VersionLister  = (*Store)(nil)
	_ audit.LockReader     = (*Store)(nil)
	_ posture.BucketConfig = (*Store)(nil)
	_ auditAPI             = (*s3.Client)(nil)
)

func (s *Store) auditAPI() (auditAPI, error) {
	a, ok := s.api.(auditAPI)
	if !ok {
		return nil, mailstore.ErrUnsupported
	}
	return a, nil
}

// ListSorted implements audit.Bucket: one ListObjectsV2 stream in key
// order (S3 lists keys in UTF-8 byte order), so a caller can resume after
// the last key it handled. Slower than List, which splits the key space.
func (s *Store) ListSorted(ctx context.Context, startAfter string, fn func([]mailstore.Object) error) error {
	in := listInput(s.loc.Bucket, s.loc.Prefix)
	if startAfter != "" {
		in.StartAfter = aws.String(startAfter)
	}
	p := s3.NewListObjectsV2Paginator(s.api, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx, s.readOpts)
		if err != nil {
			return fmt.Errorf("list %s: %w", s.loc, s.hint(err, "s3:ListBucket"))
		}
		page, err := listedObjects(out)
		if err != nil {
			return fmt.Errorf("list %s: %w", s.loc, err)
		}
		if len(page) > 0 {
			if err := fn(page); err != nil {
				return err
			}
		}
	}
	return nil
}

// Open implements audit.Bucket: a streaming GET of the object or of one
// version of it. The caller closes the body.
func (s *Store) Open(ctx context.Context, key, versionID string) (io.ReadCloser, mailstore.Object, error) {
	if err := s.readable(key); err != nil {
		return nil, mailstore.Object{Key: key, VersionID: versionID}, err
	}
	in := &s3.GetObjectInput{Bucket: aws.String(s.loc.Bucket), Key: aws.String(key)}
	what := mailstore.ObjectName(s.loc.Bucket, key)
	perm := "s3:GetObject"
	if versionID != "" {
		in.VersionId = aws.String(versionID)
		what += " version " + strconv.Quote(versionID)
		perm = "s3:GetObjectVersion"
	}
	obj := mailstore.Object{Key: key, VersionID: versionID}
	out, err := s.sendGet(ctx, in)
	if err != nil {
		var nsk *types.NoSuchKey
		var ae smithy.APIError
		if errors.As(err, &nsk) || (errors.As(err, &ae) && (ae.ErrorCode() == "NoSuchVersion" || ae.ErrorCode() == "NotFound")) {
			return nil, obj, fmt.Errorf("read %s: %w", what, mailstore.ErrNotFound)
		}
		if isStatus(err, http.StatusMethodNotAllowed) && versionID != "" {
			// S3 answers a GET of a delete marker's version with 405.
			return nil, obj, fmt.Errorf("read %s: a delete marker: %w", what, mailstore.ErrNotFound)
		}
		return nil, obj, fmt.Errorf("read %s: %w", what, s.explain(err, s.loc.Bucket, perm))
	}
	obj.ETag = strings.Trim(aws.ToString(out.ETag), `"`)
	obj.LastModified = aws.ToTime(out.LastModified)
	obj.Size = aws.ToInt64(out.ContentLength)
	if v := aws.ToString(out.VersionId); v != "" {
		obj.VersionID = v
	}
	obj.Metadata = objectMetadata(out)
	return s.newResumingBody(ctx, in, out, 0), obj, nil
}

// objectMetadata is what a GET says of an object besides its bytes and
// can change without them: on versitygw a CopyObject onto itself with the
// REPLACE directive changes it in place, with no new version or time.
// Keys are the lowercase header names (x-amz-meta-* for user metadata);
// a header S3 did not send is left out. The storage class is not
// metadata here: a lifecycle transition changes it, which is no one
// tampering.
func objectMetadata(out *s3.GetObjectOutput) map[string]string {
	md := map[string]string{}
	for name, v := range map[string]*string{
		"cache-control":       out.CacheControl,
		"content-disposition": out.ContentDisposition,
		"content-encoding":    out.ContentEncoding,
		"content-language":    out.ContentLanguage,
		"content-type":        out.ContentType,
		"expires":             out.ExpiresString,
		"x-amz-server-side-encryption-aws-kms-key-id":     out.SSEKMSKeyId,
		"x-amz-server-side-encryption-customer-algorithm": out.SSECustomerAlgorithm,
		"x-amz-website-redirect-location":                 out.WebsiteRedirectLocation,
	} {
		if v != nil {
			md[name] = *v
		}
	}
	if out.ServerSideEncryption != "" {
		md["x-amz-server-side-encryption"] = string(out.ServerSideEncryption)
	}
	if out.BucketKeyEnabled != nil {
		md["x-amz-server-side-encryption-bucket-key-enabled"] = strconv.FormatBool(*out.BucketKeyEnabled)
	}
	for k, v := range out.Metadata {
		md["x-amz-meta-"+strings.ToLower(k)] = v
	}
	return md
}

// Versions implements audit.Bucket with ListObjectVersions over the key as
// a prefix, keeping the entries for exactly that key.
func (s *Store) Versions(ctx context.Context, key string) ([]audit.Version, error) {
	api, err := s.auditAPI()
	if err != nil {
		return nil, err
	}
	// URL-encoded keys, for the reason given at listInput.
	in := &s3.ListObjectVersionsInput{Bucket: aws.String(s.loc.Bucket), Prefix: aws.String(key), EncodingType: types.EncodingTypeUrl}
	var out []audit.Version
	for {
		page, err := api.ListObjectVersions(ctx, in, s.readOpts)
		if err == nil {
			err = decodeVersionKeys(page)
		}
		if err != nil {
			return nil, fmt.Errorf("list versions of %s: %w", mailstore.ObjectName(s.loc.Bucket, key), s.configErr(err, "s3:ListBucketVersions"))
		}
		for _, v := range afterMarker(in, versionsOf(page)) {
			if v.Key == key {
				out = append(out, v)
			}
		}
		if !aws.ToBool(page.IsTruncated) {
			break
		}
		if err := nextVersionPage(in, page); err != nil {
			return nil, fmt.Errorf("list versions of %s: %w", mailstore.ObjectName(s.loc.Bucket, key), err)
		}
	}
	sortVersions(out)
	return out, nil
}

// ListVersions implements audit.VersionLister: ListObjectVersions over
// the prefix, in key order (S3 lists keys in UTF-8 byte order, each key's
// versions newest first), from the key after keyMarker ("" = all). Each
// page's versions come before its delete markers (the SDK hands them
// over apart); a key's entries may span two pages.
func (s *Store) ListVersions(ctx context.Context, keyMarker string, fn func([]audit.Version) error) error {
	api, err := s.auditAPI()
	if err != nil {
		return err
	}
	// URL-encoded keys, for the reason given at listInput.
	in := &s3.ListObjectVersionsInput{Bucket: aws.String(s.loc.Bucket), Prefix: aws.String(s.loc.Prefix), EncodingType: types.EncodingTypeUrl}
	if keyMarker != "" {
		in.KeyMarker = aws.String(keyMarker)
	}
	for {
		page, err := api.ListObjectVersions(ctx, in, s.readOpts)
		if err == nil {
			err = decodeVersionKeys(page)
		}
		if err != nil {
			return fmt.Errorf("list versions of %s: %w", s.loc, s.configErr(err, "s3:ListBucketVersions"))
		}
		if vs := afterMarker(in, versionsOf(page)); len(vs) > 0 {
			if err := fn(vs); err != nil {
				return err
			}
		}
		if !aws.ToBool(page.IsTruncated) {
			return nil
		}
		if err := nextVersionPage(in, page); err != nil {
			return fmt.Errorf("list versions of %s: %w", s.loc, err)
		}
	}
}

// afterMarker is vs without the entry in's markers name. S3 lists what
// comes after them; versitygw v1.8.0 lists that entry again at the top
// of the next page when a page ended on a key's last entry (with pages
// of 2 or 3 entries, TestVerifyPagesThroughVersions), which would list
// a version twice.
func afterMarker(in *s3.ListObjectVersionsInput, vs []audit.Version) []audit.Version {
	if in.VersionIdMarker == nil {
		return vs
	}
	k, id := aws.ToString(in.KeyMarker), aws.ToString(in.VersionIdMarker)
	return slices.DeleteFunc(vs, func(v audit.Version) bool { return v.Key == k && v.VersionID == id })
}

// nextVersionPage sets in's markers to ask for the page after page, a
// truncated one, or says why it cannot: versitygw v1.8.0, paging one
// entry at a time, answers a current delete marker as the next marker
// and then that marker again, forever; sesbox would list without end.
func nextVersionPage(in *s3.ListObjectVersionsInput, page *s3.ListObjectVersionsOutput) error {
	if page.NextKeyMarker == nil && page.NextVersionIdMarker == nil {
		return errors.New("a truncated answer without a next marker")
	}
	if aws.ToString(page.NextKeyMarker) == aws.ToString(in.KeyMarker) && aws.ToString(page.NextVersionIdMarker) == aws.ToString(in.VersionIdMarker) {
		return fmt.Errorf("the server answers the page after key %q version %q with the same markers again, so the listing cannot go on", aws.ToString(in.KeyMarker), aws.ToString(in.VersionIdMarker))
	}
	in.KeyMarker, in.VersionIdMarker = page.NextKeyMarker, page.NextVersionIdMarker
	return nil
}

// versionsOf is a decoded ListObjectVersions page's versions, then its
// delete markers.
func versionsOf(page *s3.ListObjectVersionsOutput) []audit.Version {
	out := make([]audit.Version, 0, len(page.Versions)+len(page.DeleteMarkers))
	for _, v := range page.Versions {
		out = append(out, audit.Version{
			Key: aws.ToString(v.Key), VersionID: aws.ToString(v.VersionId), ETag: strings.Trim(aws.ToString(v.ETag), `"`),
			Size: aws.ToInt64(v.Size), LastModified: aws.ToTime(v.LastModified), IsLatest: aws.ToBool(v.IsLatest),
		})
	}
	for _, d := range page.DeleteMarkers {
		out = append(out, audit.Version{
			Key: aws.ToString(d.Key), VersionID: aws.ToString(d.VersionId), LastModified: aws.ToTime(d.LastModified),
			IsLatest: aws.ToBool(d.IsLatest), DeleteMarker: true,
		})
	}
	return out
}

// decodeVersionKeys undoes EncodingType=url on a ListObjectVersions page,
// in place: the keys of its versions and delete markers, and NextKeyMarker,
// which goes back to S3 as the next request's KeyMarker.
func decodeVersionKeys(page *s3.ListObjectVersionsOutput) error {
	keys := []**string{&page.NextKeyMarker}
	for i := range page.Versions {
		keys = append(keys, &page.Versions[i].Key)
	}
	for i := range page.DeleteMarkers {
		keys = append(keys, &page.DeleteMarkers[i].Key)
	}
	for _, k := range keys {
		if *k == nil {
			continue
		}
		d, err := listedKey(page.EncodingType, *k)
		if err != nil {
			return err
		}
		*k = aws.String(d)
	}
	return nil
}

// sortVersions orders newest first; the latest entry always leads (two
// writes in the same second share a LastModified).
func sortVersions(vs []audit.Version) {
	less := func(a, b audit.Version) bool {
		if a.IsLatest != b.IsLatest {
			return a.IsLatest
		}
		return a.LastModified.After(b.LastModified)
	}
	for i := 1; i < len(vs); i++ { // insertion sort, stable; lists are short
		for j := i; j > 0 && less(vs[j], vs[j-1]); j-- {
			vs[j], vs[j-1] = vs[j-1], vs[j]
		}
	}
}

// Versioning implements posture.BucketConfig.
func (s *Store) Versioning(ctx context.Context) (posture.Versioning, error) {
	api, err := s.auditAPI()
	if err != nil {
		return posture.Versioning{}, err
	}
	out, err := api.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(s.loc.Bucket)}, expectRoot("VersioningConfiguration"), s.readOpts)
	if err != nil {
		return posture.Versioning{}, fmt.Errorf("read versioning of %s: %w", s.loc.Bucket, s.configErr(err, "s3:GetBucketVersioning"))
	}
	return posture.Versioning{Status: string(out.Status), MFADelete: string(out.MFADelete)}, nil
}

// ObjectLock implements posture.BucketConfig.
func (s *Store) ObjectLock(ctx context.Context) (posture.ObjectLock, error) {
	api, err := s.auditAPI()
	if err != nil {
		return posture.ObjectLock{}, err
	}
	out, err := api.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: aws.String(s.loc.Bucket)}, expectRoot("ObjectLockConfiguration"), s.readOpts)
	if err != nil {
		return posture.ObjectLock{}, fmt.Errorf("read Object Lock configuration of %s: %w", s.loc.Bucket, s.configErr(err, "s3:GetBucketObjectLockConfiguration"))
	}
	var ol posture.ObjectLock
	c := out.ObjectLockConfiguration
	if c == nil {
		return ol, fmt.Errorf("read Object Lock configuration of %s: %w", s.loc.Bucket, posture.ErrNotConfigured)
	}
	ol.Enabled = c.ObjectLockEnabled == types.ObjectLockEnabledEnabled
	if c.Rule != nil && c.Rule.DefaultRetention != nil {
		r := c.Rule.DefaultRetention
		ol.Mode, ol.Days, ol.Years = string(r.Mode), aws.ToInt32(r.Days), aws.ToInt32(r.Years)
	}
	return ol, nil
}

// VersionLock implements audit.LockReader: the retention
// (GetObjectRetention) and legal hold (GetObjectLegalHold) of one
// version (the current one when versionID is ""). A version with
// neither is S3's NoSuchObjectLockConfiguration, which is no error here.
// Both are asked explicitly rather than read off the GET's
// x-amz-object-lock-* headers: S3 leaves those out both when the
// version has no lock and when the caller may not read it, and
// versitygw v1.8.0 sends them on a HEAD only.
func (s *Store) VersionLock(ctx context.Context, key, versionID string) (audit.VersionLock, error) {
	api, err := s.auditAPI()
	if err != nil {
		return audit.VersionLock{}, err
	}
	what := mailstore.ObjectName(s.loc.Bucket, key)
	var vid *string
	if versionID != "" {
		vid = aws.String(versionID)
		what += " version " + strconv.Quote(versionID)
	}
	var l audit.VersionLock
	ret, err := api.GetObjectRetention(ctx, &s3.GetObjectRetentionInput{Bucket: aws.String(s.loc.Bucket), Key: aws.String(key), VersionId: vid}, s.readOpts)
	switch {
	case noLock(err):
	case err != nil:
		return l, fmt.Errorf("read the Object Lock retention of %s: %w", what, s.explain(err, s.loc.Bucket, "s3:GetObjectRetention"))
	case ret.Retention != nil:
		l.Mode, l.RetainUntil = string(ret.Retention.Mode), aws.ToTime(ret.Retention.RetainUntilDate)
	}
	hold, err := api.GetObjectLegalHold(ctx, &s3.GetObjectLegalHoldInput{Bucket: aws.String(s.loc.Bucket), Key: aws.String(key), VersionId: vid}, s.readOpts)
	switch {
	case noLock(err):
	case err != nil:
		return l, fmt.Errorf("read the legal hold of %s: %w", what, s.explain(err, s.loc.Bucket, "s3:GetObjectLegalHold"))
	case hold.LegalHold != nil:
		l.LegalHold = hold.LegalHold.Status == types.ObjectLockLegalHoldStatusOn
	}
	return l, nil
}

// noLock reports whether err is S3 saying a version has no retention
// (or no legal hold) of its own.
func noLock(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "NoSuchObjectLockConfiguration"
}

// Lifecycle implements posture.BucketConfig.
func (s *Store) Lifecycle(ctx context.Context) ([]posture.LifecycleRule, error) {
	api, err := s.auditAPI()
	if err != nil {
		return nil, err
	}
	out, err := api.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(s.loc.Bucket)}, expectRoot("LifecycleConfiguration"), s.readOpts)
	if err != nil {
		return nil, fmt.Errorf("read lifecycle rules of %s: %w", s.loc.Bucket, s.configErr(err, "s3:GetLifecycleConfiguration"))
	}
	rules := make([]posture.LifecycleRule, 0, len(out.Rules))
	for _, r := range out.Rules {
		rules = append(rules, lifecycleRuleOf(r))
	}
	return rules, nil
}

func lifecycleRuleOf(r types.LifecycleRule) posture.LifecycleRule {
	lr := posture.LifecycleRule{
		ID:      aws.ToString(r.ID),
		Enabled: r.Status == types.ExpirationStatusEnabled,
	}
	// A rule written before the Filter element has its prefix at the top
	// level; read without it, it would seem to cover the whole bucket.
	//lint:ignore SA1019 S3 still returns such rules, and only there
	lr.Prefix = aws.ToString(r.Prefix)
	var narrowed []string
	if f := r.Filter; f != nil {
		if f.Prefix != nil {
			lr.Prefix = *f.Prefix
		}
		if f.Tag != nil {
			narrowed = append(narrowed, "tag "+aws.ToString(f.Tag.Key)+"="+aws.ToString(f.Tag.Value))
		}
		if f.ObjectSizeGreaterThan != nil {
			narrowed = append(narrowed, fmt.Sprintf("size > %d", *f.ObjectSizeGreaterThan))
		}
		if f.ObjectSizeLessThan != nil {
			narrowed = append(narrowed, fmt.Sprintf("size < %d", *f.ObjectSizeLessThan))
		}
		if a := f.And; a != nil {
			if a.Prefix != nil {
				lr.Prefix = *a.Prefix
			}
			for _, t := range a.Tags {
				narrowed = append(narrowed, "tag "+aws.ToString(t.Key)+"="+aws.ToString(t.Value))
			}
			if a.ObjectSizeGreaterThan != nil {
				narrowed = append(narrowed, fmt.Sprintf("size > %d", *a.ObjectSizeGreaterThan))
			}
			if a.ObjectSizeLessThan != nil {
				narrowed = append(narrowed, fmt.Sprintf("size < %d", *a.ObjectSizeLessThan))
			}
		}
	}
	lr.Narrowed = strings.Join(narrowed, ", ")
	if e := r.Expiration; e != nil {
		lr.ExpirationDays = aws.ToInt32(e.Days)
		lr.ExpirationDate = aws.ToTime(e.Date)
		lr.ExpiredObjectDeleteMarker = aws.ToBool(e.ExpiredObjectDeleteMarker)
	}
	if n := r.NoncurrentVersionExpiration; n != nil {
		lr.NoncurrentExpirationDays = aws.ToInt32(n.NoncurrentDays)
		lr.NoncurrentNewerVersions = aws.ToInt32(n.NewerNoncurrentVersions)
	}
	for _, t := range r.Transitions {
		lr.Transitions = append(lr.Transitions, posture.Transition{Days: aws.ToInt32(t.Days), Date: aws.ToTime(t.Date), StorageClass: string(t.StorageClass)})
	}
	for _, t := range r.NoncurrentVersionTransitions {
		lr.NoncurrentTransitions = append(lr.NoncurrentTransitions, posture.Transition{Days: aws.ToInt32(t.NoncurrentDays), StorageClass: string(t.StorageClass)})
	}
	return lr
}

// Encryption implements posture.BucketConfig.
func (s *Store) Encryption(ctx context.Context) (posture.Encryption, error) {
	api, err := s.auditAPI()
	if err != nil {
		return posture.Encryption{}, err
	}
	out, err := api.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(s.loc.Bucket)}, expectRoot("ServerSideEncryptionConfiguration"), s.readOpts)
	if err != nil {
		return posture.Encryption{}, fmt.Errorf("read default encryption of %s: %w", s.loc.Bucket, s.configErr(err, "s3:GetEncryptionConfiguration"))
	}
	if c := out.ServerSideEncryptionConfiguration; c != nil {
		for _, r := range c.Rules {
			if d := r.ApplyServerSideEncryptionByDefault; d != nil {
				return posture.Encryption{Algorithm: string(d.SSEAlgorithm), KMSKeyID: aws.ToString(d.KMSMasterKeyID)}, nil
			}
		}
	}
	return posture.Encryption{}, fmt.Errorf("read default encryption of %s: %w", s.loc.Bucket, posture.ErrNotConfigured)
}

// PublicAccessBlock implements posture.BucketConfig.
func (s *Store) PublicAccessBlock(ctx context.Context) (posture.PublicAccessBlock, error) {
	api, err := s.auditAPI()
	if err != nil {
		return posture.PublicAccessBlock{}, err
	}
	out, err := api.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String(s.loc.Bucket)}, expectRoot("PublicAccessBlockConfiguration"), s.readOpts)
	if err != nil {
		return posture.PublicAccessBlock{}, fmt.Errorf("read public access block of %s: %w", s.loc.Bucket, s.configErr(err, "s3:GetBucketPublicAccessBlock"))
	}
	c := out.PublicAccessBlockConfiguration
	if c == nil {
		return posture.PublicAccessBlock{}, fmt.Errorf("read public access block of %s: %w", s.loc.Bucket, posture.ErrNotConfigured)
	}
	return posture.PublicAccessBlock{
		BlockPublicAcls: aws.ToBool(c.BlockPublicAcls), IgnorePublicAcls: aws.ToBool(c.IgnorePublicAcls),
		BlockPublicPolicy: aws.ToBool(c.BlockPublicPolicy), RestrictPublicBuckets: aws.ToBool(c.RestrictPublicBuckets),
	}, nil
}

// Policy implements posture.BucketConfig.
func (s *Store) Policy(ctx context.Context) (string, error) {
	api, err := s.auditAPI()
	if err != nil {
		return "", err
	}
	out, err := api.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(s.loc.Bucket)}, s.readOpts)
	if err != nil {
		return "", fmt.Errorf("read bucket policy of %s: %w", s.loc.Bucket, s.configErr(err, "s3:GetBucketPolicy"))
	}
	p := aws.ToString(out.Policy)
	if strings.TrimSpace(p) == "" {
		return "", fmt.Errorf("read bucket policy of %s: %w", s.loc.Bucket, posture.ErrNotConfigured)
	}
	if !json.Valid([]byte(p)) {
		// Some test servers answer an unknown sub-resource with the bucket
		// listing; that is not a policy.
		return "", fmt.Errorf("read bucket policy of %s: the answer is not a JSON policy: %w", s.loc.Bucket, mailstore.ErrUnsupported)
	}
	return p, nil
}

// notConfiguredCodes are the error codes S3 gives for a bucket without a
// configuration of the kind asked for.
var notConfiguredCodes = map[string]bool{
	"NoSuchLifecycleConfiguration":                   true,
	"ObjectLockConfigurationNotFoundError":           true,
	"NoSuchBucketPolicy":                             true,
	"ServerSideEncryptionConfigurationNotFoundError": true,
	"NoSuchPublicAccessBlockConfiguration":           true,
}

// configErr maps a failed configuration read to posture.ErrNotConfigured or
// mailstore.ErrUnsupported where it means one of them, else explains it.
func (s *Store) configErr(err error, perm string) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch {
		case notConfiguredCodes[ae.ErrorCode()]:
			return fmt.Errorf("%w (%s)", posture.ErrNotConfigured, ae.ErrorCode())
		case ae.ErrorCode() == "NotImplemented" || ae.ErrorCode() == "MethodNotAllowed":
			return fmt.Errorf("%w (%s)", mailstore.ErrUnsupported, ae.ErrorCode())
		}
	}
	if isStatus(err, http.StatusNotImplemented) {
		return fmt.Errorf("%w (HTTP 501)", mailstore.ErrUnsupported)
	}
	if errors.Is(err, mailstore.ErrUnsupported) {
		return err
	}
	var de *smithy.DeserializationError
	if errors.As(err, &de) {
		return fmt.Errorf("%w (unreadable answer: %v)", mailstore.ErrUnsupported, err)
	}
	return s.explain(err, s.loc.Bucket, perm)
}

func isStatus(err error, code int) bool {
	var re *awshttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == code
}

// errWrongAnswer marks a 200 answer whose XML is not the configuration
// asked for. gofakes3, for one, answers GET ?lifecycle, ?object-lock,
// ?encryption and ?publicAccessBlock with the bucket listing, which the
// SDK would happily decode as an empty configuration: reporting that as
// "public access not blocked" would be a false finding.
var errWrongAnswer = errors.New("the server answered with something else")

// expectRoot checks that a successful answer's XML root element is root
// before the SDK decodes it; any other root becomes ErrUnsupported.
func expectRoot(root string) func(*s3.Options) {
	return func(o *s3.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			// Added last to the deserialize step, so it runs nearest the
			// transport and sees the raw body before the decoder does.
			return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("sesboxExpectRoot",
				func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
					out, md, err := next.HandleDeserialize(ctx, in)
					if err != nil {
						return out, md, err
					}
					resp, ok := out.RawResponse.(*smithyhttp.Response)
					if !ok || resp.StatusCode < 200 || resp.StatusCode > 299 {
						return out, md, err
					}
					body, rerr := io.ReadAll(resp.Body)
					resp.Body.Close()
					if rerr != nil {
						return out, md, rerr
					}
					resp.Body = io.NopCloser(bytes.NewReader(body))
					if got := rootElement(body); got != "" && got != root {
						return out, md, fmt.Errorf("%w: %w (%s instead of %s)", mailstore.ErrUnsupported, errWrongAnswer, got, root)
					}
					return out, md, err
				}), middleware.After)
		})
	}
}

// rootElement is the local name of the first element of an XML document,
// "" when there is none (an empty body is a valid empty configuration).
func rootElement(b []byte) string {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := d.Token()
		if err != nil {
			return ""
		}
		if se, ok := tok.(xml.StartElement); ok {
			return se.Name.Local
		}
	}
}
