package actions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/planbridge/planbridge/planhat"
)

// MaxTrackItems is the most activities or metric data points one call
// accepts; the client splits them under the analytics host's body cap.
const MaxTrackItems = 10000

// maxMatches bounds the alternative matches a find action returns.
const maxMatches = 10

// extraActions returns the task-shaped Planhat helpers.
func extraActions() []*Action {
	return []*Action{
		findCompanyAction(), findEndUserByEmailAction(), findUserByEmailAction(),
		logNoteAction(), createTicketAction(), logCallAction(),
		trackActivityAction(), trackActivitiesAction(), pushMetricsAction(),
		logConversationAction(),
	}
}

// toRecord converts a typed Planhat model into the record shape actions
// return (a JSON object with id instead of _id).
func toRecord(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("actions: encoding record: %w", err)
	}
	var o planhat.Object
	if err := json.Unmarshal(b, &o); err != nil {
		return nil, fmt.Errorf("actions: decoding record: %w", err)
	}
	return recordOut(o), nil
}

// parseTime accepts the date forms bot builders type: RFC 3339, a date-time
// without zone (UTC), or a bare date.
func parseTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fieldError(field, "must be an ISO 8601 date or date-time, e.g. 2026-01-31 or 2026-01-31T14:30:00Z")
}

// CompanyMatch is a company found by findCompany.
type CompanyMatch struct {
	ID         string `json:"id" jsonschema:"The company's Planhat _id."`
	Name       string `json:"name,omitempty" jsonschema:"The company's name."`
	ExternalID string `json:"externalId,omitempty" jsonschema:"The company's externalId (your system's id)."`
	SourceID   string `json:"sourceId,omitempty" jsonschema:"The company's sourceId (the id in an integrated source)."`
	Slug       string `json:"slug,omitempty" jsonschema:"The company's URL slug in Planhat."`
}

// FindCompanyInput is the findCompany input.
type FindCompanyInput struct {
	ExternalID string `json:"externalId,omitempty" jsonschema:"Find the company with this externalId (your system's id)."`
	SourceID   string `json:"sourceId,omitempty" jsonschema:"Find the company with this sourceId (the id in an integrated source such as Salesforce)."`
	Name       string `json:"name,omitempty" jsonschema:"Find the company with this name; exact matches (ignoring case) come first, then names containing it."`
	Status     string `json:"status,omitempty" jsonschema:"Only companies in these statuses, separated by commas: prospect, coming, customer, canceled, lost."`
}

// FindCompanyOutput is the findCompany result.
type FindCompanyOutput struct {
	Found      bool           `json:"found" jsonschema:"Whether a company matched."`
	Company    *CompanyMatch  `json:"company,omitempty" jsonschema:"The best match, when one was found."`
	MatchCount int            `json:"matchCount" jsonschema:"How many companies matched."`
	Others     []CompanyMatch `json:"others,omitempty" jsonschema:"Other matches, at most 10, when the search was ambiguous."`
}

func findCompanyAction() *Action {
	return NewPlanhat("findCompany", "Find Company",
		"Finds a company in Planhat by externalId, sourceId or name, with one lean call that is not capped at 5,000 companies, and returns its id "+
			"(to use as companyId in other actions), name, externalId, sourceId and slug. Returns found=false rather than an error when nothing matches.",
		func(ctx context.Context, c *planhat.Client, in FindCompanyInput) (FindCompanyOutput, error) {
			ext, src, name := strings.TrimSpace(in.ExternalID), strings.TrimSpace(in.SourceID), strings.TrimSpace(in.Name)
			if ext == "" && src == "" && name == "" {
				return FindCompanyOutput{}, fieldError("externalId", "required (or sourceId or name): say what to search by")
			}
			f := planhat.LeanCompanyFilter{ExternalID: ext, SourceID: src, Status: splitList(in.Status)}
			all, err := c.LeanCompanies(ctx, f)
			if err != nil {
				return FindCompanyOutput{}, err
			}
			var exact, partial []CompanyMatch
			for _, co := range all {
				// Filter again: an older tenant that ignores a filter must not
				// make us return the wrong company.
				if (ext != "" && co.ExternalID != ext) || (src != "" && co.SourceID != src) {
					continue
				}
				m := CompanyMatch{ID: co.ID, Name: co.Name, ExternalID: co.ExternalID, SourceID: co.SourceID, Slug: co.Slug}
				switch {
				case name == "" || strings.EqualFold(co.Name, name):
					exact = append(exact, m)
				case strings.Contains(strings.ToLower(co.Name), strings.ToLower(name)):
					partial = append(partial, m)
				}
			}
			matches := append(exact, partial...)
			out := FindCompanyOutput{Found: len(matches) > 0, MatchCount: len(matches)}
			if len(matches) > 0 {
				out.Company = &matches[0]
				if len(matches) > 1 {
					out.Others = matches[1:min(len(matches), maxMatches+1)]
				}
			}
			return out, nil
		}, ReadOnly(), InGroup("Companies"))
}

