package integrations

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// planhatEventModels are the Planhat models whose automation webhooks become
// typed events (<model>Created/Updated/Deleted). The key is the lower-case
// spelling matched against the webhook; the value is the camelCase stem.
var planhatEventModels = map[string]string{
	"company":      "company",
	"enduser":      "endUser",
	"conversation": "conversation",
	"asset":        "asset",
	"license":      "license",
	"opportunity":  "opportunity",
	"task":         "task",
	"ticket":       "ticket",
}

// planhatEventActions maps the verbs an automation may send to our event
// suffixes; Planhat's UI speaks of "created", "updated" and "deleted"
// triggers, and people write them in many ways.
var planhatEventActions = map[string]string{
	"created": "Created", "create": "Created", "insert": "Created", "inserted": "Created", "new": "Created",
	"updated": "Updated", "update": "Updated", "changed": "Updated", "change": "Updated", "modified": "Updated",
	"deleted": "Deleted", "delete": "Deleted", "removed": "Deleted", "remove": "Deleted",
}

// GenericPlanhatEvent is emitted for webhooks whose model or action is not
// one of the typed events.
const GenericPlanhatEvent = "planhatEvent"

// maxWebhookItems bounds how many records one webhook body may carry.
const maxWebhookItems = 100

// PlanhatWebhookEvent is the payload of every Planhat event: the record as
// the automation sent it, plus what we could tell about it.
type PlanhatWebhookEvent struct {
	// Model is the Planhat model as the automation named it, e.g. "company".
	Model string `json:"model"`
	// Action is "created", "updated", "deleted" or the automation's own verb.
	Action string `json:"action"`
	// ObjectID is the record's Planhat _id when the body carried one.
	ObjectID string `json:"objectId,omitempty"`
	// CompanyID is the company the record belongs to, when known.
	CompanyID string `json:"companyId,omitempty"`
	// ExternalID is the record's externalId, when present.
	ExternalID string `json:"externalId,omitempty"`
	// Object is the record (or whatever the automation sent).
	Object map[string]any `json:"object"`
	// ReceivedAt is when planbridge received the webhook (RFC 3339).
	ReceivedAt string `json:"receivedAt"`
}

// planhatEmit is one event to create in Botpress.
type planhatEmit struct {
	Type    string
	Payload PlanhatWebhookEvent
	// ConversationID, UserID and MessageID are Botpress ids; explicit ones
	// come from the webhook body, inferred ones from a conversation's
	// externalId (planbridge logs bot conversations with externalId = the
	// Botpress conversation id).
	ConversationID, UserID, MessageID string
	inferred                          bool
}

// errWebhookBody is wrapped by every refusal of a webhook body.
var errWebhookBody = errors.New("webhook body not understood")

// parsePlanhatWebhook turns an automation's request into events. path is the
// webhook path after any secret segment: "/company/updated" names model and
// action; otherwise the body's "model"/"type" and "action"/"event" fields
// do. The record is the body's "data" (or "object"/"record") when present,
// else the body itself. A JSON array body yields one event per element.
func parsePlanhatWebhook(path string, body []byte, now time.Time) ([]planhatEmit, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("%w: the body is empty; set the automation's webhook body to the record as JSON", errWebhookBody)
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return nil, fmt.Errorf("%w: the body is not one JSON value; set the automation's webhook body to JSON", errWebhookBody)
	}
	var items []map[string]any
	switch t := v.(type) {
	case map[string]any:
		items = []map[string]any{t}
	case []any:
		if len(t) == 0 {
			return nil, fmt.Errorf("%w: the body is an empty array; send the record (or an array of records)", errWebhookBody)
		}
		if len(t) > maxWebhookItems {
			return nil, fmt.Errorf("%w: the body holds %d records; send at most %d per call", errWebhookBody, len(t), maxWebhookItems)
		}
		for i, e := range t {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%w: element %d of the body is not a JSON object", errWebhookBody, i)
			}
			items = append(items, m)
		}
	default:
		return nil, fmt.Errorf("%w: the body must be a JSON object (or an array of objects)", errWebhookBody)
	}
	pathModel, pathAction := splitWebhookPath(path)
	out := make([]planhatEmit, 0, len(items))
	for _, item := range items {
		out = append(out, planhatEventFrom(item, pathModel, pathAction, now))
	}
	return out, nil
}

