package dashboard

import (
	"encoding/json"
	"html/template"
	"strings"
	"time"
)

// templateFuncs returns the template functions.
func templateFuncs() template.FuncMap {
	return template.FuncMap{
		"age":    age,
		"since":  func(t time.Time) string { return age(time.Since(t)) },
		"clock":  func(t time.Time) string { return t.Format("15:04:05") },
		"pretty": pretty,
	}
}

// age formats a duration for people: milliseconds below a second, else
// whole seconds.
func age(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// pretty renders v as indented JSON (the template escapes it for HTML).
func pretty(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err.Error()
	}
	return strings.TrimSpace(b.String())
}
