package planhat

import "encoding/json"

// Typed models. Fields follow Planhat's names; read-only computed fields are decoded but
// omitted from writes when empty. Every model keeps custom fields in Custom and any member
// it does not declare in Extra, which is written back on encode. Empty values (false, 0, "")
// are omitted when encoding, so a write that must set one uses a map or Object instead.

// Company is a customer, prospect or former customer (/companies).
type Company struct {
	// ID is the Planhat id (24 hex digits), set by Planhat.
	ID string `json:"_id,omitempty"`
	// Name is the display name.
	Name string `json:"name,omitempty"`
	// Slug is a unique short name (Planhat derives one from the name).
	Slug string `json:"slug,omitempty"`
	// ExternalID is the record's id in your own system.
	ExternalID string `json:"externalId,omitempty"`
	// SourceID is the record's id in an integration source (Salesforce, HubSpot…); unique per model.
	SourceID string `json:"sourceId,omitempty"`
	// Owner is the owning team member (an id on reads by id, {_id, nickName} in lists).
	Owner UserRef `json:"owner,omitzero"`
	// CoOwner is the co-owning team member.
	CoOwner UserRef `json:"coOwner,omitzero"`
	// Phase is the lifecycle phase name.
	Phase string `json:"phase,omitempty"`
	// Status is the record's status as Planhat names it.
	Status string `json:"status,omitempty"`
	// Domains are the company's web domains (Planhat may send ",a,b,").
	Domains FlexStrings `json:"domains,omitempty"`
	// Tags are free-form tags.
	Tags FlexStrings `json:"tags,omitempty"`
	// OrgRootID is the _id of the top company of the hierarchy.
	OrgRootID string `json:"orgRootId,omitempty"`
	// OrgPath lists the ancestor company ids (Planhat may send ",a,b,").
	OrgPath FlexStrings `json:"orgPath,omitempty"`
	// MRR is the monthly recurring revenue.
	MRR FlexNumber `json:"mrr,omitempty"`
	// ARR is the annual recurring revenue.
	ARR FlexNumber `json:"arr,omitempty"`
	// Health is the health score (computed).
	Health FlexNumber `json:"h,omitempty"`
	// RenewalDate is the next renewal date (computed).
	RenewalDate FlexTime `json:"renewalDate,omitzero"`
	// CreateDate is when Planhat created the record.
	CreateDate FlexTime `json:"createDate,omitzero"`
	// UpdatedAt is when the record last changed (it can move without a change).
	UpdatedAt FlexTime `json:"updatedAt,omitzero"`
	// Custom holds custom fields keyed by their display name.
	Custom map[string]any `json:"custom,omitempty"`
	// Extra keeps members this struct does not declare, so they survive a read-modify-write.
	Extra map[string]json.RawMessage `json:"-"`
}

// LeanCompany is the lightweight company returned by /leancompanies.
type LeanCompany struct {
	// ID is the Planhat id (24 hex digits), set by Planhat.
	ID string `json:"_id,omitempty"`
	// Name is the display name.
	Name string `json:"name,omitempty"`
	// ExternalID is the record's id in your own system.
	ExternalID string `json:"externalId,omitempty"`
	// SourceID is the record's id in an integration source (Salesforce, HubSpot…); unique per model.
	SourceID string `json:"sourceId,omitempty"`
	// Slug is a unique short name (Planhat derives one from the name).
	Slug string `json:"slug,omitempty"`
	// Extra keeps members this struct does not declare, so they survive a read-modify-write.
	Extra map[string]json.RawMessage `json:"-"`
}

