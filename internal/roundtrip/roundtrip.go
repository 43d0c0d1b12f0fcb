// Package roundtrip makes one HTTP request from a test and returns the
// whole answer, failing the test on anything but an HTTP answer.
package roundtrip

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Timeout bounds each request; a healthy local server answers in
// milliseconds, so reaching it means a hang.
const Timeout = 10 * time.Second

// Answer is what the server sent back.
type Answer struct {
	Status int
	Header http.Header
	Body   string
}

// Do sends method url with body, contentType (when not empty) and header,
// and returns the answer. The request is bound to the test's context.
func Do(t testing.TB, method, url, contentType, body string, header http.Header) Answer {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		t.Fatalf("build %s %s: %v", method, url, err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read answer of %s %s: %v", method, url, err)
	}
	return Answer{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
}
