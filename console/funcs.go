package console

import (
	"fmt"
	"html/template"
	"slices"
	"strings"
	"time"
)

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	// ago is how long before now t was, or "—" for a zero t.
	"ago": func(now, t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return age(now.Sub(t)) + " ago"
	},
	"seconds": func(s float64) string {
		if s <= 0 {
			return "—"
		}
		return age(time.Duration(s * float64(time.Second)))
	},
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	},
	// dict passes several values to a sub-template.
	"dict": func(kv ...any) (map[string]any, error) {
		if len(kv)%2 != 0 {
			return nil, fmt.Errorf("dict wants key, value pairs")
		}
		m := make(map[string]any, len(kv)/2)
		for i := 0; i < len(kv); i += 2 {
			k, ok := kv[i].(string)
			if !ok {
				return nil, fmt.Errorf("dict keys are strings")
			}
			m[k] = kv[i+1]
		}
		return m, nil
	},
	"has":     func(list []string, s string) bool { return slices.Contains(list, s) },
	"join":    strings.Join,
	"percent": func(f float64) string { return fmt.Sprintf("%.0f%%", f*100) },
	"short": func(s string) string {
		if len(s) <= 14 {
			return s
		}
		return s[:12] + "…"
	},
}
