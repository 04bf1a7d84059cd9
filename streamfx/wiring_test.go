package streamfx_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/streamfx"
)

// newDuplicateWelcomeWithHandler clashes with emailsModule's route name.
func newDuplicateWelcomeWithHandler() dispatcher.Route {
	return dispatcher.Route{Type: "user.created", Name: "emails.welcome", Group: "marketing", Handler: &namedHandler{}}
}

type namedHandler struct{ dispatcher.HandlerFunc }

func newPlainString() string { return "not a route" }

// TestWiringErrorsFailNew: wiring mistakes fail fx.New with readable
// errors; nothing boots half-wired. No Redis is needed: nothing connects.
func TestWiringErrorsFailNew(t *testing.T) {
	t.Parallel()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never dialled
	t.Cleanup(func() { _ = rdb.Close() })
	monolith := streamfx.Config{Processors: []redisstream.ProcessorConfig{{Streams: []string{"users"}}}}
	provideRedis := fx.Provide(func() redis.UniversalClient { return rdb })
	provideLogger := fx.Provide(zap.NewNop)
	tests := []struct {
		name string
		opts []fx.Option
		is   error
		want []string
	}{
		{
			name: "duplicate route names",
			opts: []fx.Option{fx.Supply(monolith), provideRedis, provideLogger, usersModule, emailsModule,
				fx.Provide(streamfx.AsRoute(newDuplicateWelcomeWithHandler))},
			is: streamfx.ErrDuplicateRoute,
			want: []string{`duplicate route name "emails.welcome"`,
				`type "user.created", route group "marketing", handler *streamfx_test.namedHandler`,
				`type "user.registered", route group "emails"`},
		},
		{
			name: "duplicate names across groups that are not enabled",
			opts: []fx.Option{
				fx.Supply(streamfx.Config{Processors: []redisstream.ProcessorConfig{{Streams: []string{"users"}, Group: "u"}}, RouteGroups: []string{"users"}}),
				provideRedis, provideLogger, usersModule, emailsModule, fx.Provide(streamfx.AsRoute(newDuplicateWelcomeWithHandler)),
			},
			is:   streamfx.ErrDuplicateRoute,
			want: []string{`"emails.welcome"`},
		},
		{
			name: "missing redis client",
			opts: []fx.Option{fx.Supply(monolith), provideLogger, usersModule},
			want: []string{"missing type: redis.UniversalClient"},
		},
		{
			name: "missing logger",
			opts: []fx.Option{fx.Supply(monolith), provideRedis, usersModule},
			want: []string{"missing type: *zap.Logger"},
		},
		{
			name: "missing config",
			opts: []fx.Option{provideRedis, provideLogger, usersModule},
			want: []string{"missing type: streamfx.Config"},
		},
		{
			name: "bad config",
			opts: []fx.Option{fx.Supply(streamfx.Config{Processors: []redisstream.ProcessorConfig{{Streams: []string{"users"}, Concurrency: -4}}}),
				provideRedis, provideLogger, usersModule},
			is:   streamfx.ErrInvalidConfig,
			want: []string{`Processors[0] (streams ["users"])`, "Concurrency is negative"},
		},
		{
			name: "partial worker on the default consumer group",
			opts: []fx.Option{fx.Supply(streamfx.Config{Processors: []redisstream.ProcessorConfig{{Streams: []string{"users"}}}, RouteGroups: []string{"users"}}),
				provideRedis, provideLogger, usersModule},
			is:   streamfx.ErrDefaultGroupInPartialWorker,
			want: []string{`streams ["users"] are consumed with consumer group "monolith"`, "give this worker its own consumer group"},
		},
		{
			name: "unknown enabled group",
			opts: []fx.Option{fx.Supply(streamfx.Config{Processors: []redisstream.ProcessorConfig{{Streams: []string{"users"}, Group: "w"}}, RouteGroups: []string{"emial"}}),
				provideRedis, provideLogger, usersModule, emailsModule},
			is:   streamfx.ErrUnknownGroup,
			want: []string{`"emial"`, `route groups: ["emails" "users"]`},
		},
		{
			name: "routes but no stream",
			opts: []fx.Option{fx.Supply(streamfx.Config{}), provideRedis, provideLogger, usersModule},
			is:   streamfx.ErrNoStreams,
			want: []string{"1 routes are mounted but Config.Processors and Config.Partitioned are empty"},
		},
		{
			name: "streams but no route",
			opts: []fx.Option{fx.Supply(monolith), provideRedis, provideLogger},
			is:   streamfx.ErrNoRoutes,
		},
		{
			name: "AsRoute given a constructor of something else",
			opts: []fx.Option{fx.Supply(monolith), provideRedis, provideLogger, usersModule, fx.Provide(streamfx.AsRoute(newPlainString))},
			is:   streamfx.ErrBadConstructor,
			want: []string{"streamfx_test.newPlainString returns (string), want dispatcher.Route"},
		},
		{
			name: "route without a name",
			opts: []fx.Option{fx.Supply(monolith), provideRedis, provideLogger, fx.Provide(streamfx.AsRoute(func() dispatcher.Route {
				return dispatcher.Route{Type: "user.registered", Handler: &namedHandler{}}
			}))},
			is:   streamfx.ErrInvalidRoute,
			want: []string{`type "user.registered"`, "has no Name ("},
		},
		{
			// Router.On panics on a nil handler; with fx.RecoverFromPanics
			// that fails fx.New, naming the constructor and the event type.
			name: "router with a nil handler",
			opts: []fx.Option{fx.RecoverFromPanics(), fx.Supply(monolith), provideRedis, provideLogger,
				fx.Provide(streamfx.AsRouter(newNilHandlerRouter))},
			want: []string{`in func: "github.com/streamfx/streamfx/streamfx_test".newNilHandlerRouter (`,
				`nil handler for event type \"user.registered\"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			app := fx.New(append([]fx.Option{fx.NopLogger, streamfx.Module}, tt.opts...)...)
			err := app.Err()
			if err == nil {
				t.Fatal("fx.New succeeded, want a wiring error")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error does not wrap %v: %v", tt.is, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestPublishOnlyApp: an app with no stream and no route gets a Publisher
// and starts no processor.
func TestPublishOnlyApp(t *testing.T) {
	t.Parallel()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { _ = rdb.Close() })
	var ps *streamfx.Processors
	app := fx.New(fx.NopLogger, streamfx.Module, fx.Supply(streamfx.Config{}), fx.Populate(&ps),
		fx.Provide(func() redis.UniversalClient { return rdb }, zap.NewNop))
	if err := app.Err(); err != nil {
		t.Fatal(err)
	}
	if n := len(ps.All()); n != 0 {
		t.Errorf("processors = %d, want 0", n)
	}
}

// TestPartialWorkerMountsUngroupedRoutes: a route without a logical group is
// mounted by every worker, whatever Config.RouteGroups says (the seed:
// enabled_groups is None or spec.group is None or spec.group in
// enabled_groups); a group no route names is still refused.
func TestPartialWorkerMountsUngroupedRoutes(t *testing.T) {
	t.Parallel()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never dialled
	t.Cleanup(func() { _ = rdb.Close() })
	ungrouped := streamfx.AsRoute(func() dispatcher.Route {
		return dispatcher.Route{Type: "audit", Name: "audit.log", Handler: &namedHandler{}}
	})
	grouped := streamfx.AsRoute(func() dispatcher.Route {
		return dispatcher.Route{Type: "user.created", Name: "billing.open", Group: "billing", Handler: &namedHandler{}}
	})
	newApp := func(enabled ...string) (*fx.App, *dispatcher.Dispatcher) {
		var d *dispatcher.Dispatcher
		cfg := streamfx.Config{Processors: []redisstream.ProcessorConfig{{Streams: []string{"users"}, Group: "w"}}, RouteGroups: enabled}
		app := fx.New(fx.NopLogger, streamfx.Module, fx.Supply(cfg), fx.Populate(&d),
			fx.Provide(func() redis.UniversalClient { return rdb }, zap.NewNop, ungrouped, grouped), usersModule)
		return app, d
	}
	app, d := newApp("users")
	if err := app.Err(); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range d.Routes() {
		names = append(names, r.Name)
	}
	if !slices.Contains(names, "audit.log") || slices.Contains(names, "billing.open") {
		t.Errorf("worker of group users mounted %q, want audit.log (no group) and not billing.open", names)
	}
	// No route is in a group "default" any more.
	app, _ = newApp("default")
	if err := app.Err(); !errors.Is(err, streamfx.ErrUnknownGroup) {
		t.Errorf("RouteGroups [default]: %v, want ErrUnknownGroup", err)
	}
}

// newNilHandlerRouter makes the wiring mistake of registering a nil
// handler.
func newNilHandlerRouter() *dispatcher.Router {
	r := dispatcher.NewRouter()
	r.On("user.registered", nil, dispatcher.Named("users.save"))
	return r
}
