package streamfx_test

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/fx/fxevent"
	"go.uber.org/zap"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/streamfx"
)

// invoiceStore is a dependency that no test provides.
type invoiceStore struct{}

func newRouterNeedingStore(*invoiceStore) *dispatcher.Router { return dispatcher.NewRouter() }

func newRouteNeedingStore(*invoiceStore) dispatcher.Route { return dispatcher.Route{} }

func newFailingMiddleware() ([]dispatcher.RouteMiddleware, error) {
	return nil, errors.New("no logger")
}

func newFailingRouter() (*dispatcher.Router, error) { return nil, errors.New("no templates") }

// providedNames records the constructor names of fx's Provided events.
type providedNames struct {
	mu    sync.Mutex
	names []string
}

func (p *providedNames) LogEvent(e fxevent.Event) {
	if e, ok := e.(*fxevent.Provided); ok {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.names = append(p.names, e.ConstructorName)
	}
}

// TestFxNamesConstructors: the errors fx.New returns for a constructor given
// to AsRoute, AsRouter or AsMiddleware (a missing dependency, an error
// returned), and fx's log of what was provided, name that constructor, not
// a function made by reflection ("reflect".makeFuncStub).
func TestFxNamesConstructors(t *testing.T) {
	t.Parallel()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never dialled
	t.Cleanup(func() { _ = rdb.Close() })
	monolith := streamfx.Config{Processors: []redisstream.ProcessorConfig{{Streams: []string{"users"}}}}
	const pkg = `"github.com/streamfx/streamfx/streamfx_test".`
	tests := []struct {
		name    string
		provide any
		want    string
	}{
		{"AsRouter, missing dependency", streamfx.AsRouter(newRouterNeedingStore),
			"missing dependencies for function " + pkg + "newRouterNeedingStore ("},
		{"AsRoute, missing dependency", streamfx.AsRoute(newRouteNeedingStore),
			"missing dependencies for function " + pkg + "newRouteNeedingStore ("},
		{"AsMiddleware, error returned", streamfx.AsMiddleware(newFailingMiddleware),
			"received non-nil error from function " + pkg + "newFailingMiddleware ("},
		{"AsRouter, error returned", streamfx.AsRouter(newFailingRouter),
			"received non-nil error from function " + pkg + "newFailingRouter ("},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logged providedNames
			app := fx.New(fx.WithLogger(func() fxevent.Logger { return &logged }), streamfx.Module, usersModule,
				fx.Supply(monolith), fx.Provide(func() redis.UniversalClient { return rdb }, zap.NewNop),
				fx.Provide(tt.provide))
			err := app.Err()
			if err == nil {
				t.Fatal("fx.New succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "makeFuncStub") {
				t.Errorf("fx.New error does not name the constructor (want %q):\n%v", tt.want, err)
			}
			ctor := tt.want[strings.LastIndex(tt.want, ".")+1 : len(tt.want)-2]
			logged.mu.Lock()
			defer logged.mu.Unlock()
			found := false
			for _, n := range logged.names {
				found = found || strings.Contains(n, "streamfx_test."+ctor+"()")
				if strings.Contains(n, "makeFuncStub") {
					t.Errorf("fx logged a constructor as %s", n)
				}
			}
			if !found {
				t.Errorf("fx's Provided events do not name %s: %q", ctor, logged.names)
			}
		})
	}
}
