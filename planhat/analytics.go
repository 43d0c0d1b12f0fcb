package planhat

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Activity is one user-engagement event for the analytics host. Either Email or ExternalID
// identifies the contact; CompanyExternalID lets Planhat create unknown contacts under the
// right company.
type Activity struct {
	// Email is the contact's email.
	Email string
	// ExternalID is the contact's id in your system.
	ExternalID string
	// Name is the contact's full name.
	Name string
	// CompanyExternalID is the company's externalId in Planhat.
	CompanyExternalID string
	// Action names the event, e.g. "Logged in"; events without one stay out of the stream.
	Action string
	// Weight is the event's relative importance (Planhat's default is 1).
	Weight float64
	// Count aggregates several identical events in bulk mode (default 1).
	Count int
	// Date is when the event happened; zero means when Planhat receives it.
	Date time.Time
	// Info carries extra flat properties.
	Info map[string]any
}

// validate checks activity number i of a batch, or a single activity when i is negative.
func (a Activity) validate(i int) error {
	bad := func(field, msg string) error {
		if i >= 0 {
			msg = fmt.Sprintf("activity %d: %s", i, msg)
		}
		return &ValidationError{Model: "activity", Field: field, Message: msg}
	}
	if strings.TrimSpace(a.Email) == "" && strings.TrimSpace(a.ExternalID) == "" {
		return bad("email", "an activity needs the contact's Email or ExternalID; Planhat ignores events with neither")
	}
	if a.Weight < 0 || a.Count < 0 {
		return bad("weight", "weight and count must not be negative")
	}
	return nil
}

// single is the long-name shape of POST /analytics/{tenant}.
func (a Activity) single() map[string]any { return a.fields("externalId", "companyExternalId") }

// bulk is the documented short-name shape of POST /analytics/bulk/{tenant}.
func (a Activity) bulk() map[string]any { return a.fields("id", "cId") }

// fields encodes the activity; the two endpoints differ only in the names of the contact's
// and the company's external ids.
func (a Activity) fields(idKey, companyKey string) map[string]any {
	m := map[string]any{}
	put(m, "email", a.Email)
	put(m, idKey, a.ExternalID)
	put(m, "name", a.Name)
	put(m, companyKey, a.CompanyExternalID)
	put(m, "action", a.Action)
	if a.Weight != 0 {
		m["weight"] = a.Weight
	}
	if a.Count > 0 {
		m["count"] = a.Count
	}
	if !a.Date.IsZero() {
		m["date"] = NewTime(a.Date)
	}
	if len(a.Info) > 0 {
		m["info"] = a.Info
	}
	return m
}

func put(m map[string]any, k, v string) {
	if v != "" {
		m[k] = v
	}
}

// tenantPath fills the "{tenant}" in pattern with the escaped tenant token for the request
// path, and keeps pattern itself as the logged path so the token never reaches the logs.
func (c *Client) tenantPath(pattern string) (path, logPath string, err error) {
	if c.tenant == "" {
		return "", "", ErrNoTenantToken
	}
	return strings.Replace(pattern, "{tenant}", url.PathEscape(string(c.tenant)), 1), pattern, nil
}

// Track sends one activity to analytics.planhat.com/analytics/{tenant}. The host always
// answers 200 (it queues the data), and the call is never retried because Planhat does not
// de-duplicate events.
func (c *Client) Track(ctx context.Context, a Activity) error {
	if err := a.validate(-1); err != nil {
		return err
	}
	path, logPath, err := c.tenantPath("/analytics/{tenant}")
	if err != nil {
		return err
	}
	body, err := json.Marshal(a.single())
	if err != nil {
		return fmt.Errorf("planhat: encoding activity: %w", err)
	}
	return c.call(ctx, &request{method: http.MethodPost, host: analyticsHost, path: path, logPath: logPath, body: body, auth: authNone}, nil)
}

