package planhat_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/planhat/planhatemu"
)

func companiesN(n int, prefix string) []planhat.Company {
	out := make([]planhat.Company, n)
	for i := range out {
		out[i] = planhat.Company{Name: fmt.Sprintf("%s %d", prefix, i), ExternalID: fmt.Sprintf("%s-%d", prefix, i)}
	}
	return out
}

func TestBulkUpsertChunksAndMerges(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	e := newEnv(t, nil, nil)
	items := companiesN(12001, "bulk")

	res, err := e.c.Companies().BulkUpsert(ctx, items)
	if err != nil {
		t.Fatalf("BulkUpsert: %v", err)
	}
	if got := e.srv.Stats().ByRoute["PUT /companies"]; got != 3 {
		t.Errorf("bulk calls = %d, want 3", got)
	}
	if res.Created != 12001 || res.Updated != 0 || len(res.InsertsKeys) != 12001 || len(res.UpsertedIDs) != 12001 || res.HasErrors() {
		t.Fatalf("merged result: created %d updated %d keys %d ids %d errors %v", res.Created, res.Updated, len(res.InsertsKeys), len(res.UpsertedIDs), res.HasErrors())
	}
	wantChunks := []planhat.BulkChunk{{First: 0, Items: 5000}, {First: 5000, Items: 5000}, {First: 10000, Items: 2001}}
	for i, ch := range res.Chunks {
		if ch.First != wantChunks[i].First || ch.Items != wantChunks[i].Items || ch.StatusCode != http.StatusOK {
			t.Errorf("chunk %d = %+v, want %+v", i, ch, wantChunks[i])
		}
	}
	// Keys come back in item order across chunks.
	for _, i := range []int{0, 4999, 5000, 12000} {
		if got := res.InsertsKeys[i].ExternalID; got != items[i].ExternalID {
			t.Errorf("insertsKeys[%d].externalId = %q, want %q", i, got, items[i].ExternalID)
		}
	}
	if n := e.srv.Count("companies"); n != 12001 {
		t.Errorf("stored %d companies, want 12001", n)
	}

	// The same items again, half changed: updates and non-updates are summed too.
	for i := range items {
		if i%2 == 0 {
			items[i].Phase = "renewal"
		}
	}
	e.srv.ResetStats()
	res, err = e.c.Companies().BulkUpsert(ctx, items)
	if err != nil {
		t.Fatalf("second BulkUpsert: %v", err)
	}
	if res.Created != 0 || res.Updated != 6001 || res.NonUpdates != 6000 || len(res.Modified) != 6001 || len(res.UpdatesKeys) != 6001 {
		t.Errorf("second result: created %d updated %d nonupdates %d modified %d updatesKeys %d", res.Created, res.Updated, res.NonUpdates, len(res.Modified), len(res.UpdatesKeys))
	}
	if got := e.srv.Stats().ByRoute["PUT /companies"]; got != 3 {
		t.Errorf("second run bulk calls = %d, want 3", got)
	}
}

func TestBulkUpsertByteBudget(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, func(o *planhat.Options) { o.BulkMaxBytes = 20_000 })
	items := companiesN(1000, "bytes") // ~45 bytes each: ~45 KB, so 3 chunks
	res, err := e.c.Companies().BulkUpsert(t.Context(), items)
	if err != nil {
		t.Fatal(err)
	}
	calls := e.srv.Stats().ByRoute["PUT /companies"]
	if calls != 3 || len(res.Chunks) != 3 || res.Created != 1000 {
		t.Errorf("calls %d, chunks %d, created %d; want 3, 3, 1000", calls, len(res.Chunks), res.Created)
	}
	for _, r := range e.rec.requests() {
		if len(r.Body) > 20_000 {
			t.Errorf("body of %d bytes exceeds the budget", len(r.Body))
		}
	}
	big := []planhat.Company{{Name: strings.Repeat("x", 30_000)}}
	if _, err := e.c.Companies().BulkUpsert(t.Context(), big); !isValidation(err) {
		t.Errorf("oversized item: err = %v, want a ValidationError", err)
	}
}

