package planhat_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/planbridge/planbridge/planhat"
)

func TestTrack(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	e := newEnv(t, nil, nil)
	at := time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)
	err := e.c.Track(ctx, planhat.Activity{
		Email: "ann@acme.test", ExternalID: "u-1", Name: "Ann", CompanyExternalID: "acme",
		Action: "Logged in", Weight: 2, Date: at, Info: map[string]any{"plan": "pro"},
	})
	if err != nil {
		t.Fatal(err)
	}
	acts := e.srv.Activities()
	if len(acts) != 1 || acts[0].Kind != "single" {
		t.Fatalf("activities = %+v", acts)
	}
	want := map[string]any{"email": "ann@acme.test", "externalId": "u-1", "name": "Ann", "companyExternalId": "acme",
		"action": "Logged in", "weight": 2.0, "date": "2026-11-21T09:30:00.000Z", "info": map[string]any{"plan": "pro"}}
	if diff := cmp.Diff(want, mustJSON(t, acts[0].Event)); diff != "" {
		t.Errorf("event (-want +got):\n%s", diff)
	}
	if got := e.rec.authHeaders()[0]; got != "" {
		t.Errorf("tracking sent Authorization %q; the tenant in the path is the credential", got)
	}
	if st := e.srv.Stats(); st.Total != 1 {
		t.Errorf("stats = %+v", st)
	}
}

func TestTrackBatchSplitsUnderTheCap(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	e := newEnv(t, nil, func(o *planhat.Options) { o.AnalyticsMaxBytes = 50_000 })
	acts := make([]planhat.Activity, 2000) // ~80 bytes each: ~160 KB, so 4 requests
	for i := range acts {
		acts[i] = planhat.Activity{ExternalID: fmt.Sprintf("user-%04d", i), CompanyExternalID: "acme", Action: "Sent invoice", Count: 3}
	}
	if err := e.c.TrackBatch(ctx, acts); err != nil {
		t.Fatal(err)
	}
	reqs := e.rec.requests()
	total := 0
	for _, r := range reqs {
		total += len(r.Body)
	}
	if minReqs := (total + 49_999) / 50_000; len(reqs) < max(minReqs, 2) {
		t.Errorf("%d requests for %d bytes, want at least %d", len(reqs), total, minReqs)
	}
	for _, r := range reqs {
		if len(r.Body) > 50_000 {
			t.Errorf("body of %d bytes over the budget", len(r.Body))
		}
		if r.Path != "/analytics/bulk/"+testTenant {
			t.Errorf("path %s", r.Path)
		}
	}
	got := e.srv.Activities()
	if len(got) != 2000 {
		t.Fatalf("emulator recorded %d activities, want 2000", len(got))
	}
	want := map[string]any{"id": "user-1999", "cId": "acme", "action": "Sent invoice", "count": 3.0}
	if diff := cmp.Diff(want, mustJSON(t, got[1999].Event)); diff != "" {
		t.Errorf("bulk item uses the documented short names (-want +got):\n%s", diff)
	}
	if err := e.c.TrackBatch(ctx, []planhat.Activity{{Email: "a@b.c"}, {Action: "x"}}); !isValidation(err) || !strings.Contains(err.Error(), "activity 1") {
		t.Errorf("invalid batch: err = %v", err)
	}
}