// EndUser is a contact at a customer (/endusers).
type EndUser struct {
	// ID is the Planhat id (24 hex digits), set by Planhat.
	ID string `json:"_id,omitempty"`
	// CompanyID is the company's _id, or an "extid-…"/"srcid-…" keyable on writes.
	CompanyID string `json:"companyId,omitempty"`
	// CompanyName is the company's name (set by Planhat).
	CompanyName string `json:"companyName,omitempty"`
	// Email is the email address.
	Email string `json:"email,omitempty"`
	// ExternalID is the record's id in your own system.
	ExternalID string `json:"externalId,omitempty"`
	// SourceID is the record's id in an integration source (Salesforce, HubSpot…); unique per model.
	SourceID string `json:"sourceId,omitempty"`
	// FirstName is the given name.
	FirstName string `json:"firstName,omitempty"`
	// LastName is the family name.
	LastName string `json:"lastName,omitempty"`
	// Name is the display name.
	Name string `json:"name,omitempty"`
	// Position is the contact's role, e.g. "CFO".
	Position string `json:"position,omitempty"`
	// Phone is a phone number in any format.
	Phone string `json:"phone,omitempty"`
	// Featured marks a contact of special importance.
	Featured FlexBool `json:"featured,omitempty"`
	// Primary marks the contact Planhat routes activities to when several share an email.
	Primary FlexBool `json:"primary,omitempty"`
	// Archived marks an archived record (hidden from lists).
	Archived FlexBool `json:"archived,omitempty"`
	// Tags are free-form tags.
	Tags FlexStrings `json:"tags,omitempty"`
	// BeatTrend is Planhat's activity trend (may arrive as a string).
	BeatTrend FlexNumber `json:"beatTrend,omitempty"`
	// Experience is Planhat's experience score (may arrive as a number).
	Experience FlexString `json:"experience,omitempty"`
	// LastActive is the contact's last tracked activity.
	LastActive FlexTime `json:"lastActive,omitzero"`
	// CreateDate is when Planhat created the record.
	CreateDate FlexTime `json:"createDate,omitzero"`
	// UpdatedAt is when the record last changed (it can move without a change).
	UpdatedAt FlexTime `json:"updatedAt,omitzero"`
	// Custom holds custom fields keyed by their display name.
	Custom map[string]any `json:"custom,omitempty"`
	// Extra keeps members this struct does not declare, so they survive a read-modify-write.
	Extra map[string]json.RawMessage `json:"-"`
}

// User is a team member of the Planhat tenant (/users).
type User struct {
	// ID is the Planhat id (24 hex digits), set by Planhat.
	ID string `json:"_id,omitempty"`
	// Email is the email address.
	Email string `json:"email,omitempty"`
	// NickName is the name shown in Planhat.
	NickName string `json:"nickName,omitempty"`
	// FirstName is the given name.
	FirstName string `json:"firstName,omitempty"`
	// LastName is the family name.
	LastName string `json:"lastName,omitempty"`
	// ExternalID is the record's id in your own system.
	ExternalID string `json:"externalId,omitempty"`
	// Inactive blocks the team member's login.
	Inactive FlexBool `json:"inactive,omitempty"`
	// IsHidden hides the record in Planhat's interface.
	IsHidden FlexBool `json:"isHidden,omitempty"`
	// Roles are the team member's role ids.
	Roles FlexStrings `json:"roles,omitempty"`
	// Custom holds custom fields keyed by their display name.
	Custom map[string]any `json:"custom,omitempty"`
	// Extra keeps members this struct does not declare, so they survive a read-modify-write.
	Extra map[string]json.RawMessage `json:"-"`
}