func TestBulkPartialFailure(t *testing.T) {
	t.Parallel()
	ctx := t.Context()

	tests := []struct {
		name       string
		switches   planhatemu.Switches
		items      []planhat.Company
		wantStatus int
		wantIs     error
		created    int
		errs       int
	}{
		{
			name:       "some items fail (206)",
			items:      []planhat.Company{{Name: "ok 1"}, {Slug: "no-name"}, {Name: "ok 2"}},
			wantStatus: http.StatusPartialContent, created: 2, errs: 1,
		},
		{
			name:       "every item fails (400 with a bulk body)",
			items:      []planhat.Company{{Slug: "a"}, {Slug: "b"}},
			wantStatus: http.StatusBadRequest, wantIs: planhat.ErrBadRequest, errs: 2,
		},
		{
			name:       "string error elements",
			switches:   planhatemu.Switches{StringBulkErrors: true},
			items:      []planhat.Company{{Name: "ok"}, {Slug: "no-name"}},
			wantStatus: http.StatusPartialContent, created: 1, errs: 1,
		},
		{
			name:       "permission denied (403 with permissionErrors)",
			switches:   planhatemu.Switches{DeniedModels: []string{"companies"}},
			items:      []planhat.Company{{Name: "x"}},
			wantStatus: http.StatusForbidden, wantIs: planhat.ErrForbidden, errs: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, []planhatemu.Option{planhatemu.WithSwitches(tt.switches)}, nil)
			res, err := e.c.Companies().BulkUpsert(ctx, tt.items)
			var be *planhat.BulkError
			if !errors.As(err, &be) {
				t.Fatalf("err = %v, want a *BulkError", err)
			}
			if be.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", be.StatusCode, tt.wantStatus)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("errors.Is(%v) = false", tt.wantIs)
			}
			if be.Result != res {
				t.Errorf("the error does not carry the returned result")
			}
			nErrs := len(res.CreatedErrors) + len(res.UpdatedErrors) + len(res.PermissionErrors)
			if res.Created != tt.created || nErrs != tt.errs {
				t.Errorf("created %d, errors %d; want %d, %d", res.Created, nErrs, tt.created, tt.errs)
			}
			for _, ie := range append(append(res.CreatedErrors, res.UpdatedErrors...), res.PermissionErrors...) {
				if ie.Message == "" {
					t.Errorf("error element without a message: %s", ie.Raw)
				}
			}
			if !strings.Contains(err.Error(), "first error") {
				t.Errorf("message %q does not quote the first error", err)
			}
		})
	}

	t.Run("failures in one chunk do not stop the others", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil, func(o *planhat.Options) { o.BulkChunkSize = 2 })
		items := []planhat.Company{{Name: "a"}, {Slug: "bad"}, {Name: "c"}, {Name: "d"}, {Slug: "bad2"}}
		res, err := e.c.Companies().BulkUpsert(ctx, items)
		var be *planhat.BulkError
		if !errors.As(err, &be) || be.StatusCode != http.StatusPartialContent {
			t.Fatalf("err = %v, want a 206 BulkError", err)
		}
		if res.Created != 3 || len(res.CreatedErrors) != 2 || len(res.Chunks) != 3 {
			t.Errorf("created %d, errors %d, chunks %d; want 3, 2, 3", res.Created, len(res.CreatedErrors), len(res.Chunks))
		}
		if res.Chunks[2].StatusCode != http.StatusBadRequest {
			t.Errorf("chunk statuses = %+v", res.Chunks)
		}
	})
}

