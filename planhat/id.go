package planhat

import (
	"fmt"
	"net/url"
	"strings"
)

// Keyable prefixes that Planhat resolves in path ids and in reference fields such as companyId.
const (
	extIDPrefix = "extid-"
	srcIDPrefix = "srcid-"
)

// ID identifies one Planhat record in a path: a Planhat _id, or an externalId / sourceId
// keyable built with [ExtID] or [SrcID].
type ID string

// ExtID returns the keyable that addresses a record by its externalId (your system's id).
func ExtID(externalID string) ID { return ID(extIDPrefix + externalID) }

// SrcID returns the keyable that addresses a record by its sourceId (an integration's id).
func SrcID(sourceID string) ID { return ID(srcIDPrefix + sourceID) }

// ParseID accepts "extid-x", "srcid-x" or a raw Planhat _id, refusing empty values.
func ParseID(s string) (ID, error) {
	id := ID(strings.TrimSpace(s))
	if err := id.Validate(); err != nil {
		return "", err
	}
	return id, nil
}

// Kind reports how the id addresses its record: "_id", "externalId" or "sourceId".
func (id ID) Kind() string {
	switch {
	case strings.HasPrefix(string(id), extIDPrefix):
		return "externalId"
	case strings.HasPrefix(string(id), srcIDPrefix):
		return "sourceId"
	default:
		return "_id"
	}
}

// Value returns the id without its keyable prefix.
func (id ID) Value() string {
	s := string(id)
	switch id.Kind() {
	case "externalId":
		return s[len(extIDPrefix):]
	case "sourceId":
		return s[len(srcIDPrefix):]
	}
	return s
}

// IsKeyable reports whether the id is an externalId or sourceId keyable rather than an _id.
func (id ID) IsKeyable() bool { return id.Kind() != "_id" }

// String returns the id as it appears in a path, before escaping.
func (id ID) String() string { return string(id) }

// Validate refuses an empty id (or an empty keyable value) and the dot segments "." and "..",
// which would otherwise turn a single-record call into a call on the whole collection (path
// escaping keeps dots, and proxies resolve dot segments).
func (id ID) Validate() error {
	if strings.TrimSpace(id.Value()) == "" {
		return ErrEmptyID
	}
	if id == "." || id == ".." {
		return &ValidationError{Field: "id", Message: fmt.Sprintf("id %q is a dot segment and would address the collection, not a record; pass a Planhat _id, planhat.ExtID(externalId) or planhat.SrcID(sourceId)", string(id))}
	}
	return nil
}

// segment returns the path-escaped id, so keyables containing "/" or "?" stay one segment.
func (id ID) segment() string { return url.PathEscape(string(id)) }

// checkFor validates the id and that model m accepts its kind of keyable in a path.
func (id ID) checkFor(m *Model) error {
	if err := id.Validate(); err != nil {
		if ve, ok := err.(*ValidationError); ok {
			ve.Model = m.Name
			return ve
		}
		return fmt.Errorf("planhat: %s: %w", m.Name, err)
	}
	switch id.Kind() {
	case "externalId":
		if !m.hasKeyable("externalId") && !m.hasKeyable("extId") {
			return &ValidationError{Model: m.Name, Field: "id", Message: fmt.Sprintf("%s records cannot be addressed by externalId; use their _id or one of %v", m.Name, m.Keyables)}
		}
	case "sourceId":
		if !m.hasKeyable("sourceId") {
			return &ValidationError{Model: m.Name, Field: "id", Message: fmt.Sprintf("%s records cannot be addressed by sourceId; use their _id or one of %v", m.Name, m.Keyables)}
		}
	}
	return nil
}
