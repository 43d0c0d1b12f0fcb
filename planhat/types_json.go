// JSON methods of the model structs in types.go: Extra-preserving decode and encode. Add the
// same pair (and recordID) for every new model struct.

package planhat

// UnmarshalJSON decodes a Company, keeping undeclared members in Extra.
func (v *Company) UnmarshalJSON(b []byte) error {
	type plain Company
	return decodeWithExtra(b, (*plain)(v), &v.Extra)
}

// MarshalJSON encodes a Company with its Extra members.
func (v Company) MarshalJSON() ([]byte, error) {
	type plain Company
	return encodeWithExtra(plain(v), v.Extra)
}

// UnmarshalJSON decodes a LeanCompany, keeping undeclared members in Extra.
func (v *LeanCompany) UnmarshalJSON(b []byte) error {
	type plain LeanCompany
	return decodeWithExtra(b, (*plain)(v), &v.Extra)
}

// MarshalJSON encodes a LeanCompany with its Extra members.
func (v LeanCompany) MarshalJSON() ([]byte, error) {
	type plain LeanCompany
	return encodeWithExtra(plain(v), v.Extra)
}

// UnmarshalJSON decodes a EndUser, keeping undeclared members in Extra.
func (v *EndUser) UnmarshalJSON(b []byte) error {
	type plain EndUser
	return decodeWithExtra(b, (*plain)(v), &v.Extra)
}

// MarshalJSON encodes a EndUser with its Extra members.
func (v EndUser) MarshalJSON() ([]byte, error) {
	type plain EndUser
	return encodeWithExtra(plain(v), v.Extra)
}

// UnmarshalJSON decodes a User, keeping undeclared members in Extra.
func (v *User) UnmarshalJSON(b []byte) error {
	type plain User
	return decodeWithExtra(b, (*plain)(v), &v.Extra)
}

// MarshalJSON encodes a User with its Extra members.
func (v User) MarshalJSON() ([]byte, error) {
	type plain User
	return encodeWithExtra(plain(v), v.Extra)
}

// UnmarshalJSON decodes a Conversation, keeping undeclared members in Extra.
func (v *Conversation) UnmarshalJSON(b []byte) error {
	type plain Conversation
	return decodeWithExtra(b, (*plain)(v), &v.Extra)
}

// MarshalJSON encodes a Conversation with its Extra members.
func (v Conversation) MarshalJSON() ([]byte, error) {
	type plain Conversation
	return encodeWithExtra(plain(v), v.Extra)
}

// UnmarshalJSON decodes a Ticket, keeping undeclared members in Extra.
func (v *Ticket) UnmarshalJSON(b []byte) error {
	type plain Ticket
	return decodeWithExtra(b, (*plain)(v), &v.Extra)
}

// MarshalJSON encodes a Ticket with its Extra members.
func (v Ticket) MarshalJSON() ([]byte, error) {
	type plain Ticket
	return encodeWithExtra(plain(v), v.Extra)
}

// UnmarshalJSON decodes a Call, keeping undeclared members in Extra.
func (v *Call) UnmarshalJSON(b []byte) error {
	type plain Call
	return decodeWithExtra(b, (*plain)(v), &v.Extra)
}

// MarshalJSON encodes a Call with its Extra members.
func (v Call) MarshalJSON() ([]byte, error) {
	type plain Call
	return encodeWithExtra(plain(v), v.Extra)
}

// UnmarshalJSON decodes a Asset, keeping undeclared members in Extra.
func (v *Asset) UnmarshalJSON(b []byte) error {
	type plain Asset
	return decodeWithExtra(b, (*plain)(v), &v.Extra)
}

// MarshalJSON encodes a Asset with its Extra members.
func (v Asset) MarshalJSON() ([]byte, error) {
	type plain Asset
	return encodeWithExtra(plain(v), v.Extra)
}

// UnmarshalJSON decodes a License, keeping undeclared members in Extra.
func (v *License) UnmarshalJSON(b []byte) error {
	type plain License
	return decodeWithExtra(b, (*plain)(v), &v.Extra)
}

// MarshalJSON encodes a License with its Extra members.
func (v License) MarshalJSON() ([]byte, error) {
	type plain License
	return encodeWithExtra(plain(v), v.Extra)
}

// UnmarshalJSON decodes a Task, keeping undeclared members in Extra.
func (v *Task) UnmarshalJSON(b []byte) error {
	type plain Task
	return decodeWithExtra(b, (*plain)(v), &v.Extra)
}

// MarshalJSON encodes a Task with its Extra members.
func (v Task) MarshalJSON() ([]byte, error) {
	type plain Task
	return encodeWithExtra(plain(v), v.Extra)
}

// UnmarshalJSON decodes a Issue, keeping undeclared members in Extra.
func (v *Issue) UnmarshalJSON(b []byte) error {
	type plain Issue
	return decodeWithExtra(b, (*plain)(v), &v.Extra)
}

// MarshalJSON encodes a Issue with its Extra members.
func (v Issue) MarshalJSON() ([]byte, error) {
	type plain Issue
	return encodeWithExtra(plain(v), v.Extra)
}

// UnmarshalJSON decodes a Opportunity, keeping undeclared members in Extra.
func (v *Opportunity) UnmarshalJSON(b []byte) error {
	type plain Opportunity
	return decodeWithExtra(b, (*plain)(v), &v.Extra)
}

