package streamfx

import (
	"context"
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/streamfx/streamfx/dispatcher"
)

func nopHandler(context.Context, *dispatcher.Message) error { return nil }

func route(typ, name string) dispatcher.Route {
	return dispatcher.Route{Type: typ, Name: name, Handler: dispatcher.HandlerFunc(nopHandler)}
}

func router(routes ...dispatcher.Route) *dispatcher.Router {
	r := dispatcher.NewRouter()
	for _, x := range routes {
		r.On(x.Type, x.Handler, dispatcher.Named(x.Name))
	}
	return r
}

func routeNames(rs []dispatcher.Route) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Name
	}
	return out
}

// TestOrderRoutesIsDeterministic feeds the same contributions in many
// orders, as fx may, and expects one mount order.
func TestOrderRoutesIsDeterministic(t *testing.T) {
	t.Parallel()
	routes := []dispatcher.Route{route("user.registered", "welcome"), route("order.paid", "receipt"), route("order.paid", "audit")}
	routers := []*dispatcher.Router{
		router(route("booking.made", "z-confirm"), route("booking.made", "a-notify")),
		router(route("order.paid", "invoice")),
	}
	want := []string{"z-confirm", "a-notify", "audit", "invoice", "receipt", "welcome"}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 50 {
		rs, rts := slices.Clone(routes), slices.Clone(routers)
		rng.Shuffle(len(rs), func(a, b int) { rs[a], rs[b] = rs[b], rs[a] })
		rng.Shuffle(len(rts), func(a, b int) { rts[a], rts[b] = rts[b], rts[a] })
		got, err := orderRoutes(rs, rts)
		if err != nil {
			t.Fatalf("orderRoutes: %v", err)
		}
		if !slices.Equal(routeNames(got), want) {
			t.Fatalf("shuffle %d: order = %q, want %q", i, routeNames(got), want)
		}
	}
}

func TestOrderRoutesErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		routes  []dispatcher.Route
		routers []*dispatcher.Router
		is      error
		want    []string
	}{
		{
			name:   "duplicate between two routes",
			routes: []dispatcher.Route{route("a", "dup"), {Type: "b", Name: "dup", Group: "g", Handler: &typedHandler{}}},
			is:     ErrDuplicateRoute,
			want: []string{
				`duplicate route name "dup"`, `type "a", route group none, handler github.com/streamfx/streamfx/streamfx.nopHandler`,
				`type "b", route group "g", handler *streamfx.typedHandler`, "group streamfx.routes",
			},
		},
		{
			name:    "duplicate between a route and a router",
			routes:  []dispatcher.Route{route("a", "dup")},
			routers: []*dispatcher.Router{router(route("b", "x"), route("c", "dup"))},
			is:      ErrDuplicateRoute,
			want:    []string{`"dup"`, "a router of fx value group streamfx.routers with routes [b:x c:dup]", "from fx value group streamfx.routes"},
		},
		{
			name:    "duplicate between two routers",
			routers: []*dispatcher.Router{router(route("a", "dup")), router(route("b", "dup"))},
			is:      ErrDuplicateRoute,
		},
		{name: "unnamed route", routes: []dispatcher.Route{route("a", "")}, is: ErrInvalidRoute, want: []string{"has no Name ("}},
		{name: "route without type", routes: []dispatcher.Route{route("", "n")}, is: ErrInvalidRoute, want: []string{"has no Type ("}},
		{name: "route without handler", routes: []dispatcher.Route{{Type: "a", Name: "n"}}, is: ErrInvalidRoute, want: []string{"has no Handler ("}},
		{name: "route with nothing", routes: []dispatcher.Route{{}}, is: ErrInvalidRoute, want: []string{"has no Type, no Handler, no Name ("}},
		{name: "nil router", routers: []*dispatcher.Router{nil}, is: ErrInvalidRoute, want: []string{"nil *dispatcher.Router"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := orderRoutes(tt.routes, tt.routers)
			if !errors.Is(err, tt.is) {
				t.Fatalf("orderRoutes = %v, want %v", err, tt.is)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

type typedHandler struct{}

func (*typedHandler) Handle(context.Context, *dispatcher.Message) error { return nil }

func TestCheckConstructor(t *testing.T) {
	t.Parallel()
	want := reflect.TypeFor[dispatcher.Route]()
	tests := []struct {
		name string
		c    any
		err  string
	}{
		{name: "route", c: func() dispatcher.Route { return dispatcher.Route{} }},
		{name: "route and error", c: func(*typedHandler) (dispatcher.Route, error) { return dispatcher.Route{}, nil }},
		{name: "not a func", c: 42, err: "got int, want a function returning dispatcher.Route"},
		{name: "nil", c: nil, err: "got <nil>"},
		{name: "wrong result", c: func() *typedHandler { return nil }, err: "returns (*streamfx.typedHandler), want dispatcher.Route or (dispatcher.Route, error)"},
		{name: "second result not error", c: func() (dispatcher.Route, int) { return dispatcher.Route{}, 0 }, err: "returns (dispatcher.Route, int)"},
		{name: "router instead of route", c: func() *dispatcher.Router { return nil }, err: "returns (*dispatcher.Router)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := checkConstructor(tt.c, want)
			if tt.err == "" {
				if err != nil {
					t.Fatalf("checkConstructor = %v", err)
				}
				return
			}
			if !errors.Is(err, ErrBadConstructor) || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("checkConstructor = %v, want ErrBadConstructor containing %q", err, tt.err)
			}
		})
	}
}