// FindByEmailInput is the input of the find-by-email actions.
type FindByEmailInput struct {
	Email string `json:"email" jsonschema:"The email address to look up (case-insensitive)."`
}

// FindEndUserInput is the findEndUserByEmail input.
type FindEndUserInput struct {
	Email     string `json:"email" jsonschema:"The contact's email address (case-insensitive)."`
	CompanyID string `json:"companyId,omitempty" jsonschema:"Prefer the contact at this company (its Planhat _id) when the email exists at several companies."`
}

// FindEndUserOutput is the findEndUserByEmail result.
type FindEndUserOutput struct {
	Found      bool           `json:"found" jsonschema:"Whether a contact with this email exists."`
	MatchCount int            `json:"matchCount" jsonschema:"How many contacts share this email (Planhat allows one per company)."`
	EndUser    map[string]any `json:"endUser,omitempty" jsonschema:"The contact: the one at companyId if given, else the primary one, else the first; id is its Planhat _id."`
}

func findEndUserByEmailAction() *Action {
	a := NewPlanhat("findEndUserByEmail", "Find End User by Email",
		"Finds a contact (end user) in Planhat by email address. Planhat allows the same email at several companies: give companyId to pick "+
			"the one at that company; otherwise the primary contact (or the first) is returned and matchCount tells how many exist. "+
			"Returns found=false rather than an error when nobody has this email.",
		func(ctx context.Context, c *planhat.Client, in FindEndUserInput) (FindEndUserOutput, error) {
			email := strings.TrimSpace(in.Email)
			users, err := c.FindEndUsersByEmail(ctx, email)
			if err != nil {
				return FindEndUserOutput{}, err
			}
			var match []planhat.EndUser
			for _, u := range users {
				if strings.EqualFold(u.Email, email) {
					match = append(match, u)
				}
			}
			out := FindEndUserOutput{Found: len(match) > 0, MatchCount: len(match)}
			if len(match) == 0 {
				return out, nil
			}
			best := match[0]
			for _, u := range match {
				if u.Primary {
					best = u
					break
				}
			}
			if in.CompanyID != "" {
				found := false
				for _, u := range match {
					if u.CompanyID == in.CompanyID {
						best, found = u, true
						break
					}
				}
				if !found {
					return FindEndUserOutput{MatchCount: 0}, nil
				}
				out.MatchCount = 1
			}
			rec, err := toRecord(best)
			if err != nil {
				return FindEndUserOutput{}, err
			}
			out.EndUser = rec
			return out, nil
		}, ReadOnly(), InGroup("End Users"))
	a.Input.Properties["email"].MinLength = jsonschema.Ptr(3)
	a.Input.Properties["companyId"].Pattern = objectIDPattern
	return a
}

// FindUserOutput is the findUserByEmail result.
type FindUserOutput struct {
	Found bool           `json:"found" jsonschema:"Whether a team member with this email exists."`
	User  map[string]any `json:"user,omitempty" jsonschema:"The team member; id is their Planhat _id (use it as owner or ownerId)."`
}

func findUserByEmailAction() *Action {
	a := NewPlanhat("findUserByEmail", "Find Team Member by Email",
		"Finds a Planhat user (a team member of your own company, e.g. a CSM) by email address, typically to set the owner of a company or task. "+
			"Returns found=false rather than an error when nobody has this email.",
		func(ctx context.Context, c *planhat.Client, in FindByEmailInput) (FindUserOutput, error) {
			u, err := c.FindUserByEmail(ctx, in.Email)
			if errors.Is(err, planhat.ErrNotFound) {
				return FindUserOutput{}, nil
			}
			if err != nil {
				return FindUserOutput{}, err
			}
			rec, err := toRecord(u)
			if err != nil {
				return FindUserOutput{}, err
			}
			return FindUserOutput{Found: true, User: rec}, nil
		}, ReadOnly(), InGroup("Users"))
	a.Input.Properties["email"].MinLength = jsonschema.Ptr(3)
	return a
}

