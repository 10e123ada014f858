package s3store

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	smithyauth "github.com/aws/smithy-go/auth"

	"github.com/sesbox/sesbox/mailstore"
)

// endpointCases are endpoint parameters over the settings sesbox meets:
// regions of each partition, virtual-hosted and path-style addressing, a
// custom endpoint, bucket names that cannot be a host name, an access
// point ARN, FIPS, dual-stack and accelerate (some of them errors), and
// the parameters an operation sets on its own.
func endpointCases() []s3.EndpointParameters {
	var out []s3.EndpointParameters
	for _, region := range []*string{aws.String("us-east-1"), aws.String("eu-west-1"), aws.String("us-gov-west-1"), aws.String("cn-north-1"), nil} {
		for _, bucket := range []*string{aws.String("mail"), aws.String("my.dotted.bucket"), aws.String("Upper_Case"),
			aws.String("arn:aws:s3:us-west-2:123456789012:accesspoint/myap"), nil} {
			for _, endpoint := range []*string{nil, aws.String("http://127.0.0.1:9000"), aws.String("https://s3.example.com/base")} {
				for _, flags := range [][4]bool{{}, {true}, {false, true}, {false, false, true}, {false, false, false, true}} {
					p := s3.EndpointParameters{Region: region, Bucket: bucket, Endpoint: endpoint,
						ForcePathStyle: aws.Bool(flags[0]), UseFIPS: aws.Bool(flags[1]), UseDualStack: aws.Bool(flags[2]), Accelerate: aws.Bool(flags[3])}
					out = append(out, p)
					control := p
					control.UseS3ExpressControlEndpoint = aws.Bool(true)
					out = append(out, control)
				}
			}
		}
	}
	return out
}

func describe(p s3.EndpointParameters) string {
	return fmt.Sprintf("region=%s bucket=%s endpoint=%s pathStyle=%v fips=%v dualStack=%v accelerate=%v control=%v",
		aws.ToString(p.Region), aws.ToString(p.Bucket), aws.ToString(p.Endpoint), aws.ToBool(p.ForcePathStyle),
		aws.ToBool(p.UseFIPS), aws.ToBool(p.UseDualStack), aws.ToBool(p.Accelerate), aws.ToBool(p.UseS3ExpressControlEndpoint))
}

// TestEndpointCacheMatchesResolver checks that the cache answers what the
// SDK's resolver answers, on a miss and on a hit for another object key,
// listing prefix and copy source (parameters the cache key leaves out).
func TestEndpointCacheMatchesResolver(t *testing.T) {
	ctx := context.Background()
	sdk := s3.NewDefaultEndpointResolverV2()
	cache := newEndpointCache(sdk)
	for _, p := range endpointCases() {
		first, second := p, p
		first.Key, first.Prefix = aws.String("inbox/first"), aws.String("inbox/")
		second.Key, second.Prefix, second.CopySource = aws.String("other/second key"), aws.String("other/"), aws.String("src/x")
		for _, q := range []s3.EndpointParameters{first, second} {
			want, wantErr := sdk.ResolveEndpoint(ctx, q)
			got, err := cache.ResolveEndpoint(ctx, q)
			if (err != nil) != (wantErr != nil) || (err != nil && err.Error() != wantErr.Error()) {
				t.Fatalf("%s: error %v, the SDK's %v", describe(q), err, wantErr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s key %s:\n got %+v\nwant %+v", describe(q), aws.ToString(q.Key), got, want)
			}
		}
	}
	// Not every case failed: the comparison above saw endpoints.
	if len(cache.m) < 100 {
		t.Fatalf("only %d endpoints resolved", len(cache.m))
	}
}

// TestEndpointCacheKeyCoversParameters fails when an SDK update adds an
// endpoint parameter: keyOf must then take it in (or, if the rule set
// does not read it and it varies per request, leave it out with a case in
// TestEndpointCacheMatchesResolver that shows it).
func TestEndpointCacheKeyCoversParameters(t *testing.T) {
	known := map[string]bool{"Bucket": true, "Region": true, "UseFIPS": true, "UseDualStack": true, "Endpoint": true,
		"ForcePathStyle": true, "Accelerate": true, "UseGlobalEndpoint": true, "UseObjectLambdaEndpoint": true,
		"DisableAccessPoints": true, "DisableMultiRegionAccessPoints": true, "UseArnRegion": true,
		"UseS3ExpressControlEndpoint": true, "DisableS3ExpressSessionAuth": true,
		"Key": true, "Prefix": true, "CopySource": true} // the last three left out on purpose
	typ := reflect.TypeFor[s3.EndpointParameters]()
	for i := range typ.NumField() {
		if f := typ.Field(i); !known[f.Name] {
			t.Errorf("s3.EndpointParameters.%s is not in the endpoint cache's key", f.Name)
		}
	}
	if typ.NumField() != len(known) {
		t.Errorf("s3.EndpointParameters has %d fields, the cache knows %d", typ.NumField(), len(known))
	}
	// Every known parameter but the three changes the key.
	base := s3.EndpointParameters{}
	for i := range typ.NumField() {
		f := typ.Field(i)
		p := base
		pv := reflect.ValueOf(&p).Elem().Field(i)
		switch f.Type {
		case reflect.TypeFor[*string]():
			pv.Set(reflect.ValueOf(aws.String("x")))
		case reflect.TypeFor[*bool]():
			pv.Set(reflect.ValueOf(aws.Bool(false)))
		default:
			t.Fatalf("%s: type %s", f.Name, f.Type)
		}
		leftOut := f.Name == "Key" || f.Name == "Prefix" || f.Name == "CopySource"
		if changed := keyOf(p) != keyOf(base); changed == leftOut {
			t.Errorf("%s set: key changed %v", f.Name, changed)
		}
	}
}

// TestEndpointCacheAnswersAreNotShared checks that what a caller does to
// an endpoint (the SDK renames and rebases auth options and merges their
// signer properties) reaches neither the cache nor another caller.
func TestEndpointCacheAnswersAreNotShared(t *testing.T) {
	ctx := context.Background()
	sdk := s3.NewDefaultEndpointResolverV2()
	cache := newEndpointCache(sdk)
	p := s3.EndpointParameters{Region: aws.String("eu-west-1"), Bucket: aws.String("mail"), ForcePathStyle: aws.Bool(false)}
	want, err := sdk.ResolveEndpoint(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				e, err := cache.ResolveEndpoint(ctx, p)
				if err != nil {
					t.Error(err)
					return
				}
				opts, ok := smithyauth.GetAuthOptions(&e.Properties)
				if !ok || len(opts) == 0 {
					t.Error("no auth options")
					return
				}
				opts[0].SchemeID = "changed"
				opts[0].SignerProperties.Set("changed", true)
				opts[0].IdentityProperties.Set("changed", true)
				e.Properties.Set("changed", true)
				e.URI.Path = "/changed"
			}
		})
	}
	wg.Wait()
	got, err := cache.ResolveEndpoint(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after callers changed their copies:\n got %+v\nwant %+v", got, want)
	}
}