// Conversation is a logged interaction (/conversations): a note, a custom type, or one of
// the reserved types Planhat creates itself.
type Conversation struct {
	// ID is the Planhat id (24 hex digits), set by Planhat.
	ID string `json:"_id,omitempty"`
	// Type is the kind of record.
	Type string `json:"type,omitempty"`
	// CompanyID is the company's _id, or an "extid-…"/"srcid-…" keyable on writes.
	CompanyID string `json:"companyId,omitempty"`
	// CompanyName is the company's name (set by Planhat).
	CompanyName string `json:"companyName,omitempty"`
	// Subject is the title.
	Subject string `json:"subject,omitempty"`
	// Description is the body text; HTML is allowed.
	Description string `json:"description,omitempty"`
	// Snippet is the plain-text excerpt of the description (set by Planhat).
	Snippet string `json:"snippet,omitempty"`
	// Date is when it happened.
	Date FlexTime `json:"date,omitzero"`
	// OutDate is when the conversation was sent.
	OutDate FlexTime `json:"outDate,omitzero"`
	// CreateDate is when Planhat created the record.
	CreateDate FlexTime `json:"createDate,omitzero"`
	// ExternalID is the record's id in your own system.
	ExternalID string `json:"externalId,omitempty"`
	// SourceID is the record's id in an integration source (Salesforce, HubSpot…); unique per model.
	SourceID string `json:"sourceId,omitempty"`
	// Users are the team members involved.
	Users []ConversationUser `json:"users,omitempty"`
	// EndUsers are the contacts involved, as ids or {id, name} objects.
	EndUsers []Ref `json:"endusers,omitempty"`
	// UserIDs are the _ids of the team members involved (set by Planhat).
	UserIDs FlexStrings `json:"userIds,omitempty"`
	// OwnerID is the owning team member's _id.
	OwnerID string `json:"ownerId,omitempty"`
	// Owner is the owning team member (an id on reads by id, {_id, nickName} in lists).
	Owner UserRef `json:"owner,omitzero"`
	// ActivityTags tag the conversation.
	ActivityTags FlexStrings `json:"activityTags,omitempty"`
	// Tags are free-form tags.
	Tags FlexStrings `json:"tags,omitempty"`
	// UseSubject shows the subject instead of the body in timelines.
	UseSubject FlexBool `json:"useSubject,omitempty"`
	// Starred flags an important record.
	Starred FlexBool `json:"starred,omitempty"`
	// Pinned pins the record at the top of timelines.
	Pinned FlexBool `json:"pinned,omitempty"`
	// Archived marks an archived record (hidden from lists).
	Archived FlexBool `json:"archived,omitempty"`
	// IsOpen marks an open conversation or ticket.
	IsOpen FlexBool `json:"isOpen,omitempty"`
	// IsSeen marks the conversation as seen.
	IsSeen FlexBool `json:"isSeen,omitempty"`
	// IsCustomType marks a conversation of a custom type (set by Planhat).
	IsCustomType FlexBool `json:"isCustomType,omitempty"`
	// HasMore is an internal Planhat flag (may arrive as "").
	HasMore FlexBool `json:"hasMore,omitempty"`
	// HasAttachments reports attachments.
	HasAttachments FlexBool `json:"hasAttachments,omitempty"`
	// AssigneeName is the assignee's name (set by Planhat).
	AssigneeName string `json:"assigneeName,omitempty"`
	// Custom holds custom fields keyed by their display name.
	Custom map[string]any `json:"custom,omitempty"`
	// Extra keeps members this struct does not declare, so they survive a read-modify-write.
	Extra map[string]json.RawMessage `json:"-"`
}

// Ticket is a support ticket, upserted with PUT /tickets; Planhat drops tickets without email.
type Ticket struct {
	// ID is the Planhat id (24 hex digits), set by Planhat.
	ID string `json:"_id,omitempty"`
	// SourceID is the record's id in an integration source (Salesforce, HubSpot…); unique per model.
	SourceID string `json:"sourceId,omitempty"`
	// Email is the email address.
	Email string `json:"email,omitempty"`
	// CompanyID is the company's _id, or an "extid-…"/"srcid-…" keyable on writes.
	CompanyID string `json:"companyId,omitempty"`
	// CompanyExternalID is the company's externalId, an alternative to companyId.
	CompanyExternalID string `json:"companyExternalId,omitempty"`
	// Domains are the company's web domains (Planhat may send ",a,b,").
	Domains FlexStrings `json:"domains,omitempty"`
	// Name is the display name.
	Name string `json:"name,omitempty"`
	// Subject is the title.
	Subject string `json:"subject,omitempty"`
	// Description is the body text; HTML is allowed.
	Description string `json:"description,omitempty"`
	// Snippet is the plain-text excerpt of the description (set by Planhat).
	Snippet string `json:"snippet,omitempty"`
	// Status is the record's status as Planhat names it.
	Status string `json:"status,omitempty"`
	// Date is when it happened.
	Date FlexTime `json:"date,omitzero"`
	// Tags are free-form tags.
	Tags FlexStrings `json:"tags,omitempty"`
	// Custom holds custom fields keyed by their display name.
	Custom map[string]any `json:"custom,omitempty"`
	// Extra keeps members this struct does not declare, so they survive a read-modify-write.
	Extra map[string]json.RawMessage `json:"-"`
}

