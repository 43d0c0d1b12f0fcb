package actions

import (
	"context"
	"encoding/json"
	"maps"
	"slices"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/planbridge/planbridge/planhat"
)

// The six asset actions keep the input field names and output shapes of the
// upstream Botpress Planhat integration (botpress/botpress,
// integrations/planhat, version 0.1.1), so a bot built on it switches to
// planbridge without changes; unlike upstream they validate input, escape
// ids in paths, and explain errors.

// AssetOutput is one asset as the upstream integration returns it.
type AssetOutput struct {
	ID          string         `json:"id" jsonschema:"The asset's Planhat _id."`
	Name        string         `json:"name" jsonschema:"The asset's name."`
	CompanyID   string         `json:"companyId" jsonschema:"The _id of the company the asset belongs to."`
	CompanyName string         `json:"companyName,omitempty" jsonschema:"The name of the company the asset belongs to."`
	ExternalID  string         `json:"externalId,omitempty" jsonschema:"The asset's externalId (your system's id)."`
	SourceID    string         `json:"sourceId,omitempty" jsonschema:"The asset's sourceId (the id in an integrated source)."`
	Custom      map[string]any `json:"custom,omitempty" jsonschema:"The asset's custom field values, keyed by display name."`
}

// AssetDetail is an asset with its usage metrics, as getAsset returns it.
type AssetDetail struct {
	AssetOutput
	Usage map[string]any `json:"usage,omitempty" jsonschema:"The asset's usage metrics, keyed by metric."`
}

// ListedAsset is one asset in a listAssets result; with select, any field may be absent.
type ListedAsset struct {
	ID          string         `json:"id" jsonschema:"The asset's Planhat _id."`
	Name        string         `json:"name,omitempty" jsonschema:"The asset's name."`
	CompanyID   string         `json:"companyId,omitempty" jsonschema:"The _id of the company the asset belongs to."`
	CompanyName string         `json:"companyName,omitempty" jsonschema:"The name of the company the asset belongs to."`
	ExternalID  string         `json:"externalId,omitempty" jsonschema:"The asset's externalId (your system's id)."`
	SourceID    string         `json:"sourceId,omitempty" jsonschema:"The asset's sourceId (the id in an integrated source)."`
	Custom      map[string]any `json:"custom,omitempty" jsonschema:"The asset's custom field values, keyed by display name."`
	Usage       map[string]any `json:"usage,omitempty" jsonschema:"The asset's usage metrics, keyed by metric."`
}

// ListAssetsOutput is the listAssets result.
type ListAssetsOutput struct {
	Assets []ListedAsset `json:"assets" jsonschema:"The assets found."`
}

// CreateAssetInput is the createAsset input.
type CreateAssetInput struct {
	Name       string         `json:"name" jsonschema:"The name of the asset."`
	CompanyID  string         `json:"companyId" jsonschema:"The company the asset belongs to: its Planhat _id, extid-<externalId> or srcid-<sourceId>."`
	ExternalID string         `json:"externalId,omitempty" jsonschema:"Your own system's id for the asset."`
	SourceID   string         `json:"sourceId,omitempty" jsonschema:"The asset's id in an integrated source such as Salesforce."`
	Custom     map[string]any `json:"custom,omitempty" jsonschema:"Custom field values keyed by the custom field's display name."`
}

// UpdateAssetInput is the updateAsset input; empty fields are left unchanged.
type UpdateAssetInput struct {
	AssetID    string         `json:"assetId" jsonschema:"The asset to update: its Planhat _id, extid-<externalId> or srcid-<sourceId>."`
	Name       string         `json:"name,omitempty" jsonschema:"The new name; leave empty to keep it."`
	CompanyID  string         `json:"companyId,omitempty" jsonschema:"Move the asset to this company: its Planhat _id, extid-<externalId> or srcid-<sourceId>; leave empty to keep it."`
	ExternalID string         `json:"externalId,omitempty" jsonschema:"The new externalId; leave empty to keep it."`
	SourceID   string         `json:"sourceId,omitempty" jsonschema:"The new sourceId; leave empty to keep it."`
	Custom     map[string]any `json:"custom,omitempty" jsonschema:"Custom field values to set, keyed by the custom field's display name."`
}

// AssetIDInput picks one asset.
type AssetIDInput struct {
	AssetID string `json:"assetId" jsonschema:"The asset: its Planhat _id, extid-<externalId> or srcid-<sourceId>."`
}

