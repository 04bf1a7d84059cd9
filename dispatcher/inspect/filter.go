package inspect

import (
	"fmt"
	"strings"
	"time"
)

// Filter selects dead letters. Every set field must match; the zero Filter
// selects every dead letter.
type Filter struct {
	// IDs, if set, selects these dead-letter entry IDs only.
	IDs []string
	// Stream keeps dead letters of this source stream (useful when several
	// streams share one dead-letter stream).
	Stream string
	// Type keeps dead letters of this event type.
	Type string
	// Route keeps dead letters of this route.
	Route string
	// Reason keeps dead letters whose reason contains it, ignoring case.
	Reason string
	// MinSourceID and MaxSourceID keep dead letters whose source entry ID is
	// in this range, both ends included. An ID may be given as "<ms>" alone:
	// as MinSourceID it means "<ms>-0", as MaxSourceID every sequence number
	// of that millisecond.
	MinSourceID, MaxSourceID string
	// OlderThan keeps dead letters written at least this long ago.
	OlderThan time.Duration
	// NewerThan keeps dead letters written less than this long ago.
	NewerThan time.Duration
}

// matcher is a checked Filter, ready to test dead letters.
type matcher struct {
	f        Filter
	ids      map[string]bool
	min, max *streamID
	reason   string
	now      time.Time
}

// compile checks f and returns its matcher, or an error wrapping
// ErrInvalidFilter.
func (f Filter) compile(now time.Time) (*matcher, error) {
	m := &matcher{f: f, reason: strings.ToLower(f.Reason), now: now}
	if f.OlderThan < 0 || f.NewerThan < 0 {
		return nil, fmt.Errorf("%w: negative age", ErrInvalidFilter)
	}
	for _, id := range f.IDs {
		if _, err := parseID(id, 0); err != nil || !strings.Contains(id, "-") {
			return nil, fmt.Errorf("%w: dead letter ID %q is not a full stream ID (<ms>-<seq>)", ErrInvalidFilter, id)
		}
	}
	if len(f.IDs) > 0 {
		m.ids = make(map[string]bool, len(f.IDs))
		for _, id := range f.IDs {
			m.ids[id] = true
		}
	}
	if f.MinSourceID != "" {
		id, err := parseID(f.MinSourceID, 0)
		if err != nil {
			return nil, err
		}
		m.min = &id
	}
	if f.MaxSourceID != "" {
		id, err := parseID(f.MaxSourceID, ^uint64(0))
		if err != nil {
			return nil, err
		}
		m.max = &id
	}
	if m.min != nil && m.max != nil && m.max.less(*m.min) {
		return nil, fmt.Errorf("%w: source ID range %s..%s is empty", ErrInvalidFilter, f.MinSourceID, f.MaxSourceID)
	}
	return m, nil
}

// match reports whether d is selected.
func (m *matcher) match(d DeadLetter) bool {
	f := m.f
	switch {
	case m.ids != nil && !m.ids[d.ID],
		f.Stream != "" && d.Stream != f.Stream,
		f.Type != "" && d.Type != f.Type,
		f.Route != "" && d.Route != f.Route,
		m.reason != "" && !strings.Contains(strings.ToLower(d.Reason), m.reason),
		f.OlderThan > 0 && m.now.Sub(d.At) < f.OlderThan,
		f.NewerThan > 0 && m.now.Sub(d.At) >= f.NewerThan:
		return false
	}
	if m.min == nil && m.max == nil {
		return true
	}
	id, err := parseID(d.SourceID, 0)
	if err != nil {
		return false
	}
	return (m.min == nil || !id.less(*m.min)) && (m.max == nil || !m.max.less(id))
}