// LogNoteInput is the logNote input.
type LogNoteInput struct {
	CompanyID    string         `json:"companyId" jsonschema:"The company the note is about: its Planhat _id, extid-<externalId> or srcid-<sourceId>."`
	Description  string         `json:"description" jsonschema:"The note's text; HTML is allowed."`
	Subject      string         `json:"subject,omitempty" jsonschema:"The note's title."`
	Date         string         `json:"date,omitempty" jsonschema:"When it happened, ISO 8601 (e.g. 2026-01-31T14:30:00Z); defaults to now."`
	UserIDs      []string       `json:"userIds,omitempty" jsonschema:"The team members involved (Planhat _ids); the first becomes the owner."`
	EndUserIDs   []string       `json:"endUserIds,omitempty" jsonschema:"The contacts involved (Planhat _ids)."`
	ActivityTags []string       `json:"activityTags,omitempty" jsonschema:"Activity tags to put on the note."`
	ExternalID   string         `json:"externalId,omitempty" jsonschema:"Your own id for the note, to find or update it later."`
	Custom       map[string]any `json:"custom,omitempty" jsonschema:"Custom field values keyed by the custom field's display name."`
}

func logNoteAction() *Action {
	a := NewPlanhat("logNote", "Log Note",
		"Logs a note on a company's timeline in Planhat (a conversation of type note), e.g. a summary of a chat with the customer, and returns it "+
			"with its id. With externalId (e.g. the bot's conversation id) the note is upserted: calling again with the same externalId updates "+
			"that note instead of adding a second one, so retries are safe.",
		func(ctx context.Context, c *planhat.Client, in LogNoteInput) (map[string]any, error) {
			date, err := parseTime("date", in.Date)
			if err != nil {
				return nil, err
			}
			note := planhat.Note{CompanyID: in.CompanyID, Subject: in.Subject, Description: in.Description, Date: date,
				UserIDs: in.UserIDs, EndUserIDs: in.EndUserIDs, ActivityTags: in.ActivityTags, ExternalID: in.ExternalID, Custom: in.Custom}
			if in.ExternalID == "" {
				conv, err := c.LogNote(ctx, note)
				if err != nil {
					return nil, err
				}
				return toRecord(conv)
			}
			return upsertNote(ctx, c, note)
		}, WithOutputSchema(newFamily(planhat.ModelConversation).recordSchema("The note, as a Planhat conversation of type note.")), InGroup("Conversations"))
	requireID(a, "companyId")
	a.Input.Properties["description"].MinLength = jsonschema.Ptr(1)
	return a
}

// upsertNote writes a note through the bulk endpoint, which matches it by
// externalId, then reads it back so the output is the same as a create's.
func upsertNote(ctx context.Context, c *planhat.Client, n planhat.Note) (map[string]any, error) {
	res, err := bulkResult(c.Conversations().BulkUpsert(ctx, []planhat.Conversation{n.Conversation()}))
	if err != nil {
		return nil, err
	}
	id := planhat.ExtID(n.ExternalID)
	switch {
	case len(res.InsertsKeys) > 0 && res.InsertsKeys[0].ID != "":
		id = planhat.ID(res.InsertsKeys[0].ID)
	case len(res.UpdatesKeys) > 0 && res.UpdatesKeys[0].ID != "":
		id = planhat.ID(res.UpdatesKeys[0].ID)
	}
	rec, err := c.Objects(planhat.ModelConversation).Get(ctx, id)
	if err != nil {
		return nil, err
	}
	return recordOut(rec), nil
}

