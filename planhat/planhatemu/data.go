package planhatemu

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Insert stores obj in model (a path such as "companies") as is, without
// validation, and returns its _id; a 24-hex _id in obj is kept (replacing
// any record with that id). It panics on an unknown model, which is a bug
// in the calling test.
func (s *Server) Insert(model string, obj map[string]any) string {
	spec, ok := models[model]
	if !ok {
		panic(fmt.Sprintf("planhatemu: Insert: unknown model %q; use a Planhat path such as \"companies\" or \"endusers\"", model))
	}
	rec := clone(obj)
	s.mu.Lock()
	defer s.mu.Unlock()
	id := strings.ToLower(str(rec, "_id"))
	if !isObjectID(id) {
		id = s.newID()
	}
	rec["_id"] = id
	if spec.typeView != "" {
		rec["type"] = spec.typeView
	}
	col := s.cols[spec.collection]
	if old, exists := col.byID[id]; exists {
		col.replace(old, rec)
		return id
	}
	col.insert(rec)
	return id
}

// Objects returns model's records in insertion order (copies).
func (s *Server) Objects(model string) []map[string]any {
	spec, ok := models[model]
	if !ok {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []map[string]any
	s.cols[spec.collection].each(func(rec record) bool {
		if inView(spec, rec) {
			out = append(out, clone(rec))
		}
		return true
	})
	return out
}

// Object returns one record by _id, extid- or srcid- keyable.
func (s *Server) Object(model, id string) (map[string]any, bool) {
	spec, ok := models[model]
	if !ok {
		return nil, false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	rec := s.lookupLocked(spec, id)
	if rec == nil {
		return nil, false
	}
	return clone(rec), true
}

// Count returns how many records model holds.
func (s *Server) Count(model string) int {
	spec, ok := models[model]
	if !ok {
		return 0
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if spec.typeView == "" {
		return len(s.cols[spec.collection].byID)
	}
	n := 0
	for _, rec := range s.cols[spec.collection].byID {
		if inView(spec, rec) {
			n++
		}
	}
	return n
}

// Models lists the model paths the emulator serves.
func Models() []string { return slices.Sorted(maps.Keys(models)) }

var (
	seedAdjectives = []string{"Acme", "Blue", "Nordic", "Bright", "Swift", "Solid", "Green", "Urban", "Prime", "Silver", "Polar", "Lucky"}
	seedNouns      = []string{"Labs", "Logistics", "Foods", "Systems", "Media", "Health", "Energy", "Robotics", "Travel", "Finance", "Studios", "Works"}
	seedFirst      = []string{"Lara", "Max", "Nina", "Omar", "Eva", "Ivan", "Mia", "Noah", "Zoe", "Liam", "Aria", "Leo"}
	seedLast       = []string{"Croft", "Payne", "Berg", "Haddad", "Lind", "Petrov", "Rossi", "Kim", "Novak", "Silva", "Moreau", "Okafor"}
	seedStatuses   = []string{"customer", "customer", "prospect", "coming", "canceled"}
	seedPhases     = []string{"onboarding", "adoption", "renewal", "expansion"}
	seedProducts   = []string{"Router", "Gateway", "Sensor Hub", "Workspace", "Data Pipeline", "Kiosk"}
	seedTiers      = []string{"bronze", "silver", "gold"}
)

// seedTime is the fixed epoch of seeded ids and dates, so a seed is
// byte-for-byte reproducible.
var seedTime = time.Date(2024, 1, 1, 9, 0, 0, 0, time.UTC)

// seedLocked adds n companies with three end users and two conversations
// each, one or two assets each, plus three team users, all derived from n
// alone. Callers hold s.mu.
func (s *Server) seedLocked(n int) {
	rng := rand.New(rand.NewPCG(uint64(n), 0x5eed))
	counter := uint64(1) << 40
	id := func() string {
		counter++
		return s.fixedID(uint32(seedTime.Unix()), counter)
	}
	var team, companies []record
	for i, nick := range []string{"Alex", "Sam", "Robin"} {
		u := record{"_id": id(), "nickName": nick, "firstName": nick, "lastName": "Team",
			"email": strings.ToLower(nick) + "@vendor.example", "externalId": fmt.Sprintf("seed-user-%d", i+1),
			"createDate": isoTime(seedTime), "updatedAt": isoTime(seedTime), "inactive": false}
		s.cols["users"].insert(u)
		team = append(team, u)
	}
	for c := 1; c <= n; c++ {
		name := fmt.Sprintf("%s %s %d", seedAdjectives[rng.IntN(len(seedAdjectives))], seedNouns[rng.IntN(len(seedNouns))], c)
		slug := slugify(name)
		domain := slug + ".example"
		owner := team[rng.IntN(len(team))]
		day := seedTime.AddDate(0, 0, c%365)
		company := record{"_id": id(), "name": name, "slug": slug, "externalId": fmt.Sprintf("seed-company-%d", c),
			"sourceId": fmt.Sprintf("crm-%06d", c), "domains": []any{domain}, "owner": owner["_id"],
			"status": seedStatuses[rng.IntN(len(seedStatuses))], "phase": seedPhases[rng.IntN(len(seedPhases))],
			"mrr": rng.IntN(200) * 50, "tags": []any{}, "custom": map[string]any{"Plan": []string{"Basic", "Pro", "Enterprise"}[rng.IntN(3)]},
			"createDate": isoTime(day), "updatedAt": isoTime(day)}
		s.cols["companies"].insert(company)
		companies = append(companies, company)
		var people []record
		for e := 1; e <= 3; e++ {
			first, last := seedFirst[rng.IntN(len(seedFirst))], seedLast[rng.IntN(len(seedLast))]
			eu := record{"_id": id(), "firstName": first, "lastName": last, "name": first + " " + last,
				"email":      strings.ToLower(first+"."+last) + fmt.Sprintf("%d", e) + "@" + domain,
				"externalId": fmt.Sprintf("seed-enduser-%d-%d", c, e), "companyId": company["_id"], "companyName": name,
				"primary": e == 1, "featured": false, "archived": false, "createDate": isoTime(day), "updatedAt": isoTime(day)}
			s.cols["endusers"].insert(eu)
			people = append(people, eu)
		}
		for k := 1; k <= 2; k++ {
			eu := people[rng.IntN(len(people))]
			typ := []string{"note", "email"}[k%2]
			subject := fmt.Sprintf("%s check-in %d", strings.SplitN(name, " ", 2)[0], k)
			desc := fmt.Sprintf("Talked with %s about %s.", eu["name"], []string{"renewal", "onboarding", "a feature request", "pricing"}[rng.IntN(4)])
			date := day.Add(time.Duration(k) * time.Hour)
			conv := record{"_id": id(), "type": typ, "subject": subject, "description": desc, "snippet": desc,
				"companyId": company["_id"], "companyName": name, "date": isoTime(date), "createDate": isoTime(date),
				"updatedAt": isoTime(date), "externalId": fmt.Sprintf("seed-conversation-%d-%d", c, k),
				"users":    []any{map[string]any{"id": owner["_id"], "name": owner["nickName"], "isOwner": true}},
				"endusers": []any{map[string]any{"id": eu["_id"], "name": eu["name"]}},
				"starred":  false, "pinned": false, "archived": false, "isOpen": false, "tags": []any{}, "activityTags": []any{}}
			s.cols["conversations"].insert(conv)
		}
	}
	s.seedAssetsLocked(n, companies, id)
}

// seedAssetsLocked gives each seeded company one or two assets. It runs after
// every other seeded record and draws from its own random source, so the other
// seeded records keep the ids and data they had before assets were seeded.
func (s *Server) seedAssetsLocked(n int, companies []record, id func() string) {
	rng := rand.New(rand.NewPCG(uint64(n), 0xa55e7))
	seq := 0
	for i, company := range companies {
		c := i + 1 // the company's seed number, as in seed-company-<c>
		name := company["name"].(string)
		day := seedTime.AddDate(0, 0, c%365)
		for range 1 + c%2 {
			seq++
			asset := record{"_id": id(), "name": strings.SplitN(name, " ", 2)[0] + " " + seedProducts[rng.IntN(len(seedProducts))],
				"companyId": company["_id"], "companyName": name, "externalId": fmt.Sprintf("seed-asset-%d", seq),
				"custom":     map[string]any{"Serial": fmt.Sprintf("SN-%06d", seq), "Tier": seedTiers[rng.IntN(len(seedTiers))]},
				"createDate": isoTime(day), "updatedAt": isoTime(day)}
			s.cols["assets"].insert(asset)
		}
	}
}
