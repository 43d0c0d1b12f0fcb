package botpress_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/planbridge/planbridge/botpress"
)

// TestClientRefusesRedirects points the Runtime API client at a server that
// answers 302 to a second listener: the listener must get no request (the
// token would go along), and the refusal is ErrRedirect after one attempt,
// whatever http.Client the caller passed.
func TestClientRefusesRedirects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		hc   *http.Client
	}{
		{"default client", nil},
		{"caller's client with Go's redirect policy", &http.Client{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stolen, hits atomic.Int32
			target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { stolen.Add(1) }))
			t.Cleanup(target.Close)
			redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				http.Redirect(w, r, target.URL+r.URL.Path, http.StatusFound)
			}))
			t.Cleanup(redirector.Close)
			c, err := botpress.NewClient(botpress.ClientOptions{BaseURL: redirector.URL, Token: "bp-token", BotID: "bot_1", MaxRetries: 3, HTTPClient: tt.hc})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.GetUser(t.Context(), "user_1")
			if !errors.Is(err, botpress.ErrRedirect) || hits.Load() != 1 || stolen.Load() != 0 {
				t.Errorf("err = %v, redirector hits %d (want 1), target hits %d (want 0)", err, hits.Load(), stolen.Load())
			}
			if tt.hc != nil && tt.hc.CheckRedirect != nil {
				t.Error("NewClient changed the caller's http.Client")
			}
		})
	}
}