// Call is a phone call log (/calls, or the open /{tenant}/calls endpoint).
type Call struct {
	// ID is the Planhat id (24 hex digits), set by Planhat.
	ID string `json:"_id,omitempty"`
	// Nr is the contact's phone number, used to match contact and company.
	Nr string `json:"nr,omitempty"`
	// ExternalUserID is the agent's user id in your phone system.
	ExternalUserID string `json:"externalUserId,omitempty"`
	// UserID is the contact's (end user's) Planhat _id, instead of Nr.
	UserID string `json:"userId,omitempty"`
	// AgentID is the team member's _id who took the call.
	AgentID string `json:"agentId,omitempty"`
	// Start is when the call started.
	Start FlexTime `json:"start,omitzero"`
	// End is when the call ended.
	End FlexTime `json:"end,omitzero"`
	// Waiting is the waiting time in seconds before the talk started.
	Waiting FlexNumber `json:"waiting,omitempty"`
	// Extra keeps members this struct does not declare, so they survive a read-modify-write.
	Extra map[string]json.RawMessage `json:"-"`
}

// Asset is a product instance, site or sub-account of a company (/assets).
type Asset struct {
	// ID is the Planhat id (24 hex digits), set by Planhat.
	ID string `json:"_id,omitempty"`
	// Name is the display name.
	Name string `json:"name,omitempty"`
	// CompanyID is the company's _id, or an "extid-…"/"srcid-…" keyable on writes.
	CompanyID string `json:"companyId,omitempty"`
	// CompanyName is the company's name (set by Planhat).
	CompanyName string `json:"companyName,omitempty"`
	// ExternalID is the record's id in your own system.
	ExternalID string `json:"externalId,omitempty"`
	// SourceID is the record's id in an integration source (Salesforce, HubSpot…); unique per model.
	SourceID string `json:"sourceId,omitempty"`
	// SerialNumber is the asset's serial number.
	SerialNumber string `json:"serialNumber,omitempty"`
	// Value is the monetary value.
	Value FlexNumber `json:"value,omitempty"`
	// Currency is the ISO currency code.
	Currency string `json:"_currency,omitempty"`
	// InstallDate is when the asset was installed.
	InstallDate FlexTime `json:"installDate,omitzero"`
	// Status is the record's status as Planhat names it.
	Status string `json:"status,omitempty"`
	// OwnerID is the owning team member's _id.
	OwnerID string `json:"ownerId,omitempty"`
	// Custom holds custom fields keyed by their display name.
	Custom map[string]any `json:"custom,omitempty"`
	// Extra keeps members this struct does not declare, so they survive a read-modify-write.
	Extra map[string]json.RawMessage `json:"-"`
}

// License is recurring revenue (/licenses): mrr when fixedPeriod is false, value when true.
type License struct {
	// ID is the Planhat id (24 hex digits), set by Planhat.
	ID string `json:"_id,omitempty"`
	// CompanyID is the company's _id, or an "extid-…"/"srcid-…" keyable on writes.
	CompanyID string `json:"companyId,omitempty"`
	// CompanyName is the company's name (set by Planhat).
	CompanyName string `json:"companyName,omitempty"`
	// ExternalID is the record's id in your own system.
	ExternalID string `json:"externalId,omitempty"`
	// SourceID is the record's id in an integration source (Salesforce, HubSpot…); unique per model.
	SourceID string `json:"sourceId,omitempty"`
	// Product is the product sold.
	Product string `json:"product,omitempty"`
	// Currency is the ISO currency code.
	Currency string `json:"_currency,omitempty"`
	// FromDate is when the license starts.
	FromDate FlexTime `json:"fromDate,omitzero"`
	// ToDate is when the period ends.
	ToDate FlexTime `json:"toDate,omitzero"`
	// FixedPeriod selects value (true) or mrr (false) as the revenue field.
	FixedPeriod FlexBool `json:"fixedPeriod,omitempty"`
	// MRR is the monthly recurring revenue.
	MRR FlexNumber `json:"mrr,omitempty"`
	// Value is the monetary value.
	Value FlexNumber `json:"value,omitempty"`
	// RenewalStatus is ongoing, renewed or lost.
	RenewalStatus string `json:"renewalStatus,omitempty"`
	// AutoRenews marks a license that renews automatically.
	AutoRenews FlexBool `json:"autoRenews,omitempty"`
	// RenewalPeriod is the renewal period in months.
	RenewalPeriod FlexNumber `json:"renewalPeriod,omitempty"`
	// NoticePeriod is the notice period in months.
	NoticePeriod FlexNumber `json:"noticePeriod,omitempty"`
	// Custom holds custom fields keyed by their display name.
	Custom map[string]any `json:"custom,omitempty"`
	// Extra keeps members this struct does not declare, so they survive a read-modify-write.
	Extra map[string]json.RawMessage `json:"-"`
}