// TrackBatch sends activities to /analytics/bulk/{tenant}, split into requests under the
// host's 32 MB cap and sent one after another. It stops at the first failed request and
// reports how many activities had been accepted.
func (c *Client) TrackBatch(ctx context.Context, activities []Activity) error {
	path, logPath, err := c.tenantPath("/analytics/bulk/{tenant}")
	if err != nil {
		return err
	}
	raws := make([]json.RawMessage, len(activities))
	for i, a := range activities {
		if err := a.validate(i); err != nil {
			return err
		}
		if raws[i], err = json.Marshal(a.bulk()); err != nil {
			return fmt.Errorf("planhat: encoding activity %d: %w", i, err)
		}
	}
	_, err = c.postAnalytics(ctx, path, logPath, raws, authNone, nil)
	return err
}

// postAnalytics sends raws in arrays under the analytics byte budget; each answer is passed
// to onAnswer.
func (c *Client) postAnalytics(ctx context.Context, path, logPath string, raws []json.RawMessage, auth authMode, onAnswer func([]byte) error) (int, error) {
	if len(raws) == 0 {
		return 0, nil
	}
	chunks, err := chunkItems(raws, len(raws), c.analyticsMaxBytes)
	if err != nil {
		return 0, &ValidationError{Model: "analytics", Message: err.Error()}
	}
	sent := 0
	for i, ch := range chunks {
		resp, err := c.do(ctx, &request{method: http.MethodPost, host: analyticsHost, path: path, logPath: logPath, body: joinArray(ch), auth: auth, bulk: true, items: len(ch)})
		if err != nil {
			return sent, fmt.Errorf("planhat: request %d of %d failed after %d items were accepted: %w", i+1, len(chunks), sent, err)
		}
		if onAnswer != nil {
			if err := onAnswer(resp.body); err != nil {
				return sent, err
			}
		}
		sent += len(ch)
	}
	return sent, nil
}

// Metric is one time-series data point for /dimensiondata.
type Metric struct {
	// DimensionID names the metric, e.g. "activeusershare" (no spaces or special characters).
	DimensionID string `json:"dimensionId"`
	// Value is the data point.
	Value float64 `json:"value"`
	// ExternalID is the externalId of the record the metric belongs to (a company by default).
	ExternalID string `json:"externalId"`
	// Model is "Company" (default), "EndUser", "Asset" or "Project".
	Model string `json:"model,omitempty"`
	// Date is the data point's time; zero means when Planhat receives it.
	Date FlexTime `json:"date,omitzero"`
}

// MetricModels are the models a metric may belong to.
var MetricModels = []string{"Company", "EndUser", "Asset", "Project"}

func (m Metric) validate(i int) error {
	bad := func(field, msg string) error {
		return &ValidationError{Model: "metric", Field: field, Message: fmt.Sprintf("metric %d: %s", i, msg)}
	}
	switch {
	case strings.TrimSpace(m.DimensionID) == "":
		return bad("dimensionId", "dimensionId is required")
	case strings.ContainsAny(m.DimensionID, " \t\r\n/?#"):
		return bad("dimensionId", fmt.Sprintf("dimensionId %q must not contain spaces or special characters", m.DimensionID))
	case strings.TrimSpace(m.ExternalID) == "":
		return bad("externalId", "externalId (of the company, or of the record named by model) is required")
	case m.Model != "" && !slices.Contains(MetricModels, m.Model):
		return bad("model", fmt.Sprintf("model %q is not one of %s", m.Model, strings.Join(MetricModels, ", ")))
	}
	return nil
}

// MetricsResult is the merged answer of a metrics push: Planhat answers 200 and lists the
// rejected items.
type MetricsResult struct {
	// Processed is the number of data points accepted.
	Processed int `json:"processed"`
	// Errors are the rejected data points with Planhat's reason.
	Errors []BulkItemError `json:"errors"`
}

// Err returns a *MetricsError when some data points were rejected, for callers that want
// "200 with errors" to fail.
func (r *MetricsResult) Err() error {
	if len(r.Errors) == 0 {
		return nil
	}
	return &MetricsError{Result: r}
}

