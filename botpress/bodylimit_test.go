package botpress_test

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/planbridge/planbridge/botpress"
)

// countingBody hands out up to n zero bytes and counts them; past n it
// blocks until done closes, as a slow sender would.
type countingBody struct {
	n, read atomic.Int64
	done    chan struct{}
}

func (b *countingBody) Read(p []byte) (int, error) {
	left := b.n.Load() - b.read.Load()
	if left <= 0 {
		<-b.done
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), left)]
	clear(p)
	b.read.Add(int64(len(p)))
	return len(p), nil
}

// TestDeclaredOversizeIsRefusedAtOnce sends operations over HTTP whose
// Content-Length already exceeds the door's limit: the 413 must come
// before the body is read, while the sender still holds back the rest. A
// body within the limit is read as usual.
func TestDeclaredOversizeIsRefusedAtOnce(t *testing.T) {
	t.Parallel()
	const limit = 64 << 10
	h := botpress.NewHandler(&testIntegration{}, botpress.HandlerOptions{MaxBodyBytes: limit})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	tests := []struct {
		name       string
		declared   int64 // Content-Length
		available  int64 // bytes the sender has ready before it stalls
		wantStatus int
	}{
		{"20 MB declared, 8 KiB sent so far", 20_000_000, 8 << 10, http.StatusRequestEntityTooLarge},
		{"one byte over the limit", limit + 1, 8 << 10, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := &countingBody{done: make(chan struct{})}
			body.n.Store(tt.available)
			t.Cleanup(func() { close(body.done) })
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/botpress/test", body)
			if err != nil {
				t.Fatal(err)
			}
			req.ContentLength = tt.declared
			for k, v := range map[string]string{
				botpress.HeaderOperation: "action_triggered", botpress.HeaderBotID: "bot_1", botpress.HeaderBotUserID: "user_1",
				botpress.HeaderIntegrationID: "int_1", botpress.HeaderIntegrationAlias: "test", botpress.HeaderWebhookID: "wh_1",
				botpress.HeaderConfiguration: base64.StdEncoding.EncodeToString([]byte(`{"apiToken":"good-token"}`)),
				"Content-Type":               "application/json",
			} {
				req.Header.Set(k, v)
			}
			type result struct {
				resp *http.Response
				err  error
			}
			got := make(chan result, 1)
			go func() {
				resp, err := http.DefaultClient.Do(req)
				got <- result{resp, err}
			}()
			select {
			case r := <-got:
				if r.err != nil {
					t.Fatal(r.err)
				}
				defer r.resp.Body.Close()
				msg, _ := io.ReadAll(r.resp.Body)
				if r.resp.StatusCode != tt.wantStatus {
					t.Errorf("status %d (%s), want %d", r.resp.StatusCode, bytes.TrimSpace(msg), tt.wantStatus)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("no answer while the sender held back the body (the door was reading it): %d bytes read", body.read.Load())
			}
		})
	}
}