// MarshalJSON encodes a Opportunity with its Extra members.
func (v Opportunity) MarshalJSON() ([]byte, error) {
	type plain Opportunity
	return encodeWithExtra(plain(v), v.Extra)
}

// UnmarshalJSON decodes a Project, keeping undeclared members in Extra.
func (v *Project) UnmarshalJSON(b []byte) error {
	type plain Project
	return decodeWithExtra(b, (*plain)(v), &v.Extra)
}

// MarshalJSON encodes a Project with its Extra members.
func (v Project) MarshalJSON() ([]byte, error) {
	type plain Project
	return encodeWithExtra(plain(v), v.Extra)
}

// UnmarshalJSON decodes a Sale, keeping undeclared members in Extra.
func (v *Sale) UnmarshalJSON(b []byte) error {
	type plain Sale
	return decodeWithExtra(b, (*plain)(v), &v.Extra)
}

// MarshalJSON encodes a Sale with its Extra members.
func (v Sale) MarshalJSON() ([]byte, error) {
	type plain Sale
	return encodeWithExtra(plain(v), v.Extra)
}

// UnmarshalJSON decodes a Invoice, keeping undeclared members in Extra.
func (v *Invoice) UnmarshalJSON(b []byte) error {
	type plain Invoice
	return decodeWithExtra(b, (*plain)(v), &v.Extra)
}

// MarshalJSON encodes a Invoice with its Extra members.
func (v Invoice) MarshalJSON() ([]byte, error) {
	type plain Invoice
	return encodeWithExtra(plain(v), v.Extra)
}

// UnmarshalJSON decodes a NPS, keeping undeclared members in Extra.
func (v *NPS) UnmarshalJSON(b []byte) error {
	type plain NPS
	return decodeWithExtra(b, (*plain)(v), &v.Extra)
}

// MarshalJSON encodes a NPS with its Extra members.
func (v NPS) MarshalJSON() ([]byte, error) {
	type plain NPS
	return encodeWithExtra(plain(v), v.Extra)
}

// UnmarshalJSON decodes a Churn, keeping undeclared members in Extra.
func (v *Churn) UnmarshalJSON(b []byte) error {
	type plain Churn
	return decodeWithExtra(b, (*plain)(v), &v.Extra)
}

// MarshalJSON encodes a Churn with its Extra members.
func (v Churn) MarshalJSON() ([]byte, error) {
	type plain Churn
	return encodeWithExtra(plain(v), v.Extra)
}

// UnmarshalJSON decodes a Campaign, keeping undeclared members in Extra.
func (v *Campaign) UnmarshalJSON(b []byte) error {
	type plain Campaign
	return decodeWithExtra(b, (*plain)(v), &v.Extra)
}

// MarshalJSON encodes a Campaign with its Extra members.
func (v Campaign) MarshalJSON() ([]byte, error) {
	type plain Campaign
	return encodeWithExtra(plain(v), v.Extra)
}

// UnmarshalJSON decodes a Objective, keeping undeclared members in Extra.
func (v *Objective) UnmarshalJSON(b []byte) error {
	type plain Objective
	return decodeWithExtra(b, (*plain)(v), &v.Extra)
}

// MarshalJSON encodes a Objective with its Extra members.
func (v Objective) MarshalJSON() ([]byte, error) {
	type plain Objective
	return encodeWithExtra(plain(v), v.Extra)
}

// UnmarshalJSON decodes a CustomField, keeping undeclared members in Extra.
func (v *CustomField) UnmarshalJSON(b []byte) error {
	type plain CustomField
	return decodeWithExtra(b, (*plain)(v), &v.Extra)
}

// MarshalJSON encodes a CustomField with its Extra members.
func (v CustomField) MarshalJSON() ([]byte, error) {
	type plain CustomField
	return encodeWithExtra(plain(v), v.Extra)
}

// UnmarshalJSON decodes a DimensionData, keeping undeclared members in Extra.
func (v *DimensionData) UnmarshalJSON(b []byte) error {
	type plain DimensionData
	return decodeWithExtra(b, (*plain)(v), &v.Extra)
}

// MarshalJSON encodes a DimensionData with its Extra members.
func (v DimensionData) MarshalJSON() ([]byte, error) {
	type plain DimensionData
	return encodeWithExtra(plain(v), v.Extra)
}

func (v Company) recordID() string { return v.ID }

func (v LeanCompany) recordID() string { return v.ID }

func (v EndUser) recordID() string { return v.ID }

func (v User) recordID() string { return v.ID }

func (v Conversation) recordID() string { return v.ID }

func (v Ticket) recordID() string { return v.ID }

func (v Call) recordID() string { return v.ID }

func (v Asset) recordID() string { return v.ID }

func (v License) recordID() string { return v.ID }

func (v Task) recordID() string { return v.ID }

func (v Issue) recordID() string { return v.ID }

func (v Opportunity) recordID() string { return v.ID }

func (v Project) recordID() string { return v.ID }

func (v Sale) recordID() string { return v.ID }

func (v Invoice) recordID() string { return v.ID }

func (v NPS) recordID() string { return v.ID }

func (v Churn) recordID() string { return v.ID }

func (v Campaign) recordID() string { return v.ID }

func (v Objective) recordID() string { return v.ID }

func (v CustomField) recordID() string { return v.ID }

func (v DimensionData) recordID() string { return v.ID }