// Task is a to-do or calendar event (/tasks); Action is its title.
type Task struct {
	// ID is the Planhat id (24 hex digits), set by Planhat.
	ID string `json:"_id,omitempty"`
	// MainType is "task" (the default on create) or "event".
	MainType string `json:"mainType,omitempty"`
	// Action is the task's title.
	Action string `json:"action,omitempty"`
	// CompanyID is the company's _id, or an "extid-…"/"srcid-…" keyable on writes.
	CompanyID string `json:"companyId,omitempty"`
	// ExternalID is the record's id in your own system.
	ExternalID string `json:"externalId,omitempty"`
	// SourceID is the record's id in an integration source (Salesforce, HubSpot…); unique per model.
	SourceID string `json:"sourceId,omitempty"`
	// OwnerID is the owning team member's _id.
	OwnerID string `json:"ownerId,omitempty"`
	// Status is the record's status as Planhat names it.
	Status string `json:"status,omitempty"`
	// StartTime is when it starts.
	StartTime FlexTime `json:"startTime,omitzero"`
	// EndTime is when it ends.
	EndTime FlexTime `json:"endTime,omitzero"`
	// DateDone is when the task was completed.
	DateDone FlexTime `json:"dateDone,omitzero"`
	// Repeat is the recurrence: daily, weekly, monthly, quarterly, yearly or custom.
	Repeat string `json:"repeat,omitempty"`
	// Custom holds custom fields keyed by their display name.
	Custom map[string]any `json:"custom,omitempty"`
	// Extra keeps members this struct does not declare, so they survive a read-modify-write.
	Extra map[string]json.RawMessage `json:"-"`
}

// Issue is a bug or feature request linked to companies (/issues).
type Issue struct {
	// ID is the Planhat id (24 hex digits), set by Planhat.
	ID string `json:"_id,omitempty"`
	// Title is the title.
	Title string `json:"title,omitempty"`
	// Description is the body text; HTML is allowed.
	Description string `json:"description,omitempty"`
	// SourceID is the record's id in an integration source (Salesforce, HubSpot…); unique per model.
	SourceID string `json:"sourceId,omitempty"`
	// CompanyIDs are the _ids of the companies affected.
	CompanyIDs FlexStrings `json:"companyIds,omitempty"`
	// EndUserIDs are the _ids of the contacts involved.
	EndUserIDs FlexStrings `json:"enduserIds,omitempty"`
	// ConversationIDs are the _ids of the conversations involved.
	ConversationIDs FlexStrings `json:"conversationIds,omitempty"`
	// Priority is the priority.
	Priority string `json:"priority,omitempty"`
	// Status is the record's status as Planhat names it.
	Status string `json:"status,omitempty"`
	// Source names where the record came from.
	Source string `json:"source,omitempty"`
	// SourceURL links to the record in its source system.
	SourceURL string `json:"sourceUrl,omitempty"`
	// Custom holds custom fields keyed by their display name.
	Custom map[string]any `json:"custom,omitempty"`
	// Extra keeps members this struct does not declare, so they survive a read-modify-write.
	Extra map[string]json.RawMessage `json:"-"`
}

