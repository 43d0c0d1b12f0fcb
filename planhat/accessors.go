package planhat

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Typed accessors for the built-in models.

// Companies serves /companies.
func (c *Client) Companies() *Resource[Company] { return NewResource[Company](c, ModelCompany) }

// EndUsers serves /endusers (contacts).
func (c *Client) EndUsers() *Resource[EndUser] { return NewResource[EndUser](c, ModelEndUser) }

// Users serves /users (team members; read only).
func (c *Client) Users() *Resource[User] { return NewResource[User](c, ModelUser) }

// Conversations serves /conversations.
func (c *Client) Conversations() *Resource[Conversation] {
	return NewResource[Conversation](c, ModelConversation)
}

// Tickets serves /tickets (list, delete and bulk upsert; see UpsertTickets).
func (c *Client) Tickets() *Resource[Ticket] { return NewResource[Ticket](c, ModelTicket) }

// Calls serves the authenticated /calls log.
func (c *Client) Calls() *Resource[Call] { return NewResource[Call](c, ModelCall) }

// Assets serves /assets.
func (c *Client) Assets() *Resource[Asset] { return NewResource[Asset](c, ModelAsset) }

// Licenses serves /licenses.
func (c *Client) Licenses() *Resource[License] { return NewResource[License](c, ModelLicense) }

// Tasks serves /tasks.
func (c *Client) Tasks() *Resource[Task] { return NewResource[Task](c, ModelTask) }

// Issues serves /issues.
func (c *Client) Issues() *Resource[Issue] { return NewResource[Issue](c, ModelIssue) }

// Opportunities serves /opportunities.
func (c *Client) Opportunities() *Resource[Opportunity] {
	return NewResource[Opportunity](c, ModelOpportunity)
}

// Projects serves /projects.
func (c *Client) Projects() *Resource[Project] { return NewResource[Project](c, ModelProject) }

// Sales serves /sales.
func (c *Client) Sales() *Resource[Sale] { return NewResource[Sale](c, ModelSale) }

// Invoices serves /invoices.
func (c *Client) Invoices() *Resource[Invoice] { return NewResource[Invoice](c, ModelInvoice) }

// NPS serves /nps.
func (c *Client) NPS() *Resource[NPS] { return NewResource[NPS](c, ModelNPS) }

// Churn serves /churn.
func (c *Client) Churn() *Resource[Churn] { return NewResource[Churn](c, ModelChurn) }

// Campaigns serves /campaigns.
func (c *Client) Campaigns() *Resource[Campaign] { return NewResource[Campaign](c, ModelCampaign) }

// Objectives serves /objectives.
func (c *Client) Objectives() *Resource[Objective] {
	return NewResource[Objective](c, ModelObjective)
}

// CustomFields serves /customfields (read only).
func (c *Client) CustomFields() *Resource[CustomField] {
	return NewResource[CustomField](c, ModelCustomField)
}

// Objects serves any model, built-in or custom, with untyped records.
func (c *Client) Objects(m *Model) *Resource[Object] { return NewResource[Object](c, m) }

// LeanCompanyFilter narrows GET /leancompanies; empty fields do not filter.
type LeanCompanyFilter struct {
	// ExternalID keeps the company with this externalId.
	ExternalID string
	// SourceID keeps the company with this sourceId.
	SourceID string
	// Status keeps companies in any of these statuses (prospect, coming, customer, canceled, lost).
	Status []string
}

// LeanCompanies lists every company as {_id, name, externalId, sourceId, slug}, in one call
// that is not capped at 5,000 records; use it to map your ids to Planhat's.
func (c *Client) LeanCompanies(ctx context.Context, f LeanCompanyFilter) ([]LeanCompany, error) {
	q := url.Values{}
	if f.ExternalID != "" {
		q.Set("externalId", f.ExternalID)
	}
	if f.SourceID != "" {
		q.Set("sourceId", f.SourceID)
	}
	if len(f.Status) > 0 {
		q.Set("status", strings.Join(f.Status, ","))
	}
	var out []LeanCompany
	err := c.call(ctx, &request{method: http.MethodGet, path: "/leancompanies", query: q, retry: true, bulk: true}, &out)
	return out, err
}

// FindEndUsersByEmail lists the contacts with this email; Planhat allows several (one
// person at several companies).
func (c *Client) FindEndUsersByEmail(ctx context.Context, email string) ([]EndUser, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return nil, &ValidationError{Model: ModelEndUser.Name, Field: "email", Message: "an email is required to look up an end user"}
	}
	return c.EndUsers().List(ctx, &ListOptions{Filters: url.Values{"email": {email}}})
}