// MetricsError reports data points Planhat rejected.
type MetricsError struct {
	// Result is the merged push result.
	Result *MetricsResult
}

// Error summarises the rejections.
func (e *MetricsError) Error() string {
	return fmt.Sprintf("planhat: %d metric data points rejected (%d processed); first: %s", len(e.Result.Errors), e.Result.Processed, e.Result.Errors[0].Message)
}

// PushMetrics sends data points to analytics.planhat.com/dimensiondata/{tenant}, split under
// the 32 MB cap, and merges the answers. Data points Planhat rejects are listed in the
// result's Errors (call Err to turn them into an error); they do not fail the call.
func (c *Client) PushMetrics(ctx context.Context, metrics []Metric) (*MetricsResult, error) {
	path, logPath, err := c.tenantPath("/dimensiondata/{tenant}")
	if err != nil {
		return nil, err
	}
	raws := make([]json.RawMessage, len(metrics))
	for i, m := range metrics {
		if err := m.validate(i); err != nil {
			return nil, err
		}
		if raws[i], err = json.Marshal(m); err != nil {
			return nil, fmt.Errorf("planhat: encoding metric %d: %w", i, err)
		}
	}
	res := &MetricsResult{}
	_, err = c.postAnalytics(ctx, path, logPath, raws, authIfAvailable, func(body []byte) error {
		var part struct {
			Processed FlexNumber      `json:"processed"`
			Errors    []BulkItemError `json:"errors"`
		}
		if len(body) == 0 {
			return nil
		}
		if err := json.Unmarshal(body, &part); err != nil {
			return fmt.Errorf("planhat: decoding the metrics answer: %w", err)
		}
		res.Processed += part.Processed.Int()
		res.Errors = append(res.Errors, part.Errors...)
		return nil
	})
	return res, err
}

// DimensionDataQuery selects stored metric data points (GET /dimensiondata on the main host).
type DimensionDataQuery struct {
	// CompanyID keeps one company's data points (sent as both cid and cId, since the
	// spelling is unverified).
	CompanyID string
	// DimensionID keeps one metric.
	DimensionID string
	// From and To bound the range in days since 1970 (see DaysOf); zero does not bound.
	From, To EpochDays
	// Limit and Offset page the result.
	Limit, Offset int
}

// ListDimensionData reads stored metric data points.
func (c *Client) ListDimensionData(ctx context.Context, q DimensionDataQuery) ([]DimensionData, error) {
	v := url.Values{}
	if q.CompanyID != "" {
		v.Set("cid", q.CompanyID)
		v.Set("cId", q.CompanyID)
	}
	if q.DimensionID != "" {
		v.Set("dimid", q.DimensionID)
	}
	if q.From != 0 {
		v.Set("from", strconv.Itoa(int(q.From)))
	}
	if q.To != 0 {
		v.Set("to", strconv.Itoa(int(q.To)))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Offset > 0 {
		v.Set("offset", strconv.Itoa(q.Offset))
	}
	var out []DimensionData
	err := c.call(ctx, &request{method: http.MethodGet, path: "/dimensiondata", query: v, retry: true}, &out)
	return out, err
}

// AllDimensionData iterates over stored metric data points, paging at q.Limit (default and
// maximum 10,000) until a short page. An error is yielded once, and ends the iteration.
func (c *Client) AllDimensionData(ctx context.Context, q DimensionDataQuery) iter.Seq2[DimensionData, error] {
	return func(yield func(DimensionData, error) bool) {
		page := q
		if page.Limit <= 0 || page.Limit > maxDimensionPage {
			page.Limit = maxDimensionPage
		}
		pageThrough("dimensiondata", page.Offset, page.Limit, func(offset int) ([]DimensionData, error) {
			page.Offset = offset
			return c.ListDimensionData(ctx, page)
		}, yield)
	}
}

// maxDimensionPage is the largest dimension-data page peers request.
const maxDimensionPage = 10000
