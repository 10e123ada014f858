package s3store

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	smithy "github.com/aws/smithy-go"
	smithyauth "github.com/aws/smithy-go/auth"
	smithyendpoints "github.com/aws/smithy-go/endpoints"
)

// endpointCache remembers the endpoints the S3 client's own resolver
// gives. The SDK evaluates the whole S3 endpoint rule set twice for every
// request (once to pick the auth scheme, once for the URL), about 50
// allocations, for an answer that depends only on the client's settings
// and the bucket; a hit costs the copies (see copyEndpoint), 38 fewer
// allocations a GET in all.
//
// The object key, listing prefix and copy source are left out of the
// cache key: the rule set does not read them (TestEndpointCacheIgnoresKey
// checks it against the SDK in use), and with them each key would be a
// miss. Every other parameter is part of the key, so the answer is the
// resolver's own for the region, addressing style, custom endpoint and
// bucket; TestEndpointCacheKeyCoversParameters fails when an SDK update
// adds one. The cache holds an entry per distinct set of parameters: a
// store reads one bucket, so a handful.
type endpointCache struct {
	next s3.EndpointResolverV2
	mu   sync.RWMutex
	m    map[endpointKey]smithyendpoints.Endpoint
}

func newEndpointCache(next s3.EndpointResolverV2) *endpointCache {
	return &endpointCache{next: next, m: map[endpointKey]smithyendpoints.Endpoint{}}
}

// optString and optBool keep "not set" apart from the zero value.
type optString struct {
	set bool
	v   string
}

type optBool uint8 // 0 not set, 1 false, 2 true

func strOf(p *string) optString {
	if p == nil {
		return optString{}
	}
	return optString{true, *p}
}

func boolOf(p *bool) optBool {
	switch {
	case p == nil:
		return 0
	case *p:
		return 2
	}
	return 1
}

// endpointKey is s3.EndpointParameters by value, less Key, Prefix and
// CopySource.
type endpointKey struct {
	bucket, region, endpoint                                           optString
	fips, dualStack, pathStyle, accelerate, globalEndpoint             optBool
	objectLambda, noAccessPoints, noMultiRegionAccessPoints, arnRegion optBool
	expressControl, noExpressSessionAuth                               optBool
}

func keyOf(p s3.EndpointParameters) endpointKey {
	return endpointKey{
		bucket:                    strOf(p.Bucket),
		region:                    strOf(p.Region),
		endpoint:                  strOf(p.Endpoint),
		fips:                      boolOf(p.UseFIPS),
		dualStack:                 boolOf(p.UseDualStack),
		pathStyle:                 boolOf(p.ForcePathStyle),
		accelerate:                boolOf(p.Accelerate),
		globalEndpoint:            boolOf(p.UseGlobalEndpoint),
		objectLambda:              boolOf(p.UseObjectLambdaEndpoint),
		noAccessPoints:            boolOf(p.DisableAccessPoints),
		noMultiRegionAccessPoints: boolOf(p.DisableMultiRegionAccessPoints),
		arnRegion:                 boolOf(p.UseArnRegion),
		expressControl:            boolOf(p.UseS3ExpressControlEndpoint),
		noExpressSessionAuth:      boolOf(p.DisableS3ExpressSessionAuth),
	}
}

// ResolveEndpoint implements s3.EndpointResolverV2. Errors are not
// cached.
func (c *endpointCache) ResolveEndpoint(ctx context.Context, p s3.EndpointParameters) (smithyendpoints.Endpoint, error) {
	k := keyOf(p)
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	if !ok {
		var err error
		if e, err = c.next.ResolveEndpoint(ctx, p); err != nil {
			return e, err
		}
		c.mu.Lock()
		c.m[k] = e
		c.mu.Unlock()
	}
	return copyEndpoint(e), nil
}

// copyEndpoint returns e with maps of its own: the SDK writes into what a
// resolver returns (it renames and rebases the auth options, and merges
// their signer properties into the request's), so requests in flight
// must not share them. The values in them are strings and bools.
func copyEndpoint(e smithyendpoints.Endpoint) smithyendpoints.Endpoint {
	// URI is a value; its User, when set, cannot be changed.
	out := smithyendpoints.Endpoint{URI: e.URI, Headers: e.Headers.Clone()}
	out.Properties.SetAll(&e.Properties)
	if opts, ok := smithyauth.GetAuthOptions(&e.Properties); ok {
		cp := make([]*smithyauth.Option, len(opts))
		for i, o := range opts {
			cp[i] = &smithyauth.Option{SchemeID: o.SchemeID, IdentityProperties: copyProps(&o.IdentityProperties), SignerProperties: copyProps(&o.SignerProperties)}
		}
		smithyauth.SetAuthOptions(&out.Properties, cp)
	}
	return out
}

func copyProps(p *smithy.Properties) smithy.Properties {
	var out smithy.Properties
	out.SetAll(p)
	return out
}