// CreateTicketInput is the createTicket input.
type CreateTicketInput struct {
	SourceID          string         `json:"sourceId" jsonschema:"The ticket's id in your help desk; a ticket with the same sourceId is updated instead of duplicated."`
	Email             string         `json:"email" jsonschema:"The requester's email address; Planhat links the ticket to that contact (creating it if unknown)."`
	Subject           string         `json:"subject,omitempty" jsonschema:"The ticket's subject."`
	Description       string         `json:"description,omitempty" jsonschema:"The ticket's text; HTML is allowed."`
	Status            string         `json:"status,omitempty" jsonschema:"The ticket's status, e.g. open or closed."`
	CompanyID         string         `json:"companyId,omitempty" jsonschema:"The company: its Planhat _id, extid-<externalId> or srcid-<sourceId>; by default Planhat uses the contact's company."`
	CompanyExternalID string         `json:"companyExternalId,omitempty" jsonschema:"The company's externalId, instead of companyId."`
	Date              string         `json:"date,omitempty" jsonschema:"When the ticket was opened, ISO 8601; defaults to now."`
	Custom            map[string]any `json:"custom,omitempty" jsonschema:"Custom field values keyed by the custom field's display name."`
}

// CreateTicketOutput is the createTicket result.
type CreateTicketOutput struct {
	ID      string `json:"id,omitempty" jsonschema:"The ticket's Planhat _id, when Planhat reported it."`
	Created bool   `json:"created" jsonschema:"Whether a new ticket was created."`
	Updated bool   `json:"updated" jsonschema:"Whether an existing ticket (same sourceId) was changed."`
}

func createTicketAction() *Action {
	a := NewPlanhat("createTicket", "Create or Update Ticket",
		"Creates a support ticket in Planhat, or updates the one with the same sourceId, so repeating the call never duplicates it. "+
			"sourceId and email are required: Planhat silently drops tickets without an email.",
		func(ctx context.Context, c *planhat.Client, in CreateTicketInput) (CreateTicketOutput, error) {
			date, err := parseTime("date", in.Date)
			if err != nil {
				return CreateTicketOutput{}, err
			}
			t := planhat.Ticket{SourceID: in.SourceID, Email: in.Email, Subject: in.Subject, Description: in.Description, Status: in.Status,
				CompanyID: in.CompanyID, CompanyExternalID: in.CompanyExternalID, Custom: in.Custom, Date: planhat.NewTime(date)}
			res, err := bulkResult(c.UpsertTickets(ctx, []planhat.Ticket{t}))
			if err != nil {
				return CreateTicketOutput{}, err
			}
			out := CreateTicketOutput{Created: res.Created > 0, Updated: res.Updated > 0}
			switch {
			case len(res.InsertsKeys) > 0:
				out.ID = res.InsertsKeys[0].ID
			case len(res.UpdatesKeys) > 0:
				out.ID = res.UpdatesKeys[0].ID
			case len(res.UpsertedIDs) > 0:
				out.ID = res.UpsertedIDs[0]
			}
			return out, nil
		}, Idempotent(), InGroup("Tickets"))
	a.Input.Properties["sourceId"].MinLength = jsonschema.Ptr(1)
	a.Input.Properties["email"].MinLength = jsonschema.Ptr(3)
	a.Input.Properties["companyId"].Pattern = idPattern
	return a
}

// LogCallInput is the logCall input.
type LogCallInput struct {
	Nr             string  `json:"nr,omitempty" jsonschema:"The contact's phone number; give it or userId."`
	UserID         string  `json:"userId,omitempty" jsonschema:"The contact's Planhat _id, instead of nr."`
	ExternalUserID string  `json:"externalUserId,omitempty" jsonschema:"The contact's externalId."`
	AgentID        string  `json:"agentId,omitempty" jsonschema:"The team member who took the call (their Planhat _id)."`
	Start          string  `json:"start,omitempty" jsonschema:"When the call started, ISO 8601."`
	End            string  `json:"end,omitempty" jsonschema:"When the call ended, ISO 8601."`
	Waiting        float64 `json:"waiting,omitempty" jsonschema:"How long the caller waited, in seconds."`
}

