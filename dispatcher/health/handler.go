package health

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sync"
	"time"
)

// defaultTimeout bounds one run of all checks when WithTimeout is not used.
const defaultTimeout = 2 * time.Second

// Check reports whether one part of the process is ready: nil means ready,
// an error says why not. It must honour ctx, which is cancelled when the
// request ends or the handler's timeout expires. A panic is recovered and
// reported as an error wrapping ErrPanic.
type Check func(ctx context.Context) error

// Option configures Handler.
type Option interface {
	apply(*handler)
}

type optionFunc func(*handler)

func (f optionFunc) apply(h *handler) { f(h) }

// WithTimeout bounds the time all checks of one request may take together.
// If zero or negative, or without it, the timeout is 2s.
func WithTimeout(d time.Duration) Option {
	return optionFunc(func(h *handler) {
		if d > 0 {
			h.timeout = d
		}
	})
}

// Result is the state of one check in the JSON body.
type Result struct {
	// Status is "ok" or "fail".
	Status string `json:"status"`
	// Error is the check's error text when Status is "fail".
	Error string `json:"error,omitempty"`
}

// Report is the JSON body Handler writes.
type Report struct {
	// Status is "ok" when every check passed, else "fail".
	Status string `json:"status"`
	// Checks holds the result of each check by name.
	Checks map[string]Result `json:"checks"`
}

// Handler returns an http.Handler that runs checks concurrently on every
// request and writes a Report as JSON: status 200 if all passed (or there
// are none), 503 otherwise. The map is copied; it panics if a check is nil,
// a wiring mistake.
func Handler(checks map[string]Check, opts ...Option) http.Handler {
	h := &handler{timeout: defaultTimeout}
	for _, name := range slices.Sorted(maps.Keys(checks)) {
		if checks[name] == nil {
			panic(fmt.Sprintf("health: nil Check %q passed to Handler", name))
		}
		h.names = append(h.names, name)
		h.checks = append(h.checks, checks[name])
	}
	for _, o := range opts {
		if o == nil {
			panic("health: nil Option passed to Handler")
		}
		o.apply(h)
	}
	return h
}

type handler struct {
	names   []string
	checks  []Check
	timeout time.Duration
}

// ServeHTTP runs the checks and writes the report.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rep := h.run(r.Context())
	code := http.StatusOK
	if rep.Status != "ok" {
		code = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(rep) // the client may be gone; nothing to do
}

// run runs every check concurrently within the timeout.
func (h *handler) run(ctx context.Context) Report {
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	errs := make([]error, len(h.checks))
	var wg sync.WaitGroup
	for i, c := range h.checks {
		wg.Go(func() { errs[i] = runCheck(ctx, c) })
	}
	wg.Wait()
	rep := Report{Status: "ok", Checks: make(map[string]Result, len(h.names))}
	for i, name := range h.names {
		if errs[i] != nil {
			rep.Status = "fail"
			rep.Checks[name] = Result{Status: "fail", Error: errs[i].Error()}
			continue
		}
		rep.Checks[name] = Result{Status: "ok"}
	}
	return rep
}

// runCheck runs c, turning a panic into an error.
func runCheck(ctx context.Context, c Check) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%w: %v", ErrPanic, v)
		}
	}()
	return c(ctx)
}