// ListAssetsInput is the listAssets input.
type ListAssetsInput struct {
	CompanyID string `json:"companyId,omitempty" jsonschema:"Only assets of this company: its Planhat _id (several separated by commas)."`
	Limit     int    `json:"limit,omitempty" jsonschema:"How many assets to return at most, 1 to 2000; Planhat's default is 100."`
	Offset    int    `json:"offset,omitempty" jsonschema:"How many assets to skip, for paging."`
	Sort      string `json:"sort,omitempty" jsonschema:"The field to sort by; prefix it with - for descending order, e.g. -name."`
	Select    string `json:"select,omitempty" jsonschema:"Only these fields, separated by commas, e.g. name,companyId."`
}

// BulkAssetItem is one asset in a bulkUpsertAssets input.
type BulkAssetItem struct {
	ID         string         `json:"id,omitempty" jsonschema:"The Planhat _id of an existing asset to update; leave it out to match by externalId/sourceId or to create."`
	Name       string         `json:"name,omitempty" jsonschema:"The name of the asset; required to create one."`
	CompanyID  string         `json:"companyId,omitempty" jsonschema:"The company: its Planhat _id, extid-<externalId> or srcid-<sourceId>; required to create an asset."`
	ExternalID string         `json:"externalId,omitempty" jsonschema:"Your own system's id for the asset; matches existing assets."`
	SourceID   string         `json:"sourceId,omitempty" jsonschema:"The asset's id in an integrated source; matches existing assets."`
	Custom     map[string]any `json:"custom,omitempty" jsonschema:"Custom field values keyed by the custom field's display name."`
}

// BulkUpsertAssetsInput is the bulkUpsertAssets input.
type BulkUpsertAssetsInput struct {
	Assets []BulkAssetItem `json:"assets" jsonschema:"The assets to create or update, 1 to 5000."`
}

func assetOut(o planhat.Object) AssetOutput {
	id := str(o["_id"])
	if id == "" {
		id = str(o["id"])
	}
	out := AssetOutput{ID: id, Name: str(o["name"]), CompanyID: str(o["companyId"]), CompanyName: str(o["companyName"]),
		ExternalID: str(o["externalId"]), SourceID: str(o["sourceId"])}
	if c, ok := o["custom"].(map[string]any); ok {
		out.Custom = c
	}
	return out
}

// str returns v as a string when it is one (Planhat fields are loosely typed).
func str(v any) string {
	s, _ := v.(string)
	return s
}