func TestPushMetrics(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	e := newEnv(t, nil, nil)
	coID := e.srv.Insert("companies", map[string]any{"name": "Acme", "externalId": "acme"})
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	res, err := e.c.PushMetrics(ctx, []planhat.Metric{
		{DimensionID: "activeusers", Value: 0, ExternalID: "acme", Date: planhat.NewTime(day)},
		{DimensionID: "logins.daily", Value: 3, ExternalID: "acme"}, // the client lets Planhat judge the name
		{DimensionID: "seats", Value: 12.5, ExternalID: "acme", Model: "Company", Date: planhat.NewTime(day.Add(24 * time.Hour))},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Processed != 2 || len(res.Errors) != 1 {
		t.Fatalf("result = %+v, want 2 processed and 1 error", res)
	}
	if !strings.Contains(res.Errors[0].Message, "dimensionId") || !strings.Contains(string(res.Errors[0].Item), "logins.daily") {
		t.Errorf("per-item error = %+v", res.Errors[0])
	}
	var me *planhat.MetricsError
	if !errors.As(res.Err(), &me) || me.Result != res {
		t.Errorf("Err() = %v, want a *MetricsError", res.Err())
	}
	if got := e.rec.authHeaders()[0]; got != "Bearer "+testToken {
		t.Errorf("metrics Authorization = %q, want the Bearer token", got)
	}

	// Read back on the main host, by company and epoch-day range.
	data, err := e.c.ListDimensionData(ctx, planhat.DimensionDataQuery{CompanyID: coID, From: planhat.DaysOf(day), To: planhat.DaysOf(day)})
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != 1 || data[0].DimensionID != "activeusers" || data[0].Value != 0 || data[0].CompanyID != coID || !data[0].Time.Equal(day) {
		t.Errorf("dimension data = %+v", data)
	}
	all, err := e.c.ListDimensionData(ctx, planhat.DimensionDataQuery{DimensionID: "seats"})
	if err != nil || len(all) != 1 || all[0].Value != 12.5 || all[0].CompanyName != "Acme" {
		t.Errorf("seats = %+v, %v", all, err)
	}

	// Paging through many points: 25 points at pages of 10 take 3 calls.
	many := make([]planhat.Metric, 25)
	for i := range many {
		many[i] = planhat.Metric{DimensionID: "logins", Value: float64(i), ExternalID: "acme"}
	}
	if _, err := e.c.PushMetrics(ctx, many); err != nil {
		t.Fatal(err)
	}
	e.srv.ResetStats()
	var values []float64
	for d, err := range e.c.AllDimensionData(ctx, planhat.DimensionDataQuery{DimensionID: "logins", Limit: 10}) {
		if err != nil {
			t.Fatal(err)
		}
		values = append(values, float64(d.Value))
	}
	if len(values) != 25 || values[24] != 24 {
		t.Errorf("paged values = %v", values)
	}
	if n := e.srv.Stats().ByRoute["GET /dimensiondata"]; n != 3 {
		t.Errorf("dimensiondata calls = %d, want 3", n)
	}
}

// TestPushMetricsMergesRequests checks a push split over several requests reports one
// result: Processed summed and Errors concatenated in order, rejections from every request
// kept. A merge that kept only the last answer would lose both counts and errors.
func TestPushMetricsMergesRequests(t *testing.T) {
	t.Parallel()
	// Every item encodes to the same length (single-digit values, ten-character ids), so a
	// budget of two items and their brackets and comma sends exactly two per request.
	metrics := []planhat.Metric{
		{DimensionID: "logins_day", Value: 1, ExternalID: "acme"},
		{DimensionID: "logins.day", Value: 2, ExternalID: "acme"}, // refused by Planhat: special character
		{DimensionID: "logins_day", Value: 3, ExternalID: "acme"},
		{DimensionID: "logins.day", Value: 4, ExternalID: "acme"},
		{DimensionID: "logins_day", Value: 5, ExternalID: "acme"},
	}
	item, err := json.Marshal(metrics[0])
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, nil, func(o *planhat.Options) { o.AnalyticsMaxBytes = 2*len(item) + 3 })
	res, err := e.c.PushMetrics(t.Context(), metrics)
	if err != nil {
		t.Fatal(err)
	}
	type rejection struct {
		Message string
		Value   float64
	}
	var rejected []rejection
	for _, ie := range res.Errors {
		var m planhat.Metric
		if err := json.Unmarshal(ie.Item, &m); err != nil {
			t.Fatalf("rejected item %s: %v", ie.Item, err)
		}
		rejected = append(rejected, rejection{ie.Message, m.Value})
	}
	const special = "dimensionId must not contain spaces or special characters"
	if diff := cmp.Diff([]rejection{{special, 2}, {special, 4}}, rejected); diff != "" {
		t.Errorf("merged errors (-want +got):\n%s", diff)
	}
	if res.Processed != 3 {
		t.Errorf("Processed = %d, want 3, one from each request", res.Processed)
	}
	var perRequest []int
	for _, r := range e.srv.Requests() {
		var items []json.RawMessage
		if err := json.Unmarshal(r.Body, &items); err != nil {
			t.Fatalf("%s body %s: %v", r.Route, r.Body, err)
		}
		perRequest = append(perRequest, len(items))
	}
	if diff := cmp.Diff([]int{2, 2, 1}, perRequest); diff != "" {
		t.Errorf("items per request (-want +got):\n%s", diff)
	}
	if n := e.srv.Stats().ByRoute["POST /dimensiondata/{tenant}"]; n != 3 {
		t.Errorf("metrics requests = %d, want 3", n)
	}
}
