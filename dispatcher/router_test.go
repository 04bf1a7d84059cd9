package dispatcher_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/streamfx/streamfx/dispatcher"
)

func nop() dispatcher.Handler {
	return dispatcher.HandlerFunc(func(context.Context, *dispatcher.Message) error { return nil })
}

func routeNames(routes []dispatcher.Route) []string {
	var out []string
	for _, r := range routes {
		out = append(out, r.Name)
	}
	return out
}

func TestRegistrationPanics(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		do   func()
		want string
	}{
		{"empty type", func() { dispatcher.New(dispatcher.Config{}).On("", nop()) }, "empty event type"},
		{"nil handler", func() { dispatcher.New(dispatcher.Config{}).On("a", nil) }, `nil handler for event type "a"`},
		{"nil handler func", func() { dispatcher.New(dispatcher.Config{}).OnFunc("a", nil) }, `nil handler func`},
		{"nil option", func() { dispatcher.New(dispatcher.Config{}).On("a", nop(), nil) }, "nil RouteOption"},
		{"nil route middleware", func() { dispatcher.New(dispatcher.Config{}).On("a", nop(), dispatcher.WithMiddleware(nil)) }, "nil Middleware"},
		{"duplicate name", func() {
			d := dispatcher.New(dispatcher.Config{})
			d.On("a", nop(), dispatcher.Named("x"))
			d.On("b", nop(), dispatcher.Named("x"))
		}, `duplicate route name "x"`},
		{"duplicate name in a router", func() {
			r := dispatcher.NewRouter()
			r.On("a", nop(), dispatcher.Named("x"))
			r.On("a", nop(), dispatcher.Named("x"))
		}, `duplicate route name "x"`},
		{"duplicate name across routers", func() {
			r1, r2 := dispatcher.NewRouter(), dispatcher.NewRouter()
			r1.On("a", nop(), dispatcher.Named("x"))
			r2.On("b", nop(), dispatcher.Named("x"))
			dispatcher.New(dispatcher.Config{}).Include(r1, r2)
		}, `duplicate route name "x"`},
		{"router empty type", func() { dispatcher.NewRouter().On("", nop()) }, "empty event type"},
		{"router nil handler func", func() { dispatcher.NewRouter().OnFunc("a", nil) }, "nil handler func"},
		{"nil router", func() { dispatcher.New(dispatcher.Config{}).Include(nil) }, "nil Router"},
		{"nil Use", func() { dispatcher.NewRouter().Use(nil) }, "nil Middleware"},
		{"nil Chain", func() { dispatcher.Chain(nop(), nil) }, "nil Middleware"},
		{"Chain to nil", func() {
			dispatcher.Chain(nop(), func(dispatcher.Handler) dispatcher.Handler { return nil })
		}, "nil Handler"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			defer func() {
				v := recover()
				s, ok := v.(string)
				if !ok || !strings.HasPrefix(s, "dispatcher: ") || !strings.Contains(s, tt.want) {
					t.Fatalf("panic = %#v, want a string starting with dispatcher: and containing %q", v, tt.want)
				}
			}()
			tt.do()
		})
	}
}

func TestAddReturnsErrors(t *testing.T) {
	t.Parallel()
	nilMW := func(dispatcher.Route) dispatcher.Middleware {
		return func(dispatcher.Handler) dispatcher.Handler { return nil }
	}
	tests := []struct {
		name   string
		cfg    dispatcher.Config
		routes []dispatcher.Route
		want   string
	}{
		{"empty type", dispatcher.Config{}, []dispatcher.Route{{Handler: nop()}}, "needs an event type"},
		{"nil handler", dispatcher.Config{}, []dispatcher.Route{{Type: "a"}}, "needs an event type and a handler"},
		{"duplicate in one call", dispatcher.Config{}, []dispatcher.Route{{Type: "b", Handler: nop()}, {Type: "a", Name: "keep", Handler: nop()}}, `duplicate route name "keep"`},
		{"auto name clash", dispatcher.Config{}, []dispatcher.Route{{Type: "b", Name: "b#2", Handler: nop()}, {Type: "b", Handler: nop()}}, `duplicate route name "b#2"`},
		{"middleware returns nil", dispatcher.Config{Middleware: []dispatcher.RouteMiddleware{nilMW}}, []dispatcher.Route{{Type: "b", Handler: nop()}}, "nil Handler"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := dispatcher.New(tt.cfg)
			if err := d.Add(dispatcher.Route{Type: "a", Name: "keep", Handler: nop()}); err != nil && tt.cfg.Middleware == nil {
				t.Fatal(err)
			}
			before := routeNames(d.Routes())
			err := d.Add(tt.routes...)
			if err == nil || !strings.HasPrefix(err.Error(), "dispatcher: ") || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Add = %v, want an error containing %q", err, tt.want)
			}
			if after := routeNames(d.Routes()); !reflect.DeepEqual(before, after) {
				t.Fatalf("a failed Add mounted routes: %q -> %q", before, after)
			}
		})
	}
}