// FindEndUserByEmail returns the contact with this email, preferring the one marked primary
// when several companies share it; it returns an error matching ErrNotFound when none exists.
func (c *Client) FindEndUserByEmail(ctx context.Context, email string) (EndUser, error) {
	users, err := c.FindEndUsersByEmail(ctx, email)
	if err != nil {
		return EndUser{}, err
	}
	var match []EndUser
	for _, u := range users {
		if strings.EqualFold(u.Email, strings.TrimSpace(email)) {
			match = append(match, u)
		}
	}
	if len(match) == 0 {
		return EndUser{}, fmt.Errorf("planhat: no end user with email %q: %w", email, ErrNotFound)
	}
	for _, u := range match {
		if u.Primary {
			return u, nil
		}
	}
	return match[0], nil
}

// EndUsersOfCompany iterates over the contacts of one company (by _id).
func (c *Client) EndUsersOfCompany(ctx context.Context, companyID string) iter.Seq2[EndUser, error] {
	return c.EndUsers().All(ctx, &ListOptions{CompanyIDs: []string{companyID}})
}

// FindUserByEmail returns the team member with this email (to set owners); it returns an
// error matching ErrNotFound when none exists.
func (c *Client) FindUserByEmail(ctx context.Context, email string) (User, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return User{}, &ValidationError{Model: ModelUser.Name, Field: "email", Message: "an email is required to look up a team member"}
	}
	users, err := c.Users().List(ctx, &ListOptions{Filters: url.Values{"email": {email}}})
	if err != nil {
		return User{}, err
	}
	for _, u := range users {
		if strings.EqualFold(u.Email, email) {
			return u, nil
		}
	}
	return User{}, fmt.Errorf("planhat: no team member with email %q: %w", email, ErrNotFound)
}

// Note is a conversation of type "note", logged with LogNote.
type Note struct {
	// CompanyID is the company's _id, or "extid-…"/"srcid-…" (see ExtID, SrcID). Required.
	CompanyID string
	// Subject is the note's title.
	Subject string
	// Description is the body; HTML is allowed.
	Description string
	// Date is when it happened; zero means now (set by Planhat).
	Date time.Time
	// UserIDs are the team members involved; the first becomes the owner.
	UserIDs []string
	// EndUserIDs are the contacts involved.
	EndUserIDs []string
	// ActivityTags tag the note.
	ActivityTags []string
	// ExternalID makes the note addressable (and upsertable) by your own id.
	ExternalID string
	// Custom holds custom fields.
	Custom map[string]any
}

// LogNote records a note on a company timeline (POST /conversations with type "note"; the
// documented /notes endpoint answers 404).
func (c *Client) LogNote(ctx context.Context, n Note) (Conversation, error) {
	if strings.TrimSpace(n.CompanyID) == "" {
		return Conversation{}, &ValidationError{Model: ModelConversation.Name, Field: "companyId", Message: "a note needs the company's _id or keyable (planhat.ExtID(…).String())"}
	}
	return c.Conversations().Create(ctx, n.Conversation())
}

// Conversation returns the conversation LogNote creates for the note.
func (n Note) Conversation() Conversation {
	conv := Conversation{
		Type: "note", CompanyID: n.CompanyID, Subject: n.Subject, Description: n.Description,
		ExternalID: n.ExternalID, ActivityTags: n.ActivityTags, Custom: n.Custom,
	}
	if !n.Date.IsZero() {
		conv.Date = NewTime(n.Date)
	}
	for i, id := range n.UserIDs {
		conv.Users = append(conv.Users, ConversationUser{ID: id})
		if i == 0 {
			conv.OwnerID = id
		}
	}
	for _, id := range n.EndUserIDs {
		conv.EndUsers = append(conv.EndUsers, Ref{ID: id})
	}
	if conv.Subject != "" {
		conv.UseSubject = true
	}
	return conv
}

// UpsertTickets creates or updates tickets with PUT /tickets, matched by sourceId. Every
// ticket must carry sourceId and email, because Planhat silently drops tickets without
// email; this is checked before anything is sent.
func (c *Client) UpsertTickets(ctx context.Context, tickets []Ticket) (*BulkResult, error) {
	return c.Tickets().BulkUpsert(ctx, tickets)
}

// LogCall records a phone call through the authenticated /calls endpoint.
func (c *Client) LogCall(ctx context.Context, call Call) (Call, error) {
	return c.Calls().Create(ctx, call)
}

// LogOpenCall records a phone call through the open /{tenant}/calls endpoint, which needs
// the tenant token but no API token. It is never retried. The call is checked against
// ModelCall's required fields, the same rule LogCall applies, so that both endpoints accept
// the same calls (nr, userId or phUserId, the last through Call.Extra).
func (c *Client) LogOpenCall(ctx context.Context, call Call) error {
	path, logPath, err := c.tenantPath("/{tenant}/calls")
	if err != nil {
		return err
	}
	body, err := call.MarshalJSON()
	if err != nil {
		return fmt.Errorf("planhat: encoding call: %w", err)
	}
	if body, err = prepareCreate(ModelCall, body); err != nil {
		return err
	}
	return c.call(ctx, &request{method: http.MethodPost, path: path, logPath: logPath, body: body, auth: authNone}, nil)
}