func logCallAction() *Action {
	a := NewPlanhat("logCall", "Log Call",
		"Logs a phone call with a contact in Planhat. Identify the contact by phone number (nr) or userId; add the agent, start and end times. "+
			"Returns the logged call with its id.",
		func(ctx context.Context, c *planhat.Client, in LogCallInput) (map[string]any, error) {
			if in.Nr == "" && in.UserID == "" {
				return nil, fieldError("nr", "required (or userId): say who was called")
			}
			start, err := parseTime("start", in.Start)
			if err != nil {
				return nil, err
			}
			end, err := parseTime("end", in.End)
			if err != nil {
				return nil, err
			}
			if !start.IsZero() && !end.IsZero() && end.Before(start) {
				return nil, fieldError("end", "must not be before start")
			}
			call := planhat.Call{Nr: in.Nr, UserID: in.UserID, ExternalUserID: in.ExternalUserID, AgentID: in.AgentID, Waiting: planhat.FlexNumber(in.Waiting),
				Start: planhat.NewTime(start), End: planhat.NewTime(end)}
			logged, err := c.LogCall(ctx, call)
			if err != nil {
				return nil, err
			}
			return toRecord(logged)
		}, WithOutputSchema(newFamily(planhat.ModelCall).recordSchema("The logged call.")), InGroup("Calls"))
	a.Input.Properties["waiting"].Minimum = jsonschema.Ptr(0.0)
	return a
}

// ActivityInput is one user activity.
type ActivityInput struct {
	Email             string         `json:"email,omitempty" jsonschema:"The contact's email; give it or externalId."`
	ExternalID        string         `json:"externalId,omitempty" jsonschema:"The contact's id in your system, instead of email."`
	Name              string         `json:"name,omitempty" jsonschema:"The contact's full name, used when Planhat creates the contact."`
	CompanyExternalID string         `json:"companyExternalId,omitempty" jsonschema:"The company's externalId, so Planhat can file an unknown contact under the right company."`
	Action            string         `json:"action" jsonschema:"What the contact did, e.g. Asked the bot about billing."`
	Weight            float64        `json:"weight,omitempty" jsonschema:"How much the activity counts (Planhat's default is 1)."`
	Count             int            `json:"count,omitempty" jsonschema:"How many identical activities this entry stands for (default 1)."`
	Date              string         `json:"date,omitempty" jsonschema:"When it happened, ISO 8601; defaults to when Planhat receives it."`
	Info              map[string]any `json:"info,omitempty" jsonschema:"Extra flat properties to store with the activity."`
}

func (in ActivityInput) activity(path string) (planhat.Activity, error) {
	if strings.TrimSpace(in.Email) == "" && strings.TrimSpace(in.ExternalID) == "" {
		return planhat.Activity{}, fieldError(joinPath(path, "email"), "required (or externalId): say whose activity it is")
	}
	date, err := parseTime(joinPath(path, "date"), in.Date)
	if err != nil {
		return planhat.Activity{}, err
	}
	return planhat.Activity{Email: in.Email, ExternalID: in.ExternalID, Name: in.Name, CompanyExternalID: in.CompanyExternalID,
		Action: in.Action, Weight: in.Weight, Count: in.Count, Date: date, Info: in.Info}, nil
}

// TrackOutput is the result of the tracking actions.
type TrackOutput struct {
	Accepted int  `json:"accepted" jsonschema:"How many activities were stored for delivery."`
	Queued   bool `json:"queued" jsonschema:"Always true: the activities are stored durably and the outbox delivers them to Planhat in bulk."`
}

func tuneActivitySchema(props map[string]*jsonschema.Schema) {
	props["action"].MinLength = jsonschema.Ptr(1)
	props["weight"].Minimum = jsonschema.Ptr(0.0)
	props["count"].Minimum = jsonschema.Ptr(0.0)
}

func trackActivityAction() *Action {
	a := NewWith("trackActivity", "Track Activity",
		"Records one user activity (engagement event) in Planhat, e.g. that a customer talked to the bot; it counts towards the contact's and "+
			"company's engagement. Identify the contact by email or externalId. Needs the tenant token in the configuration. "+
			"The activity is stored durably and delivered with others in one bulk call within seconds, so tracking never waits for Planhat's rate limit. "+
			"For many events at once use trackActivities.",
		NeedPlanhat|NeedRelay,
		func(ctx context.Context, d Deps, in ActivityInput) (TrackOutput, error) {
			act, err := in.activity("")
			if err != nil {
				return TrackOutput{}, err
			}
			n, err := d.Relay.TrackActivities(ctx, d.Planhat, []planhat.Activity{act})
			if err != nil {
				return TrackOutput{}, err
			}
			return TrackOutput{Accepted: n, Queued: true}, nil
		}, InGroup("Analytics"))
	tuneActivitySchema(a.Input.Properties)
	return a
}