func TestBulkRetrySafety(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	tests := []struct {
		name      string
		items     []planhat.Company
		wantCalls int
		wantErr   bool
	}{
		{"every item has a keyable: retried", []planhat.Company{{Name: "a", ExternalID: "a"}, {Name: "b", SourceID: "b"}}, 2, false},
		{"an item without a keyable: not retried", []planhat.Company{{Name: "a", ExternalID: "a"}, {Name: "b"}}, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil, nil)
			e.srv.FailNext(1, http.StatusServiceUnavailable)
			_, err := e.c.Companies().BulkUpsert(ctx, tt.items)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if tt.wantErr && !errors.Is(err, planhat.ErrServer) {
				t.Errorf("err = %v, want ErrServer", err)
			}
			if got := e.srv.Stats().ByRoute["PUT /companies"]; got != tt.wantCalls {
				t.Errorf("bulk calls = %d, want %d", got, tt.wantCalls)
			}
		})
	}
}

func TestBulkStopsOnHardError(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, func(o *planhat.Options) { o.BulkChunkSize = 2 })
	items := companiesN(6, "hard")
	items[4].ExternalID = "" // the third chunk cannot be retried
	// Chunks 1 and 2 succeed, chunk 3 hits a 500.
	res, err := e.c.Companies().BulkUpsert(t.Context(), items[:4])
	if err != nil {
		t.Fatal(err)
	}
	e.srv.FailNext(1, http.StatusInternalServerError)
	res, err = e.c.Companies().BulkUpsert(t.Context(), items[4:])
	if !errors.Is(err, planhat.ErrServer) || !strings.Contains(err.Error(), "chunk 1 of 1") {
		t.Fatalf("err = %v, want ErrServer naming the chunk", err)
	}
	if res == nil || res.Created != 0 {
		t.Errorf("result = %+v, want an empty merged result", res)
	}
}

// TestBulkRetrySafetyByModel checks the keyable rule uses each model's own keyables: an end
// user matched only by email is not safe to resend (email is not unique in Planhat, so a
// resent item can create a second contact), nor is an invoice carrying externalId, which
// invoices do not know (they spell it extId).
func TestBulkRetrySafetyByModel(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	co := "61006bc89a3e0b702ed8ea49"
	tests := []struct {
		name      string
		route     string
		call      func(c *planhat.Client) error
		wantCalls int
	}{
		{"end users with email only: not retried", "PUT /endusers", func(c *planhat.Client) error {
			_, err := c.EndUsers().BulkUpsert(ctx, []planhat.EndUser{{Email: "a@acme.test", CompanyID: co}, {Email: "b@acme.test", CompanyID: co}})
			return err
		}, 1},
		{"end users with externalId: retried", "PUT /endusers", func(c *planhat.Client) error {
			_, err := c.EndUsers().BulkUpsert(ctx, []planhat.EndUser{{Email: "a@acme.test", ExternalID: "a", CompanyID: co}})
			return err
		}, 2},
		{"invoices with extId: retried", "PUT /invoices", func(c *planhat.Client) error {
			_, err := c.Objects(planhat.ModelInvoice).BulkUpsert(ctx, []planhat.Object{{"extId": "inv-1", "cId": co, "currency": "EUR"}})
			return err
		}, 2},
		{"invoices with externalId only: not retried", "PUT /invoices", func(c *planhat.Client) error {
			_, err := c.Objects(planhat.ModelInvoice).BulkUpsert(ctx, []planhat.Object{{"externalId": "inv-1", "cId": co, "currency": "EUR"}})
			return err
		}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil, nil)
			e.srv.Insert("companies", map[string]any{"_id": co, "name": "Acme"})
			e.srv.FailNext(1, http.StatusBadGateway)
			err := tt.call(e.c)
			if tt.wantCalls == 1 && !errors.Is(err, planhat.ErrServer) {
				t.Errorf("err = %v, want the unretried ErrServer", err)
			}
			if tt.wantCalls == 2 && err != nil {
				t.Errorf("err = %v, want success after one retry", err)
			}
			if got := e.srv.Stats().ByRoute[tt.route]; got != tt.wantCalls {
				t.Errorf("%s calls = %d, want %d", tt.route, got, tt.wantCalls)
			}
		})
	}
}