// Opportunity is a sales opportunity (/opportunities).
type Opportunity struct {
	// ID is the Planhat id (24 hex digits), set by Planhat.
	ID string `json:"_id,omitempty"`
	// CompanyID is the company's _id, or an "extid-…"/"srcid-…" keyable on writes.
	CompanyID string `json:"companyId,omitempty"`
	// ExternalID is the record's id in your own system.
	ExternalID string `json:"externalId,omitempty"`
	// SourceID is the record's id in an integration source (Salesforce, HubSpot…); unique per model.
	SourceID string `json:"sourceId,omitempty"`
	// Title is the title.
	Title string `json:"title,omitempty"`
	// SalesStage is the pipeline stage.
	SalesStage string `json:"salesStage,omitempty"`
	// Status is the record's status as Planhat names it.
	Status string `json:"status,omitempty"`
	// MRR is the monthly recurring revenue.
	MRR FlexNumber `json:"mrr,omitempty"`
	// ARR is the annual recurring revenue.
	ARR FlexNumber `json:"arr,omitempty"`
	// NRR is the non-recurring revenue.
	NRR FlexNumber `json:"nrr,omitempty"`
	// ContractLength is the contract length in months (default 12).
	ContractLength FlexNumber `json:"contractLength,omitempty"`
	// CloseDate is the expected or actual close date.
	CloseDate FlexTime `json:"closeDate,omitzero"`
	// Currency is the ISO currency code.
	Currency string `json:"_currency,omitempty"`
	// Custom holds custom fields keyed by their display name.
	Custom map[string]any `json:"custom,omitempty"`
	// Extra keeps members this struct does not declare, so they survive a read-modify-write.
	Extra map[string]json.RawMessage `json:"-"`
}

// Project is a time-bound engagement with a company (/projects).
type Project struct {
	// ID is the Planhat id (24 hex digits), set by Planhat.
	ID string `json:"_id,omitempty"`
	// Name is the display name.
	Name string `json:"name,omitempty"`
	// CompanyID is the company's _id, or an "extid-…"/"srcid-…" keyable on writes.
	CompanyID string `json:"companyId,omitempty"`
	// ExternalID is the record's id in your own system.
	ExternalID string `json:"externalId,omitempty"`
	// SourceID is the record's id in an integration source (Salesforce, HubSpot…); unique per model.
	SourceID string `json:"sourceId,omitempty"`
	// StartDate is when it starts.
	StartDate FlexTime `json:"startDate,omitzero"`
	// EndDate is when it ends.
	EndDate FlexTime `json:"endDate,omitzero"`
	// MRR is the monthly recurring revenue.
	MRR FlexNumber `json:"mrr,omitempty"`
	// ARR is the annual recurring revenue.
	ARR FlexNumber `json:"arr,omitempty"`
	// NRR is the non-recurring revenue.
	NRR FlexNumber `json:"nrr,omitempty"`
	// Currency is the ISO currency code.
	Currency string `json:"currency,omitempty"`
	// Custom holds custom fields keyed by their display name.
	Custom map[string]any `json:"custom,omitempty"`
	// Extra keeps members this struct does not declare, so they survive a read-modify-write.
	Extra map[string]json.RawMessage `json:"-"`
}

// Sale is one-off (non-recurring) revenue (/sales).
type Sale struct {
	// ID is the Planhat id (24 hex digits), set by Planhat.
	ID string `json:"_id,omitempty"`
	// CompanyID is the company's _id, or an "extid-…"/"srcid-…" keyable on writes.
	CompanyID string `json:"companyId,omitempty"`
	// ExternalID is the record's id in your own system.
	ExternalID string `json:"externalId,omitempty"`
	// SourceID is the record's id in an integration source (Salesforce, HubSpot…); unique per model.
	SourceID string `json:"sourceId,omitempty"`
	// Currency is the ISO currency code.
	Currency string `json:"_currency,omitempty"`
	// SalesDate is the date of the sale.
	SalesDate FlexTime `json:"salesDate,omitzero"`
	// Value is the monetary value.
	Value FlexNumber `json:"value,omitempty"`
	// Product is the product sold.
	Product string `json:"product,omitempty"`
	// Custom holds custom fields keyed by their display name.
	Custom map[string]any `json:"custom,omitempty"`
	// Extra keeps members this struct does not declare, so they survive a read-modify-write.
	Extra map[string]json.RawMessage `json:"-"`
}