// TrackActivitiesInput is the trackActivities input.
type TrackActivitiesInput struct {
	Activities []ActivityInput `json:"activities" jsonschema:"The activities to record, 1 to 10000."`
}

func trackActivitiesAction() *Action {
	a := NewWith("trackActivities", "Track Activities",
		fmt.Sprintf("Records up to %d user activities in Planhat (the bulk analytics endpoint). Each needs an action and the contact's "+
			"email or externalId. Needs the tenant token in the configuration. The activities are stored durably and delivered in bulk within seconds.", MaxTrackItems),
		NeedPlanhat|NeedRelay,
		func(ctx context.Context, d Deps, in TrackActivitiesInput) (TrackOutput, error) {
			acts := make([]planhat.Activity, len(in.Activities))
			for i, ai := range in.Activities {
				act, err := ai.activity(fmt.Sprintf("activities[%d]", i))
				if err != nil {
					return TrackOutput{}, err
				}
				acts[i] = act
			}
			n, err := d.Relay.TrackActivities(ctx, d.Planhat, acts)
			if err != nil {
				return TrackOutput{}, err
			}
			return TrackOutput{Accepted: n, Queued: true}, nil
		}, InGroup("Analytics"))
	p := a.Input.Properties["activities"]
	p.MinItems, p.MaxItems = jsonschema.Ptr(1), jsonschema.Ptr(MaxTrackItems)
	tuneActivitySchema(p.Items.Properties)
	return a
}

// MetricInput is one metric data point.
type MetricInput struct {
	DimensionID string  `json:"dimensionId" jsonschema:"The metric's id, e.g. botConversations (no spaces or special characters)."`
	Value       float64 `json:"value" jsonschema:"The data point's value."`
	ExternalID  string  `json:"externalId" jsonschema:"The externalId of the record the metric belongs to (a company, unless model says otherwise)."`
	Model       string  `json:"model,omitempty" jsonschema:"The kind of record: Company (default), EndUser, Asset or Project."`
	Date        string  `json:"date,omitempty" jsonschema:"The data point's time, ISO 8601; defaults to when Planhat receives it."`
}

// PushMetricsInput is the pushMetrics input.
type PushMetricsInput struct {
	Metrics []MetricInput `json:"metrics" jsonschema:"The data points to send, 1 to 10000."`
}

// PushMetricsOutput is the pushMetrics result.
type PushMetricsOutput struct {
	Processed int   `json:"processed" jsonschema:"How many data points Planhat accepted."`
	Errors    []any `json:"errors" jsonschema:"The data points Planhat rejected, with its reason."`
}

func pushMetricsAction() *Action {
	a := NewPlanhat("pushMetrics", "Push Metrics",
		fmt.Sprintf("Sends up to %d time-series data points (custom metrics, e.g. conversations handled by the bot per company) to Planhat. "+
			"Planhat accepts the call and lists rejected data points in errors; processed counts the accepted ones. Needs the tenant token in the configuration.", MaxTrackItems),
		func(ctx context.Context, c *planhat.Client, in PushMetricsInput) (PushMetricsOutput, error) {
			ms := make([]planhat.Metric, len(in.Metrics))
			for i, mi := range in.Metrics {
				date, err := parseTime(fmt.Sprintf("metrics[%d].date", i), mi.Date)
				if err != nil {
					return PushMetricsOutput{}, err
				}
				ms[i] = planhat.Metric{DimensionID: mi.DimensionID, Value: mi.Value, ExternalID: mi.ExternalID, Model: mi.Model, Date: planhat.NewTime(date)}
			}
			res, err := c.PushMetrics(ctx, ms)
			if err != nil {
				return PushMetricsOutput{}, err
			}
			return PushMetricsOutput{Processed: res.Processed, Errors: itemErrors(res.Errors)}, nil
		}, InGroup("Analytics"))
	p := a.Input.Properties["metrics"]
	p.MinItems, p.MaxItems = jsonschema.Ptr(1), jsonschema.Ptr(MaxTrackItems)
	item := p.Items.Properties
	item["dimensionId"].Pattern = dimensionIDPattern
	item["externalId"].MinLength = jsonschema.Ptr(1)
	models := make([]any, len(planhat.MetricModels))
	for i, m := range planhat.MetricModels {
		models[i] = m
	}
	item["model"].Enum = models
	return a
}
