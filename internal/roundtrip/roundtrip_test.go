package roundtrip_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/planbridge/planbridge/internal/roundtrip"
)

func TestDoSendsEverything(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Echo", r.Header.Get("X-Key")+"|"+r.Header.Get("Content-Type"))
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, "%s %s %s", r.Method, r.URL.Path, b)
	}))
	defer srv.Close()
	a := roundtrip.Do(t, http.MethodPost, srv.URL+"/x", "application/json", `{"a":1}`, http.Header{"X-Key": {"k"}})
	if a.Status != http.StatusCreated || a.Body != `POST /x {"a":1}` || a.Header.Get("X-Echo") != "k|application/json" {
		t.Errorf("answer = %+v", a)
	}
}