// splitWebhookPath reads "/model/action" (extra segments ignored).
func splitWebhookPath(path string) (model, action string) {
	var segs []string
	for s := range strings.SplitSeq(path, "/") {
		if s != "" {
			segs = append(segs, s)
		}
	}
	if len(segs) > 0 {
		model = segs[0]
	}
	if len(segs) > 1 {
		action = segs[1]
	}
	return model, action
}

func planhatEventFrom(item map[string]any, model, action string, now time.Time) planhatEmit {
	if model == "" {
		model = firstString(item, "model", "objectType", "type", "entity")
	}
	if action == "" {
		action = firstString(item, "action", "event", "operation", "trigger", "change")
	}
	obj := item
	for _, k := range []string{"data", "object", "record"} {
		if m, ok := item[k].(map[string]any); ok {
			obj = m
			break
		}
	}
	model, action = boundedLabel(model), boundedLabel(action)
	e := planhatEmit{Payload: PlanhatWebhookEvent{
		Model:      model,
		Action:     strings.ToLower(action),
		ObjectID:   firstString(obj, "_id", "id"),
		ExternalID: firstString(obj, "externalId"),
		CompanyID:  firstString(obj, "companyId"),
		Object:     obj,
		ReceivedAt: now.UTC().Format(time.RFC3339),
	}}
	stem, knownModel := planhatEventModels[normalizeName(model)]
	suffix, knownAction := planhatEventActions[strings.ToLower(action)]
	if knownModel && knownAction {
		e.Type = stem + suffix
	} else {
		e.Type = GenericPlanhatEvent
	}
	if stem == "company" && e.Payload.CompanyID == "" {
		e.Payload.CompanyID = e.Payload.ObjectID
	}
	// Explicit Botpress ids: top-level in the envelope or under "botpress".
	bp, _ := item["botpress"].(map[string]any)
	e.ConversationID = firstString(item, "botpressConversationId")
	e.UserID = firstString(item, "botpressUserId")
	e.MessageID = firstString(item, "botpressMessageId")
	if bp != nil {
		e.ConversationID = cmp.Or(e.ConversationID, firstString(bp, "conversationId"))
		e.UserID = cmp.Or(e.UserID, firstString(bp, "userId"))
		e.MessageID = cmp.Or(e.MessageID, firstString(bp, "messageId"))
	}
	if e.ConversationID == "" && stem == "conversation" && e.Payload.ExternalID != "" {
		e.ConversationID, e.inferred = e.Payload.ExternalID, true
	}
	return e
}

// normalizeName lower-cases and drops separators: "End User", "end_user"
// and "endusers" all become "enduser".
func normalizeName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	n := b.String()
	if _, ok := planhatEventModels[n]; !ok && strings.HasSuffix(n, "s") {
		if _, ok := planhatEventModels[strings.TrimSuffix(n, "s")]; ok {
			return strings.TrimSuffix(n, "s")
		}
		if strings.HasSuffix(n, "ies") {
			if _, ok := planhatEventModels[strings.TrimSuffix(n, "ies")+"y"]; ok {
				return strings.TrimSuffix(n, "ies") + "y"
			}
		}
	}
	return n
}

// boundedLabel keeps model and action names valid UTF-8 and at most 64
// bytes, cut on a rune boundary: they come from whoever calls the webhook,
// and a cut through a rune would turn into more bytes once sanitised.
func boundedLabel(s string) string {
	s = strings.ToValidUTF8(strings.TrimSpace(s), "\uFFFD")
	if len(s) <= 64 {
		return s
	}
	cut := 64
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// firstString returns the first of keys holding a non-empty string (or a
// number, rendered) in m.
func firstString(m map[string]any, keys ...string) string {
	for _, k := range keys {
		switch v := m[k].(type) {
		case string:
			if v = strings.TrimSpace(v); v != "" {
				return v
			}
		case json.Number:
			return v.String()
		}
	}
	return ""
}

// planhatEventNames lists every event type the integration may emit, sorted.
func planhatEventNames() []string {
	names := []string{GenericPlanhatEvent}
	suffixes := []string{"Created", "Updated", "Deleted"}
	for _, stem := range slices.Sorted(maps.Values(planhatEventModels)) {
		for _, s := range suffixes {
			names = append(names, stem+s)
		}
	}
	slices.Sort(names)
	return names
}
