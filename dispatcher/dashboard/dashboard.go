package dashboard

import (
	"cmp"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher/inspect"
)

const (
	defaultRefresh = 2 * time.Second
	defaultHistory = 15 * time.Minute
	// deadPageSize is how many dead letters one page lists.
	deadPageSize = 100
)

//go:embed web
var web embed.FS

// Config configures a Dashboard. The zero value is valid.
type Config struct {
	// Streams lists the streams shown. If empty, every stream in Redis
	// (inspect.Inspector.Streams), found again at each refresh.
	Streams []string
	// DeadLetterStream names the dead-letter stream of every stream, as
	// redisstream.ProcessorConfig.DeadLetterStream does. If empty,
	// "<stream>:dead".
	DeadLetterStream string
	// ReadOnly hides the replay and delete buttons and refuses their POST
	// requests with 403.
	ReadOnly bool
	// Refresh is how often an open overview refreshes itself. If zero, 2s.
	Refresh time.Duration
	// History is how far back the lag chart goes. The chart is drawn from
	// the samples taken when the overview is rendered (at most one per
	// second, shared by every viewer): it covers the time the dashboard was
	// open. If zero, 15 minutes.
	History time.Duration
}

// Dashboard is the dashboard's http.Handler. It is safe for concurrent use.
// The Redis client belongs to the caller: the Dashboard never closes it.
type Dashboard struct {
	cfg     Config
	in      *inspect.Inspector
	pages   *template.Template
	history *history
	mux     *http.ServeMux
}

// New returns a Dashboard reading rdb. It returns an error for a nil client
// or a negative duration.
func New(rdb redis.UniversalClient, cfg Config) (*Dashboard, error) {
	if cfg.Refresh < 0 || cfg.History < 0 {
		return nil, errors.New("dashboard: negative Refresh or History")
	}
	cfg.Refresh = cmp.Or(cfg.Refresh, defaultRefresh)
	cfg.History = cmp.Or(cfg.History, defaultHistory)
	in, err := inspect.New(rdb, inspect.Config{DeadLetterStream: cfg.DeadLetterStream})
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	pages, err := template.New("").Funcs(templateFuncs()).ParseFS(web, "web/*.html")
	if err != nil {
		return nil, fmt.Errorf("dashboard: templates: %w", err)
	}
	d := &Dashboard{cfg: cfg, in: in, pages: pages, history: newHistory(cfg.History), mux: http.NewServeMux()}
	static, _ := fs.Sub(web, "web/static")
	d.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	d.mux.HandleFunc("GET /{$}", d.overview)
	d.mux.HandleFunc("GET /overview", d.overviewFragment)
	d.mux.HandleFunc("GET /dead", d.deadLetters)
	d.mux.Handle("POST /dead", http.NewCrossOriginProtection().Handler(http.HandlerFunc(d.deadAction)))
	return d, nil
}

// ServeHTTP serves the dashboard's pages: the overview at "/", the dead
// letters at "/dead", and their actions (POST "/dead").
func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
	d.mux.ServeHTTP(w, r)
}

// render executes the template name with data, or answers 500.
func (d *Dashboard) render(w http.ResponseWriter, status int, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := d.pages.ExecuteTemplate(w, name, data); err != nil {
		// Headers are sent; the page ends where the error happened.
		fmt.Fprintf(w, "<p class=error>template error: %s</p>", template.HTMLEscapeString(err.Error()))
	}
}