func TestEnabledGroups(t *testing.T) {
	t.Parallel()
	register := func(d *dispatcher.Dispatcher, c *calls) {
		r := dispatcher.NewRouter()
		r.On("a", c.handler("billing", nil, nil), dispatcher.InGroup("billing"))
		r.On("a", c.handler("plain", nil, nil))
		r.On("a", c.handler("mail", nil, nil), dispatcher.InGroup("mail"))
		d.Include(r)
	}
	tests := []struct {
		groups []string
		ran    []string
		names  []string
	}{
		{nil, []string{"billing", "plain", "mail"}, []string{"a#1", "a#2", "a#3"}},
		// A route without a group is mounted whatever the enabled groups
		// (the seed: enabled_groups is None or spec.group is None or
		// spec.group in enabled_groups).
		{[]string{"mail"}, []string{"plain", "mail"}, []string{"a#2", "a#3"}},
		{[]string{"billing"}, []string{"billing", "plain"}, []string{"a#1", "a#2"}},
		{[]string{"nope"}, []string{"plain"}, []string{"a#2"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.groups, ","), func(t *testing.T) {
			t.Parallel()
			d := dispatcher.New(dispatcher.Config{EnabledGroups: tt.groups})
			c := &calls{}
			register(d, c)
			// Names do not depend on the enabled groups, so that a retry
			// scheduled by one worker finds the same route on another.
			if got := routeNames(d.Routes()); !reflect.DeepEqual(got, tt.names) {
				t.Fatalf("mounted %q, want %q", got, tt.names)
			}
			d.Process(t.Context(), dispatcher.NewMessage("s", "1-0", map[string]string{"type": "a"}))
			if got := c.got(); !reflect.DeepEqual(got, tt.ran) {
				t.Fatalf("ran %q, want %q", got, tt.ran)
			}
		})
	}
}

func TestRunRoute(t *testing.T) {
	t.Parallel()
	d := dispatcher.New(dispatcher.Config{})
	c := &calls{}
	d.On("a", c.handler("a1", nil, nil), dispatcher.Named("first"))
	d.On("a", c.handler("a2", errA, nil), dispatcher.Named("second"))
	d.On("a", c.handler("eu", nil, nil), dispatcher.Named("eu"),
		dispatcher.WithFilter(func(m *dispatcher.Message) bool { return m.Fields["region"] == "eu" }))
	d.On("b", c.handler("boom", nil, "boom"), dispatcher.Named("boom"))
	tests := []struct {
		route string
		ran   []string
		errIs error
	}{
		{"first", []string{"a1"}, nil},
		{"second", []string{"a2"}, errA},
		{"eu", nil, nil}, // filtered out
		{"boom", []string{"boom"}, dispatcher.ErrPanic},
		{"missing", nil, dispatcher.ErrRouteNotFound},
	}
	for _, tt := range tests {
		c.log = nil
		// The type does not matter, only the name.
		err := d.RunRoute(t.Context(), tt.route, dispatcher.NewMessage("s", "1-0", map[string]string{"type": "other"}))
		if !errors.Is(err, tt.errIs) || (err == nil) != (tt.errIs == nil) {
			t.Fatalf("RunRoute(%s) = %v, want %v", tt.route, err, tt.errIs)
		}
		if got := c.got(); !reflect.DeepEqual(got, tt.ran) {
			t.Fatalf("RunRoute(%s) ran %q, want %q", tt.route, got, tt.ran)
		}
	}
}

func TestMiddlewareOrder(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var log []string
	mark := func(name string) dispatcher.Middleware {
		return func(next dispatcher.Handler) dispatcher.Handler {
			return dispatcher.HandlerFunc(func(ctx context.Context, msg *dispatcher.Message) error {
				mu.Lock()
				log = append(log, name)
				mu.Unlock()
				return next.Handle(ctx, msg)
			})
		}
	}
	var seen []string
	routeMW := func(name string) dispatcher.RouteMiddleware {
		return func(r dispatcher.Route) dispatcher.Middleware {
			seen = append(seen, name+":"+r.Name+":"+r.Group+":"+r.Type)
			return mark(name)
		}
	}
	skip := func(dispatcher.Route) dispatcher.Middleware { return nil }
	d := dispatcher.New(dispatcher.Config{Middleware: []dispatcher.RouteMiddleware{routeMW("cfg1"), skip, routeMW("cfg2")}})
	r := dispatcher.NewRouter()
	r.Use(mark("use1"), mark("use2"))
	r.Use(mark("use3"))
	r.On("a", dispatcher.Chain(mark("handler")(nop()), mark("chain1"), mark("chain2")), dispatcher.Named("n"), dispatcher.InGroup("g"),
		dispatcher.WithMiddleware(mark("route1"), mark("route2")))
	d.Include(r)

	if err := d.Handle(t.Context(), dispatcher.NewMessage("s", "1-0", map[string]string{"type": "a"})); err != nil {
		t.Fatal(err)
	}
	want := []string{"cfg1", "cfg2", "use1", "use2", "use3", "route1", "route2", "chain1", "chain2", "handler"}
	if !reflect.DeepEqual(log, want) {
		t.Fatalf("order %q, want %q", log, want)
	}
	if want := []string{"cfg1:n:g:a", "cfg2:n:g:a"}; !reflect.DeepEqual(seen, want) {
		t.Fatalf("RouteMiddleware saw %q, want %q", seen, want)
	}
}
