package planhatemu

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

// FuzzBulkBody sends arbitrary bodies to PUT /endusers and checks the
// answer is one of Planhat's bulk statuses with a JSON body, and that the
// counts agree with what was stored.
func FuzzBulkBody(f *testing.F) {
	for _, seed := range []string{
		`[]`, `[{"email":"a@x.example","companyId":"extid-c1"}]`, `{"email":"a"}`, `[1,"x",null,[]]`,
		`[{"email":"a@x.example","companyId":"extid-c1","externalId":"e"},{"email":"b@x.example","companyId":"extid-c1","externalId":"e"}]`,
		`[{"_id":"ffffffffffffffffffffffff"}]`, `[{"email":"a@c1.example"}]`, `[{"companyId":{"$ne":1},"email":"x"}]`, `[`, ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		srv := New(WithToken("t"), WithRateLimit(0, 0), WithRequestLog(0, 0))
		srv.Insert("companies", map[string]any{"name": "C1", "externalId": "c1", "domains": []any{"c1.example"}})
		req := httptest.NewRequest(http.MethodPut, "/endusers", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer t")
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		srv.MainHandler().ServeHTTP(rec, req)
		if !slices.Contains([]int{200, 206, 400, 403}, rec.Code) {
			t.Fatalf("status %d for %q", rec.Code, body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("answer is not JSON: %s", rec.Body.Bytes())
		}
		var res BulkResult
		if json.Unmarshal(rec.Body.Bytes(), &res) == nil && res.CreatedErrors != nil {
			if got := srv.Count("endusers"); got != res.Created {
				t.Fatalf("created %d but stored %d", res.Created, got)
			}
			if len(res.UpsertedIDs) != res.Created+res.Updated {
				t.Fatalf("upsertedIds %d != created+updated %d", len(res.UpsertedIDs), res.Created+res.Updated)
			}
		} else if srv.Count("endusers") != 0 {
			t.Fatalf("refused body stored data")
		}
	})
}

// FuzzListQuery sends arbitrary query strings to GET /conversations and
// checks the answer is a bounded JSON array or a 400.
func FuzzListQuery(f *testing.F) {
	for _, seed := range []string{"", "limit=5", "limit=99999&offset=3", "sort=-date&select=subject,%20date", "sort=custom.x",
		"companyId=extid-seed-company-1,zzz&c=1", "offset=-1", "limit=1e3", "select=,,,", "sort=-", "type=note&type=email"} {
		f.Add(seed)
	}
	srv := New(WithToken("t"), WithRateLimit(0, 0), WithRequestLog(0, 0), WithSeed(20))
	f.Fuzz(func(t *testing.T, query string) {
		req := httptest.NewRequest(http.MethodGet, "/conversations", nil)
		req.URL.RawQuery = query
		req.Header.Set("Authorization", "Bearer t")
		rec := httptest.NewRecorder()
		srv.MainHandler().ServeHTTP(rec, req)
		switch rec.Code {
		case 200:
			var items []map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &items); err != nil {
				t.Fatalf("200 answer is not an array of objects: %v", err)
			}
			if len(items) > 2000 {
				t.Fatalf("%d items over the 2000 maximum", len(items))
			}
			for _, it := range items {
				if _, ok := it["_id"]; !ok {
					t.Fatalf("item without _id: %v", it)
				}
			}
		case 400:
		default:
			t.Fatalf("status %d for %q", rec.Code, query)
		}
	})
}