// assetActions returns the six upstream-compatible asset actions.
func assetActions() []*Action {
	m := planhat.ModelAsset
	create := NewPlanhat("createAsset", "Create Asset",
		"Creates an asset (a product instance, site or sub-account) under a company in Planhat and returns it with its new id. "+
			"companyId accepts the company's _id, extid-<externalId> or srcid-<sourceId>. To import many assets, or to avoid duplicates on retries, use bulkUpsertAssets with an externalId.",
		func(ctx context.Context, c *planhat.Client, in CreateAssetInput) (AssetOutput, error) {
			body := planhat.Object{"name": in.Name, "companyId": in.CompanyID}
			setIf(body, "externalId", in.ExternalID)
			setIf(body, "sourceId", in.SourceID)
			if in.Custom != nil {
				body["custom"] = in.Custom
			}
			rec, err := c.Objects(m).Create(ctx, body)
			if err != nil {
				return AssetOutput{}, err
			}
			return assetOut(rec), nil
		}, InGroup("Assets"))
	requireID(create, "companyId")
	create.Input.Properties["name"].MinLength = jsonschema.Ptr(1)

	update := NewPlanhat("updateAsset", "Update Asset",
		"Updates an asset in Planhat and returns it. Only non-empty fields are sent, so empty fields keep their current value. "+
			"Pick the asset with assetId: its _id, extid-<externalId> or srcid-<sourceId>.",
		func(ctx context.Context, c *planhat.Client, in UpdateAssetInput) (AssetOutput, error) {
			patch := planhat.Object{}
			setIf(patch, "name", in.Name)
			setIf(patch, "companyId", in.CompanyID)
			setIf(patch, "externalId", in.ExternalID)
			setIf(patch, "sourceId", in.SourceID)
			if in.Custom != nil {
				patch["custom"] = in.Custom
			}
			if len(patch) == 0 {
				return AssetOutput{}, fieldError("(input)", "give at least one field to change besides assetId")
			}
			rec, err := c.Objects(m).Update(ctx, planhat.ID(in.AssetID), patch)
			if err != nil {
				return AssetOutput{}, err
			}
			return assetOut(rec), nil
		}, Idempotent(), InGroup("Assets"))
	requireID(update, "assetId", "companyId")

	get := NewPlanhat("getAsset", "Get Asset",
		"Gets one asset from Planhat, with its custom fields and usage metrics. Pick it with assetId: its _id, extid-<externalId> or srcid-<sourceId>.",
		func(ctx context.Context, c *planhat.Client, in AssetIDInput) (json.RawMessage, error) {
			// Rewritten from Planhat's bytes into AssetDetail's shape,
			// without decoding the record into a map.
			raw, err := c.Objects(m).GetRaw(ctx, planhat.ID(in.AssetID))
			if err != nil {
				return nil, err
			}
			return assetDetailJSON(raw)
		}, WithOutputSchema(mustSchema[AssetDetail]()), ReadOnly(), InGroup("Assets"))
	requireID(get, "assetId")

	list := NewPlanhat("listAssets", "List Assets",
		"Lists assets from Planhat, optionally only those of one company (companyId), one page at a time: limit 1 to 2000 (default 100), offset to page, "+
			"sort by a field (prefix - for descending) and select fields (comma-separated).",
		func(ctx context.Context, c *planhat.Client, in ListAssetsInput) (json.RawMessage, error) {
			opts, err := listInput{CompanyID: in.CompanyID, Limit: in.Limit, Offset: in.Offset, Sort: in.Sort, Select: in.Select}.options()
			if err != nil {
				return nil, err
			}
			// Rewritten from Planhat's bytes into ListAssetsOutput's shape:
			// decoding the page into maps and encoding it again was most of
			// the CPU of the busiest action.
			page, err := c.Objects(m).ListRaw(ctx, opts)
			if err != nil {
				return nil, err
			}
			return assetListJSON(page)
		}, WithOutputSchema(mustSchema[ListAssetsOutput]()), ReadOnly(), InGroup("Assets"))
	pagingBounds(list.Input, m)

	del := NewPlanhat("deleteAsset", "Delete Asset",
		"Deletes one asset from Planhat; this cannot be undone. Pick it with assetId: its _id, extid-<externalId> or srcid-<sourceId>. "+
			"Returns success and deletedCount (0 when nothing matched).",
		func(ctx context.Context, c *planhat.Client, in AssetIDInput) (DeleteOutput, error) {
			res, err := c.Objects(m).Delete(ctx, planhat.ID(in.AssetID))
			if err != nil {
				return DeleteOutput{}, err
			}
			return deleteOut(res), nil
		}, Destructive(), Idempotent(), InGroup("Assets"))
	requireID(del, "assetId")

	bulk := NewPlanhat("bulkUpsertAssets", "Bulk Upsert Assets",
		"Creates or updates up to 5000 assets in one Planhat call. Each item is matched to an existing asset by id, sourceId or externalId; "+
			"unmatched items are created (they need name and companyId). Returns the counts of created, updated and unchanged assets, their keys, "+
			"and the items that failed. Give every item an externalId or sourceId so that repeating the call never duplicates assets.",
		func(ctx context.Context, c *planhat.Client, in BulkUpsertAssetsInput) (BulkOutput, error) {
			items := make([]planhat.Object, len(in.Assets))
			for i, a := range in.Assets {
				o := planhat.Object{}
				setIf(o, "_id", a.ID)
				setIf(o, "name", a.Name)
				setIf(o, "companyId", a.CompanyID)
				setIf(o, "externalId", a.ExternalID)
				setIf(o, "sourceId", a.SourceID)
				if a.Custom != nil {
					o["custom"] = maps.Clone(a.Custom)
				}
				items[i] = o
			}
			return bulkResult(c.Objects(m).BulkUpsert(ctx, items))
		}, Idempotent(), InGroup("Assets"))
	assets := bulk.Input.Properties["assets"]
	assets.MinItems, assets.MaxItems = jsonschema.Ptr(1), jsonschema.Ptr(MaxBulkItems)
	assets.Items.Properties["id"].Pattern = objectIDPattern
	assets.Items.Properties["companyId"].Pattern = idPattern

	return []*Action{create, update, get, list, del, bulk}
}

// requireID puts the record-reference pattern (and non-emptiness) on id fields.
func requireID(a *Action, fields ...string) {
	for _, f := range fields {
		p := a.Input.Properties[f]
		p.Pattern = idPattern
		if slices.Contains(a.Input.Required, f) {
			p.MinLength = jsonschema.Ptr(1)
		}
	}
}

// setIf sets key only for a non-empty value, as the upstream integration
// sends only truthy fields.
func setIf(o planhat.Object, key, value string) {
	if value != "" {
		o[key] = value
	}
}