// Invoice is a billing document (/invoices); its company is cId and its dates are days
// since 1970-01-01.
type Invoice struct {
	// ID is the Planhat id (24 hex digits), set by Planhat.
	ID string `json:"_id,omitempty"`
	// CompanyID is the company's _id (this model spells it cId).
	CompanyID string `json:"cId,omitempty"`
	// CompanyName is the company's name (set by Planhat).
	CompanyName string `json:"cName,omitempty"`
	// ExtID is the invoice's id in your system (this model spells it extId).
	ExtID string `json:"extId,omitempty"`
	// SourceID is the record's id in an integration source (Salesforce, HubSpot…); unique per model.
	SourceID string `json:"sourceId,omitempty"`
	// Currency is the ISO currency code.
	Currency string `json:"currency,omitempty"`
	// InvoiceDate is the invoice day (days since 1970).
	InvoiceDate EpochDays `json:"invoiceDate,omitempty"`
	// DueDate is the due day (days since 1970).
	DueDate EpochDays `json:"dueDate,omitempty"`
	// PaidDate is the payment day (days since 1970).
	PaidDate EpochDays `json:"paidDate,omitempty"`
	// Status is the record's status as Planhat names it.
	Status string `json:"status,omitempty"`
	// AmountDue is the amount due.
	AmountDue FlexNumber `json:"amountDue,omitempty"`
	// AmountPaid is the amount paid.
	AmountPaid FlexNumber `json:"amountPaid,omitempty"`
	// Custom holds custom fields keyed by their display name.
	Custom map[string]any `json:"custom,omitempty"`
	// Extra keeps members this struct does not declare, so they survive a read-modify-write.
	Extra map[string]json.RawMessage `json:"-"`
}

// NPS is a Net Promoter Score response (/nps); Score is a pointer because 0 is a valid answer.
type NPS struct {
	// ID is the Planhat id (24 hex digits), set by Planhat.
	ID string `json:"_id,omitempty"`
	// Email is the email address.
	Email string `json:"email,omitempty"`
	// Score is the 0-10 answer; a pointer because 0 is a valid score.
	Score *FlexNumber `json:"score,omitempty"`
	// CompanyID is the company's _id (this model spells it cId).
	CompanyID string `json:"cId,omitempty"`
	// EndUserID is the contact's _id.
	EndUserID string `json:"euId,omitempty"`
	// CampaignID is the survey campaign's _id.
	CampaignID string `json:"campaignId,omitempty"`
	// Comment is a free-text comment.
	Comment string `json:"comment,omitempty"`
	// DateSent is when the survey was sent.
	DateSent FlexTime `json:"dateSent,omitzero"`
	// DateAnswered is when the survey was answered.
	DateAnswered FlexTime `json:"dateAnswered,omitzero"`
	// Source names where the record came from.
	Source string `json:"source,omitempty"`
	// SourceID is the record's id in an integration source (Salesforce, HubSpot…); unique per model.
	SourceID string `json:"sourceId,omitempty"`
	// Custom holds custom fields keyed by their display name.
	Custom map[string]any `json:"custom,omitempty"`
	// Extra keeps members this struct does not declare, so they survive a read-modify-write.
	Extra map[string]json.RawMessage `json:"-"`
}

// Churn is a churn or downgrade log (/churn).
type Churn struct {
	// ID is the Planhat id (24 hex digits), set by Planhat.
	ID string `json:"_id,omitempty"`
	// CompanyID is the company's _id, or an "extid-…"/"srcid-…" keyable on writes.
	CompanyID string `json:"companyId,omitempty"`
	// SourceID is the record's id in an integration source (Salesforce, HubSpot…); unique per model.
	SourceID string `json:"sourceId,omitempty"`
	// Reasons are the churn reasons.
	Reasons FlexStrings `json:"reasons,omitempty"`
	// ChurnDate is when the churn happened.
	ChurnDate FlexTime `json:"churnDate,omitzero"`
	// Value is the monetary value.
	Value FlexNumber `json:"value,omitempty"`
	// ARR is the annual recurring revenue.
	ARR FlexNumber `json:"arr,omitempty"`
	// Products are the products affected.
	Products FlexStrings `json:"products,omitempty"`
	// OnlyDowngrade marks a downgrade rather than a full churn.
	OnlyDowngrade FlexBool `json:"onlyDowngrade,omitempty"`
	// Currency is the ISO currency code.
	Currency string `json:"currency,omitempty"`
	// Comment is a free-text comment.
	Comment string `json:"comment,omitempty"`
	// Custom holds custom fields keyed by their display name.
	Custom map[string]any `json:"custom,omitempty"`
	// Extra keeps members this struct does not declare, so they survive a read-modify-write.
	Extra map[string]json.RawMessage `json:"-"`
}

