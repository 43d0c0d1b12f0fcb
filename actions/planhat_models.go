package actions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/relay"
)

// MaxBulkItems is the most records one bulk upsert action accepts; it is
// Planhat's own per-request limit, so one call is one Planhat request.
const MaxBulkItems = 5000

// MaxQueuedBulkItems is the most records a bulk upsert action accepts when
// the door has the outbox: beyond MaxBulkItems they are stored and
// delivered in consecutive calls of MaxBulkItems.
const MaxQueuedBulkItems = 100_000

// family names the actions of one Planhat model ("getCompany",
// "listCompanies", "bulkUpsertCompanies").
type family struct {
	model    *planhat.Model
	singular string // "Company", "EndUser"
	plural   string // "Companies", "EndUsers"
	key      string // "companies": the list output and bulk input property
	noun     string // "company", "end user": used in descriptions
	nouns    string // "companies", "end users"
	group    string // "Companies", "End Users"
}

// newFamily takes the action names of a model from its entry in planhat's
// model table.
func newFamily(m *planhat.Model) family {
	f := family{model: m, singular: m.Singular, plural: m.Plural, noun: m.Noun, nouns: m.Nouns}
	if f.plural != "" {
		f.key = strings.ToLower(f.plural[:1]) + f.plural[1:]
	}
	f.group = humanize(f.plural)
	return f
}

// modelActions builds every generic action a model supports.
func modelActions(m *planhat.Model) []*Action {
	f := newFamily(m)
	var out []*Action
	generic := func(op planhat.Ops) bool { return m.Supports(op) && !m.DedicatedActions.Has(op) }
	if generic(planhat.OpCreate) {
		out = append(out, f.createAction())
	}
	if generic(planhat.OpGet) {
		out = append(out, f.getAction())
	}
	if generic(planhat.OpUpdate) {
		out = append(out, f.updateAction())
	}
	if generic(planhat.OpDelete) {
		out = append(out, f.deleteAction())
	}
	if generic(planhat.OpList) {
		out = append(out, f.listAction())
	}
	if generic(planhat.OpBulk) {
		out = append(out, f.bulkAction())
	}
	return out
}

// keyablesText describes how records of the model can be addressed.
func (f family) keyablesText() string {
	var forms []string
	for _, k := range f.model.Keyables {
		switch k {
		case "_id":
			forms = append(forms, "its Planhat _id (24 hex characters)")
		case "externalId", "extId":
			forms = append(forms, "extid-<externalId>")
		case "sourceId":
			forms = append(forms, "srcid-<sourceId>")
		}
	}
	return strings.Join(forms, ", ")
}

func (f family) hasKeyable(k string) bool {
	if k == "externalId" {
		return slices.Contains(f.model.Keyables, "externalId") || slices.Contains(f.model.Keyables, "extId")
	}
	return slices.Contains(f.model.Keyables, k)
}

// fieldProps returns the schemas of the model's documented fields.
func (f family) fieldProps(input bool) map[string]*jsonschema.Schema {
	props := map[string]*jsonschema.Schema{}
	for _, fd := range f.model.Fields {
		props[fd.Name] = fieldSchema(fd, input)
	}
	return props
}

// idPattern is the pattern of an id that picks one of the model's records:
// extid- and srcid- forms only where the model has those keyables.
func (f family) idPattern() string {
	switch ext, src := f.hasKeyable("externalId"), f.hasKeyable("sourceId"); {
	case ext && src:
		return idPattern
	case ext:
		return extIDPattern
	case src:
		return srcIDPattern
	}
	return objectIDPattern
}

// otherKeysText names the separate locator fields the model accepts, or
// says nothing for models addressed by _id only.
func (f family) otherKeysText() string {
	switch ext, src := f.hasKeyable("externalId"), f.hasKeyable("sourceId"); {
	case ext && src:
		return ", or by separate externalId / sourceId fields"
	case ext:
		return ", or by a separate externalId field"
	case src:
		return ", or by a separate sourceId field"
	}
	return ""
}

