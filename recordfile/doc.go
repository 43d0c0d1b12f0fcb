// Package recordfile reads and writes files of Planhat records, CSV and JSONL,
// and moves them in and out of Planhat: Import validates rows and sends them in
// bulk upserts of at most 5,000, Export streams every record of a model.
//
// Both formats share one column convention, so an export can be edited and
// imported back:
//
//   - CSV has a header row; a column "custom.<Field>" is the custom field
//     <Field>, every other column a top-level field.
//   - The keyable columns (_id, externalId, sourceId, companyId) and fields the
//     model documents as strings are text, so "extid-…" and "srcid-…" pass
//     through and numeric ids stay strings.
//   - Fields documented as numbers or booleans are parsed as such; other cells
//     that read as JSON (numbers, booleans, arrays, objects, "quoted strings")
//     are sent decoded, anything else as text. Export writes a string that
//     would read as JSON in its quoted form, so it comes back a string.
//   - An empty cell leaves the field out.
//
// JSONL is one JSON object per line, sent as is.
package recordfile