// Campaign is a customer campaign (/campaigns).
type Campaign struct {
	// ID is the Planhat id (24 hex digits), set by Planhat.
	ID string `json:"_id,omitempty"`
	// Name is the display name.
	Name string `json:"name,omitempty"`
	// CompanyID is the company's _id, or an "extid-…"/"srcid-…" keyable on writes.
	CompanyID string `json:"companyId,omitempty"`
	// ExternalID is the record's id in your own system.
	ExternalID string `json:"externalId,omitempty"`
	// SourceID is the record's id in an integration source (Salesforce, HubSpot…); unique per model.
	SourceID string `json:"sourceId,omitempty"`
	// CampaignPurpose is the campaign's purpose.
	CampaignPurpose string `json:"campaignPurpose,omitempty"`
	// Custom holds custom fields keyed by their display name.
	Custom map[string]any `json:"custom,omitempty"`
	// Extra keeps members this struct does not declare, so they survive a read-modify-write.
	Extra map[string]json.RawMessage `json:"-"`
}

// Objective is a goal tracked for a company (/objectives).
type Objective struct {
	// ID is the Planhat id (24 hex digits), set by Planhat.
	ID string `json:"_id,omitempty"`
	// Name is the display name.
	Name string `json:"name,omitempty"`
	// CompanyID is the company's _id, or an "extid-…"/"srcid-…" keyable on writes.
	CompanyID string `json:"companyId,omitempty"`
	// ExternalID is the record's id in your own system.
	ExternalID string `json:"externalId,omitempty"`
	// SourceID is the record's id in an integration source (Salesforce, HubSpot…); unique per model.
	SourceID string `json:"sourceId,omitempty"`
	// Health is the health score.
	Health FlexNumber `json:"health,omitempty"`
	// Custom holds custom fields keyed by their display name.
	Custom map[string]any `json:"custom,omitempty"`
	// Extra keeps members this struct does not declare, so they survive a read-modify-write.
	Extra map[string]json.RawMessage `json:"-"`
}

// CustomField describes a custom property of a model (/customfields).
type CustomField struct {
	// ID is the Planhat id (24 hex digits), set by Planhat.
	ID string `json:"_id,omitempty"`
	// Name is the display name.
	Name string `json:"name,omitempty"`
	// Type is the kind of record.
	Type string `json:"type,omitempty"`
	// Parent is the model the field belongs to.
	Parent string `json:"parent,omitempty"`
	// IsHidden hides the record in Planhat's interface.
	IsHidden FlexBool `json:"isHidden,omitempty"`
	// IsFormula marks a computed field.
	IsFormula FlexBool `json:"isFormula,omitempty"`
	// Formula is the formula of a computed field.
	Formula string `json:"formula,omitempty"`
	// ListValues are the choices of a list field.
	ListValues FlexStrings `json:"listValues,omitempty"`
	// Extra keeps members this struct does not declare, so they survive a read-modify-write.
	Extra map[string]json.RawMessage `json:"-"`
}

// DimensionData is one stored metric data point (GET /dimensiondata).
type DimensionData struct {
	// ID is the Planhat id (24 hex digits), set by Planhat.
	ID string `json:"_id,omitempty"`
	// DimensionID names the metric.
	DimensionID string `json:"dimensionId,omitempty"`
	// Time is the data point's time.
	Time FlexTime `json:"time,omitzero"`
	// Value is the monetary value.
	Value FlexNumber `json:"value"`
	// Model is the model the data point belongs to (Company, EndUser, Asset, Project).
	Model string `json:"model,omitempty"`
	// ParentID is the _id of the record the data point belongs to.
	ParentID string `json:"parentId,omitempty"`
	// CompanyID is the company's _id, or an "extid-…"/"srcid-…" keyable on writes.
	CompanyID string `json:"companyId,omitempty"`
	// CompanyName is the company's name (set by Planhat).
	CompanyName string `json:"companyName,omitempty"`
	// Extra keeps members this struct does not declare, so they survive a read-modify-write.
	Extra map[string]json.RawMessage `json:"-"`
}