// bulkHint points create's callers at the bulk action, promising
// duplicate-free retries only where the model has a key to match on.
func (f family) bulkHint() string {
	if !f.model.Supports(planhat.OpBulk) {
		return ""
	}
	if _, others := f.matchKeysText(); others != "" {
		return fmt.Sprintf(" To create or update many records at once, or to avoid duplicates on retries, use bulkUpsert%s with %s on every item.", f.plural, others)
	}
	return fmt.Sprintf(" To create many records at once, use bulkUpsert%s.", f.plural)
}

// matchKeysText lists what a bulk item is matched on: _id, then the
// model's other keyables.
func (f family) matchKeysText() (all, others string) {
	var keys []string
	if f.hasKeyable("externalId") {
		keys = append(keys, "externalId")
	}
	if f.hasKeyable("sourceId") {
		keys = append(keys, "sourceId")
	}
	return strings.Join(append([]string{"id"}, keys...), " or "), strings.Join(keys, " or ")
}

// recordSchema describes one record as actions return it.
func (f family) recordSchema(description string) *jsonschema.Schema {
	props := f.fieldProps(false)
	for _, p := range props {
		// Planhat's values do not always have the documented type ("" for
		// false, numbers as strings, ids or objects): records pass through
		// as Planhat sent them, so their schema must not promise a type.
		p.Type, p.Items, p.AdditionalProperties = "", nil, nil
	}
	props["id"] = prop("string", "The record's Planhat _id.")
	s := objectSchema(props, nil, true)
	s.Description = description
	return s
}

// required returns the required fields a create has no default for, and
// the groups it needs one field of.
func (f family) required() (simple []string, alternatives [][]string) {
	for _, r := range f.model.Required {
		if _, ok := f.model.Defaults[r]; ok {
			continue
		}
		simple = append(simple, r)
	}
	return simple, f.model.RequiredOneOf
}

func (f family) requiredText() string {
	simple, alts := f.required()
	return requiredWords(simple, alts, " Required: ")
}