// sentRequest is what the transport of TestStoreSendsWhereTheSDKDoes saw.
type sentRequest struct{ url, scope string }

type recordingTransport struct {
	mu   sync.Mutex
	seen []sentRequest
}

var errNotSent = errors.New("recorded, not sent")

func (r *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	auth := req.Header.Get("Authorization")
	// "AWS4-HMAC-SHA256 Credential=a/20261204/eu-west-1/s3/aws4_request, ..."
	scope := auth
	if i := len("AWS4-HMAC-SHA256 Credential=a/20261204/"); len(auth) > i {
		scope = auth[i:]
		for j := range len(scope) {
			if scope[j] == ',' {
				scope = scope[:j]
				break
			}
		}
	}
	r.seen = append(r.seen, sentRequest{req.URL.String(), scope})
	return nil, errNotSent
}

// TestStoreSendsWhereTheSDKDoes sends a store's ranged read (twice: a
// miss and a hit of the endpoint cache) and the same GetObject straight
// through the client, for virtual-hosted and path-style addressing, with
// and without a custom endpoint, and compares the URL and the signature's
// scope (region, service) of what went out. Nothing answers: the
// transport records the request and fails it.
func TestStoreSendsWhereTheSDKDoes(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		region    string
		pathStyle bool
		endpoint  string
	}{
		{"virtual-hosted", "eu-west-1", false, ""},
		{"path-style", "eu-west-1", true, ""},
		{"us-east-1", "us-east-1", false, ""},
		{"dotted bucket", "us-west-2", false, ""},
		{"custom endpoint", "us-east-1", true, "http://127.0.0.1:9000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bucket := "mail"
			if tc.name == "dotted bucket" {
				bucket = "mail.example.com"
			}
			rt := &recordingTransport{}
			client := s3.NewFromConfig(aws.Config{Region: tc.region, Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")},
				func(o *s3.Options) {
					o.UsePathStyle = tc.pathStyle
					if tc.endpoint != "" {
						o.BaseEndpoint = aws.String(tc.endpoint)
					}
					o.HTTPClient = &http.Client{Transport: rt}
				})
			st := New(client, mailstore.Location{Bucket: bucket, Prefix: "inbox/"}).WithRetry(RetryPolicy{MaxAttempts: 1})
			if st.endpoints == nil {
				t.Fatal("the store does not cache endpoints")
			}
			for _, key := range []string{"inbox/a", "inbox/b c"} {
				if _, _, err := st.ReadHeader(ctx, key); !errors.Is(err, errNotSent) {
					t.Fatalf("read: %v", err)
				}
				_, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Range: aws.String("bytes=0-16383")},
					func(o *s3.Options) { o.RetryMaxAttempts = 1 })
				if !errors.Is(err, errNotSent) {
					t.Fatalf("GetObject: %v", err)
				}
			}
			if len(rt.seen) != 4 {
				t.Fatalf("%d requests sent, want 4: %v", len(rt.seen), rt.seen)
			}
			for i := 0; i < 4; i += 2 {
				if rt.seen[i] != rt.seen[i+1] {
					t.Errorf("store sent %+v, the SDK alone %+v", rt.seen[i], rt.seen[i+1])
				}
			}
			if len(st.endpoints.m) != 1 {
				t.Errorf("%d endpoints cached, want 1 (the key is not part of the cache key)", len(st.endpoints.m))
			}
			t.Log(rt.seen[0])
		})
	}
}
