package planhat

import (
	"context"
	"net/http"
	"strings"
)

// ReadCache answers a client's reads from memory; package readcache implements it. A client
// given one (Options.ReadCache) sends every GET to the main host through Read, and tells
// Wrote about every other call there, so that what planbridge writes is never read back
// stale. One ReadCache serves one token and base URL: answers are never shared between
// tenants.
type ReadCache interface {
	// Read returns the answer to r, from memory or by calling fetch (which goes through the
	// rate limiter and the retries). fetch's answer is a 2xx; its error is the client's.
	Read(ctx context.Context, r CachedRead, fetch func(context.Context) (*CachedAnswer, error)) (*CachedAnswer, error)
	// Wrote says that a call may have changed records of model (the path's first segment,
	// e.g. "companies"); called once the call is over, whatever its outcome.
	Wrote(model string)
}

// CachedRead names one read for a ReadCache.
type CachedRead struct {
	// Model is the path's first segment, e.g. "companies" or "endusers".
	Model string
	// Key is the path and the encoded query: equal keys are the same read.
	Key string
	// Fresh asks for an answer from Planhat, not from memory (see WithFreshRead).
	Fresh bool
}

// CachedAnswer is a successful answer a ReadCache keeps. Its Body must not be modified.
type CachedAnswer struct {
	Status      int
	Body        []byte
	ContentType string
}

type freshKey struct{}

// WithFreshRead returns a context whose reads skip the read cache: the caller wants what
// Planhat holds now (the answer still refreshes the cache).
func WithFreshRead(ctx context.Context) context.Context {
	return context.WithValue(ctx, freshKey{}, true)
}

// FreshRead reports whether ctx asks for fresh reads (see WithFreshRead).
func FreshRead(ctx context.Context) bool {
	v, _ := ctx.Value(freshKey{}).(bool)
	return v
}

// pathModel returns the first segment of an escaped request path.
func pathModel(path string) string {
	m, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	return m
}

// doCached sends req through the read cache: GETs are answered by it, and any other call
// invalidates the model it touched once it is over.
func (c *Client) doCached(ctx context.Context, req *request) (*response, error) {
	model := pathModel(req.path)
	if req.method != http.MethodGet {
		defer c.cache.Wrote(model)
		return c.doUncached(ctx, req)
	}
	key := req.path
	if len(req.query) > 0 {
		key += "?" + req.query.Encode()
	}
	ans, err := c.cache.Read(ctx, CachedRead{Model: model, Key: key, Fresh: FreshRead(ctx)}, func(ctx context.Context) (*CachedAnswer, error) {
		resp, err := c.doUncached(ctx, req)
		if err != nil {
			return nil, err
		}
		return &CachedAnswer{Status: resp.status, Body: resp.body, ContentType: resp.contentType}, nil
	})
	if err != nil {
		return nil, err
	}
	return &response{status: ans.Status, body: ans.Body, contentType: ans.ContentType, rl: RateLimitState{Limit: -1, Remaining: -1}}, nil
}