// bulkRequiredText names what a bulk item needs to be created; bulk upserts
// get no create defaults (an item may update an existing record), so
// defaulted fields are required too.
func (f family) bulkRequiredText() string {
	simple, alts := f.required()
	for _, k := range sortedKeys(f.model.Defaults) {
		simple = append(simple, fmt.Sprintf("%s (e.g. %v)", k, f.model.Defaults[k]))
	}
	return requiredWords(simple, alts, " New items need: ")
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

func requiredWords(simple []string, alts [][]string, prefix string) string {
	parts := slices.Clone(simple)
	for _, a := range alts {
		parts = append(parts, "one of "+strings.Join(a, ", "))
	}
	if len(parts) == 0 {
		return ""
	}
	return prefix + strings.Join(parts, ", ") + "."
}

func (f family) createAction() *Action {
	simple, alts := f.required()
	props := f.fieldProps(true)
	for _, r := range simple {
		if _, ok := props[r]; !ok {
			props[r] = prop("string", "Required by Planhat.")
		}
		props[r].MinLength = minLen(props[r])
	}
	in := objectSchema(props, simple, true)
	desc := fmt.Sprintf("Creates a %s in Planhat and returns it with its new id.%s Any other Planhat field of the %s can be passed too; "+
		"custom fields go in custom, keyed by their display name. Company references accept an _id, extid-<externalId> or srcid-<sourceId>.%s",
		f.noun, f.requiredText(), f.noun, f.bulkHint())
	model := f.model
	return NewPlanhat("create"+f.singular, "Create "+humanize(f.singular), desc,
		func(ctx context.Context, c *planhat.Client, in map[string]any) (map[string]any, error) {
			if err := checkAlternatives(in, alts); err != nil {
				return nil, err
			}
			if _, ok := in["_id"]; ok {
				return nil, fieldError("_id", "Planhat assigns the id of a new record: remove _id")
			}
			rec, err := c.Objects(model).Create(ctx, planhat.Object(in))
			if err != nil {
				return nil, err
			}
			return recordOut(rec), nil
		},
		WithInputSchema(in), WithOutputSchema(f.recordSchema("The created "+f.noun+".")), InGroup(f.group))
}

// locator is the input that picks one record.
type locator struct {
	ID         string `json:"id,omitempty"`
	ExternalID string `json:"externalId,omitempty"`
	SourceID   string `json:"sourceId,omitempty"`
}

// locatorSchema describes the ways the model's records can be picked.
func (f family) locatorSchema(verb string) *jsonschema.Schema {
	props := map[string]*jsonschema.Schema{
		"id": {Type: "string", Pattern: f.idPattern(), Description: fmt.Sprintf("The %s to %s: %s.", f.noun, verb, f.keyablesText())},
	}
	if f.hasKeyable("externalId") {
		props["externalId"] = &jsonschema.Schema{Type: "string", MinLength: jsonschema.Ptr(1),
			Description: "Instead of id: its externalId (your system's id)."}
	}
	if f.hasKeyable("sourceId") {
		props["sourceId"] = &jsonschema.Schema{Type: "string", MinLength: jsonschema.Ptr(1),
			Description: "Instead of id: its sourceId (the id in an integrated source such as Salesforce)."}
	}
	return objectSchema(props, nil, false)
}

// resolve turns a locator into a Planhat path id, insisting on exactly one key.
func (l locator) resolve() (planhat.ID, error) {
	var ids []planhat.ID
	if l.ID != "" {
		ids = append(ids, planhat.ID(l.ID))
	}
	if l.ExternalID != "" {
		ids = append(ids, planhat.ExtID(l.ExternalID))
	}
	if l.SourceID != "" {
		ids = append(ids, planhat.SrcID(l.SourceID))
	}
	switch len(ids) {
	case 0:
		return "", fieldError("id", "required: give the record's id, externalId or sourceId")
	case 1:
		return ids[0], nil
	}
	return "", fieldError("id", "give only one of id, externalId and sourceId")
}

func (f family) getAction() *Action {
	model := f.model
	desc := fmt.Sprintf("Gets one %s from Planhat by %s%s. Fails with not_found when no such record exists.",
		f.noun, f.keyablesText(), f.otherKeysText())
	return NewPlanhat("get"+f.singular, "Get "+humanize(f.singular), desc,
		func(ctx context.Context, c *planhat.Client, in locator) (json.RawMessage, error) {
			id, err := in.resolve()
			if err != nil {
				return nil, err
			}
			// Rewritten from Planhat's bytes: decoding into a map and
			// encoding it again was most of a get's CPU.
			raw, err := c.Objects(model).GetRaw(ctx, id)
			if err != nil {
				return nil, err
			}
			return recordJSON(raw)
		},
		WithInputSchema(f.locatorSchema("get")), WithOutputSchema(f.recordSchema("The "+f.noun+".")), ReadOnly(), InGroup(f.group))
}

func (f family) updateAction() *Action {
	props := f.fieldProps(true)
	props["id"] = &jsonschema.Schema{Type: "string", Pattern: f.idPattern(),
		Description: fmt.Sprintf("The %s to update: %s.", f.noun, f.keyablesText())}
	in := objectSchema(props, []string{"id"}, true)
	desc := fmt.Sprintf("Updates fields of one %s in Planhat and returns the updated record. Only the fields given are changed (a partial update); "+
		"pick the record with id (%s). Any Planhat field can be set; custom fields go in custom, keyed by their display name.",
		f.noun, f.keyablesText())
	model := f.model
	return NewPlanhat("update"+f.singular, "Update "+humanize(f.singular), desc,
		func(ctx context.Context, c *planhat.Client, in map[string]any) (map[string]any, error) {
			id, _ := in["id"].(string)
			patch := maps.Clone(in)
			delete(patch, "id")
			if _, ok := patch["_id"]; ok {
				return nil, fieldError("_id", "the record is picked by id: remove _id")
			}
			if len(patch) == 0 {
				return nil, fieldError("(input)", "give at least one field to change besides id")
			}
			rec, err := c.Objects(model).Update(ctx, planhat.ID(id), planhat.Object(patch))
			if err != nil {
				return nil, err
			}
			return recordOut(rec), nil
		},
		WithInputSchema(in), WithOutputSchema(f.recordSchema("The updated "+f.noun+".")), Idempotent(), InGroup(f.group))
}

// DeleteOutput is the result of every delete action; the shape is the
// upstream Botpress Planhat integration's deleteAsset output.
type DeleteOutput struct {
	Success      bool `json:"success" jsonschema:"Whether Planhat confirmed the deletion."`
	DeletedCount int  `json:"deletedCount" jsonschema:"How many records were deleted: 1, or 0 when nothing matched."`
}

func deleteOut(r *planhat.DeleteResult) DeleteOutput {
	if r == nil {
		return DeleteOutput{}
	}
	return DeleteOutput{Success: r.OK == 1, DeletedCount: r.DeletedCount}
}

func (f family) deleteAction() *Action {
	model := f.model
	desc := fmt.Sprintf("Deletes one %s from Planhat, picked by %s%s. This cannot be undone. "+
		"Returns success and deletedCount (0 when nothing matched).", f.noun, f.keyablesText(), f.otherKeysText())
	return NewPlanhat("delete"+f.singular, "Delete "+humanize(f.singular), desc,
		func(ctx context.Context, c *planhat.Client, in locator) (DeleteOutput, error) {
			id, err := in.resolve()
			if err != nil {
				return DeleteOutput{}, err
			}
			res, err := c.Objects(model).Delete(ctx, id)
			if err != nil {
				return DeleteOutput{}, err
			}
			return deleteOut(res), nil
		},
		WithInputSchema(f.locatorSchema("delete")), Destructive(), Idempotent(), InGroup(f.group))
}

// listInput is the input of every generic list action.
type listInput struct {
	CompanyID string            `json:"companyId,omitempty" jsonschema:"Only records of these companies: one company _id, or several separated by commas."`
	Limit     int               `json:"limit,omitempty" jsonschema:"How many records to return at most."`
	Offset    int               `json:"offset,omitempty" jsonschema:"How many records to skip, for paging: pass the previous call's nextOffset."`
	Sort      string            `json:"sort,omitempty" jsonschema:"The field to sort by, e.g. name; prefix it with - for descending order, e.g. -updatedAt. Field names are case-sensitive."`
	Select    string            `json:"select,omitempty" jsonschema:"Only these fields, separated by commas, e.g. name,externalId; _id is always included."`
	Filters   map[string]string `json:"filters,omitempty" jsonschema:"Other filters Planhat supports on this list, as field: value pairs, e.g. {\"email\": \"ann@example.com\"}."`
}

// reservedListParams cannot be passed as filters: they have their own fields.
var reservedListParams = []string{"limit", "offset", "sort", "select", "companyId"}

// options turns the input into the client's list options; it refuses
// filters that would shadow a top-level field.
func (in listInput) options() (*planhat.ListOptions, error) {
	opts := &planhat.ListOptions{Limit: in.Limit, Offset: in.Offset, Sort: in.Sort,
		Select: splitList(in.Select), CompanyIDs: splitList(in.CompanyID)}
	for _, k := range slices.Sorted(maps.Keys(in.Filters)) {
		if slices.Contains(reservedListParams, k) {
			return nil, fieldError("filters."+k, "use the top-level "+k+" field instead")
		}
		if opts.Filters == nil {
			opts.Filters = map[string][]string{}
		}
		opts.Filters[k] = []string{in.Filters[k]}
	}
	return opts, nil
}

// splitList reads a comma-separated input field, skipping blank entries; it
// returns nil when nothing is left, so an empty field sends no parameter.
func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

func (f family) listSchema() *jsonschema.Schema {
	s, err := schemaFor[listInput]()
	if err != nil {
		panic(err)
	}
	m := f.model
	pagingBounds(s, m)
	s.Properties["limit"].Description = fmt.Sprintf("How many records to return at most, 1 to %d; Planhat's default is %d.", m.MaxLimit, m.DefaultLimit)
	if m.CompanyField == "" {
		delete(s.Properties, "companyId")
		s.PropertyOrder = slices.DeleteFunc(s.PropertyOrder, func(p string) bool { return p == "companyId" })
	}
	return s
}

// pagingBounds limits a list input's limit to 1..m.MaxLimit and its offset
// to non-negative values, as Planhat does.
func pagingBounds(in *jsonschema.Schema, m *planhat.Model) {
	in.Properties["limit"].Minimum = jsonschema.Ptr(1.0)
	in.Properties["limit"].Maximum = jsonschema.Ptr(float64(m.MaxLimit))
	in.Properties["offset"].Minimum = jsonschema.Ptr(0.0)
}

func (f family) listOutputSchema() *jsonschema.Schema {
	items := f.recordSchema("")
	items.Description = ""
	return objectSchema(map[string]*jsonschema.Schema{
		f.key:        arrayProp("The "+f.nouns+" found, in Planhat's order or the requested sort.", items),
		"count":      prop("integer", "How many records this page holds."),
		"nextOffset": prop("integer", "The offset of the next page; absent when this page was the last."),
	}, []string{f.key, "count"}, false)
}

func (f family) listAction() *Action {
	model, key := f.model, f.key
	desc := fmt.Sprintf("Lists %s from Planhat, one page at a time (limit up to %d, default %d; page with offset and nextOffset).", f.nouns, model.MaxLimit, model.DefaultLimit)
	if model.CompanyField != "" {
		desc += " Filter by companyId;"
	}
	desc += " sort with sort (prefix - for descending), pick fields with select, and pass other Planhat filters in filters."
	return NewPlanhat("list"+f.plural, "List "+f.group, desc,
		func(ctx context.Context, c *planhat.Client, in listInput) (json.RawMessage, error) {
			opts, err := in.options()
			if err != nil {
				return nil, err
			}
			// Rewritten from Planhat's bytes: decoding a page into maps and
			// encoding them again was most of a list's CPU.
			page, err := c.Objects(model).ListRaw(ctx, opts)
			if err != nil {
				return nil, err
			}
			limit := in.Limit
			if limit == 0 {
				limit = model.DefaultLimit
			}
			return listJSON(page, key, func(n int) (int, bool) { return in.Offset + n, n > 0 && n >= limit })
		},
		WithInputSchema(f.listSchema()), WithOutputSchema(f.listOutputSchema()), ReadOnly(), InGroup(f.group))
}

// BulkKey identifies one record a bulk upsert created or updated.
type BulkKey struct {
	ID         string `json:"id" jsonschema:"The record's Planhat _id."`
	SourceID   string `json:"sourceId,omitempty" jsonschema:"The record's sourceId, when it has one."`
	ExternalID string `json:"externalId,omitempty" jsonschema:"The record's externalId, when it has one."`
}

// BulkOutput is the result of every bulk upsert action; the shape is the
// upstream Botpress Planhat integration's bulkUpsertAssets output.
type BulkOutput struct {
	Queued           bool      `json:"queued,omitempty" jsonschema:"True when the items were more than one Planhat call takes: they are stored durably and the outbox upserts them in calls of 5,000; the counts below are then zero and accepted says how many were stored."`
	Accepted         int       `json:"accepted,omitempty" jsonschema:"How many items were stored for delivery, when queued."`
	Created          int       `json:"created" jsonschema:"How many records were created."`
	Updated          int       `json:"updated" jsonschema:"How many existing records were changed."`
	Nonupdates       int       `json:"nonupdates" jsonschema:"How many existing records matched but needed no change."`
	UpsertedIDs      []string  `json:"upsertedIds" jsonschema:"The _ids of the records created or updated."`
	InsertsKeys      []BulkKey `json:"insertsKeys" jsonschema:"The keys of the records created."`
	UpdatesKeys      []BulkKey `json:"updatesKeys" jsonschema:"The keys of the records updated."`
	CreatedErrors    []any     `json:"createdErrors" jsonschema:"Items Planhat could not create, with the reason, as Planhat reported them."`
	UpdatedErrors    []any     `json:"updatedErrors" jsonschema:"Items Planhat could not update, with the reason, as Planhat reported them."`
	PermissionErrors []any     `json:"permissionErrors" jsonschema:"Items refused because the API token lacks permission, as Planhat reported them."`
}

// bulkOut shapes a merged Planhat bulk result, with every list present.
func bulkOut(r *planhat.BulkResult) BulkOutput {
	out := BulkOutput{UpsertedIDs: []string{}, InsertsKeys: []BulkKey{}, UpdatesKeys: []BulkKey{},
		CreatedErrors: []any{}, UpdatedErrors: []any{}, PermissionErrors: []any{}}
	if r == nil {
		return out
	}
	out.Created, out.Updated, out.Nonupdates = r.Created, r.Updated, r.NonUpdates
	out.UpsertedIDs = append(out.UpsertedIDs, r.UpsertedIDs...)
	for _, k := range r.InsertsKeys {
		out.InsertsKeys = append(out.InsertsKeys, BulkKey{ID: k.ID, SourceID: k.SourceID, ExternalID: k.ExternalID})
	}
	for _, k := range r.UpdatesKeys {
		out.UpdatesKeys = append(out.UpdatesKeys, BulkKey{ID: k.ID, SourceID: k.SourceID, ExternalID: k.ExternalID})
	}
	out.CreatedErrors = append(out.CreatedErrors, itemErrors(r.CreatedErrors)...)
	out.UpdatedErrors = append(out.UpdatedErrors, itemErrors(r.UpdatedErrors)...)
	out.PermissionErrors = append(out.PermissionErrors, itemErrors(r.PermissionErrors)...)
	return out
}

// itemErrors returns Planhat's error entries as it sent them (strings or
// objects), falling back to the message.
func itemErrors(errs []planhat.BulkItemError) []any {
	out := make([]any, 0, len(errs))
	for _, e := range errs {
		var v any
		if len(e.Raw) == 0 || json.Unmarshal(e.Raw, &v) != nil {
			v = e.Message
		}
		out = append(out, v)
	}
	return out
}

// bulkResult interprets a bulk upsert's outcome: when anything succeeded the
// merged result is the output (the failed items are listed in it, as Planhat
// answers 206); when nothing did, the *planhat.BulkError is the error.
func bulkResult(res *planhat.BulkResult, err error) (BulkOutput, error) {
	if err != nil {
		var be *planhat.BulkError
		if errors.As(err, &be) && be.Result != nil && be.Result.Succeeded() > 0 {
			return bulkOut(be.Result), nil
		}
		return BulkOutput{}, err
	}
	return bulkOut(res), nil
}

func (f family) bulkAction() *Action {
	itemProps := f.fieldProps(true)
	all, others := f.matchKeysText()
	idHint, retryHint := "leave it out to create", " Items without an id are always created, so repeating the call creates them again."
	if others != "" {
		idHint = "leave it out to match by " + others + " or to create"
		retryHint = " Give every item " + others + " so that repeating the call never duplicates records."
	}
	itemProps["id"] = &jsonschema.Schema{Type: "string", Pattern: objectIDPattern,
		Description: fmt.Sprintf("The Planhat _id of an existing %s to update; %s.", f.noun, idHint)}
	items := objectSchema(itemProps, nil, true)
	in := objectSchema(map[string]*jsonschema.Schema{
		f.key: {Type: "array", MinItems: jsonschema.Ptr(1), MaxItems: jsonschema.Ptr(MaxQueuedBulkItems), Items: items,
			Description: fmt.Sprintf("The %s to create or update, 1 to %d (more than %d are queued).", f.nouns, MaxQueuedBulkItems, MaxBulkItems)},
	}, []string{f.key}, false)
	desc := fmt.Sprintf("Creates or updates up to %d %s in one Planhat call. Each item is matched to an existing record by %s; "+
		"unmatched items are created.%s Returns the counts of created, updated and unchanged records, their keys, and the items that failed "+
		"(createdErrors, updatedErrors, permissionErrors).%s Up to %d items are accepted where planbridge has its outbox (serve, call): "+
		"more than %d are stored durably and upserted in consecutive calls of %d within Planhat's rate limit, the answer saying queued and accepted; "+
		"each of those items needs a keyable, and failures become dead letters for the operator.",
		MaxBulkItems, f.nouns, all, f.bulkRequiredText(), retryHint, MaxQueuedBulkItems, MaxBulkItems, MaxBulkItems)
	model, key := f.model, f.key
	return NewWith("bulkUpsert"+f.plural, "Bulk Upsert "+f.group, desc, NeedPlanhat,
		func(ctx context.Context, d Deps, in map[string]any) (BulkOutput, error) {
			c := d.Planhat
			raw, _ := in[key].([]any)
			objs := make([]planhat.Object, 0, len(raw))
			for _, r := range raw {
				obj := maps.Clone(r.(map[string]any))
				if id, ok := obj["id"]; ok {
					delete(obj, "id")
					obj["_id"] = id
				}
				objs = append(objs, planhat.Object(obj))
			}
			if len(objs) > MaxBulkItems {
				if d.Relay == nil {
					return BulkOutput{}, fieldError(key, fmt.Sprintf("%d items: at most %d here (one Planhat call); more are queued only where planbridge has its outbox (planbridge serve, planbridge call)", len(objs), MaxBulkItems))
				}
				n, err := d.Relay.UpsertRecords(ctx, c, model, objs)
				if err != nil {
					var ie *relay.InputError
					if errors.As(err, &ie) {
						return BulkOutput{}, fieldError(key+strings.TrimPrefix(ie.Field, "items"), ie.Message)
					}
					return BulkOutput{}, err
				}
				out := bulkOut(nil)
				out.Queued, out.Accepted = true, n
				return out, nil
			}
			return bulkResult(c.Objects(model).BulkUpsert(ctx, objs))
		},
		WithInputSchema(in), Idempotent(), InGroup(f.group))
}

// checkAlternatives enforces "at least one of" requirements.
func checkAlternatives(in map[string]any, alts [][]string) error {
	for _, alt := range alts {
		if !slices.ContainsFunc(alt, func(k string) bool { return present(in[k]) }) {
			return fieldError(alt[0], "required (or "+strings.Join(alt[1:], " or ")+")")
		}
	}
	return nil
}

func present(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case string:
		return strings.TrimSpace(v) != ""
	}
	return true
}

// recordOut returns a record as actions present it: Planhat's _id becomes id.
func recordOut(o planhat.Object) map[string]any {
	out := make(map[string]any, len(o))
	for k, v := range o {
		if k == "_id" {
			k = "id"
		}
		out[k] = v
	}
	return out
}

func minLen(s *jsonschema.Schema) *int {
	if s.Type == "string" {
		return jsonschema.Ptr(1)
	}
	return s.MinLength
}
