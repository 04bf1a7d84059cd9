package streamfx

import (
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"go.uber.org/fx"

	"github.com/streamfx/streamfx/dispatcher"
)

// The fx value groups through which feature modules contribute routes.
const (
	routesGroup  = "streamfx.routes"
	routersGroup = "streamfx.routers"
)

// The fx tags that feed the module's value groups, for fx.ResultTags or an
// fx.Out field, when AsRoute or AsRouter does not fit:
//
//	fx.Provide(fx.Annotate(NewWelcomeEmail, fx.ResultTags(streamfx.RouteTag)))
//	fx.Provide(fx.Annotate(NewBookingRouter, fx.ResultTags(streamfx.RouterTag)))
const (
	// RouteTag, `group:"streamfx.routes"`, contributes a dispatcher.Route.
	RouteTag = `group:"` + routesGroup + `"`
	// RouterTag, `group:"streamfx.routers"`, contributes a
	// *dispatcher.Router.
	RouterTag = `group:"` + routersGroup + `"`
)

// AsRoute provides constructor so that the dispatcher.Route it returns is
// contributed to routesGroup; use it inside fx.Provide:
//
//	fx.Provide(streamfx.AsRoute(NewWelcomeEmail))
//
// constructor is any function returning dispatcher.Route or
// (dispatcher.Route, error); fx injects its parameters (repositories,
// clients, the logger). The route must have a Type, a Handler and a Name
// unique in the app. If constructor has another shape, fx.New fails with an
// error wrapping ErrBadConstructor that names it. fx is handed constructor
// itself, so that its errors (a missing dependency, an error returned) and
// its logs name constructor.
func AsRoute(constructor any) any {
	return annotate[dispatcher.Route](constructor, fx.Annotated{Group: routesGroup})
}

// AsRouter provides constructor so that the *dispatcher.Router it returns
// is contributed to routersGroup (the seed's include_router):
//
//	fx.Provide(streamfx.AsRouter(NewBookingRouter))
//
// constructor is any function returning *dispatcher.Router or
// (*dispatcher.Router, error). The router's routes keep their order. As
// with AsRoute, fx's errors and logs name constructor. A panic of
// constructor (Router.On with a nil handler, for example) is what a panic
// of any fx constructor is: fx.New panics, unless the app is built with
// fx.RecoverFromPanics(), which makes fx.New fail with an error naming
// constructor and quoting the panic.
func AsRouter(constructor any) any {
	return annotate[*dispatcher.Router](constructor, fx.Annotated{Group: routersGroup})
}

// annotate returns a, with constructor as its Target if it returns T or
// (T, error), else with a constructor that fails fx.New with a readable
// error. fx.Annotated hands the target to fx as it is: fx.Annotate would
// wrap it in a function made by reflect.MakeFunc, which fx's dependency
// errors name "reflect".makeFuncStub.
func annotate[T any](constructor any, a fx.Annotated) any {
	a.Target = constructor
	if err := checkConstructor(constructor, reflect.TypeFor[T]()); err != nil {
		a.Target = func() (T, error) {
			var zero T
			return zero, err
		}
	}
	return a
}

// checkConstructor reports whether c is a function returning want or
// (want, error).
func checkConstructor(c any, want reflect.Type) error {
	t := reflect.TypeOf(c)
	if t == nil || t.Kind() != reflect.Func {
		return fmt.Errorf("%w: got %T, want a function returning %v", ErrBadConstructor, c, want)
	}
	errorType := reflect.TypeFor[error]()
	ok := (t.NumOut() == 1 || t.NumOut() == 2 && t.Out(1) == errorType) && t.Out(0) == want
	if !ok {
		return fmt.Errorf("%w: %s returns %s, want %v or (%v, error)",
			ErrBadConstructor, funcName(c), resultList(t), want, want)
	}
	return nil
}

func resultList(t reflect.Type) string {
	out := make([]string, t.NumOut())
	for i := range out {
		out[i] = t.Out(i).String()
	}
	return "(" + strings.Join(out, ", ") + ")"
}

// funcName returns the package-qualified name of a function value.
func funcName(fn any) string {
	v := reflect.ValueOf(fn)
	if v.Kind() != reflect.Func || v.IsNil() {
		return fmt.Sprintf("%T", fn)
	}
	if f := runtime.FuncForPC(v.Pointer()); f != nil {
		return f.Name()
	}
	return v.Type().String()
}

// contribution is one value of a group: a single route or a router's
// routes, mounted together and in order.
type contribution struct {
	routes []dispatcher.Route
	router bool
}

// origin describes where a route came from, for error messages.
func (c contribution) origin() string {
	if !c.router {
		return "fx value group " + routesGroup
	}
	names := make([]string, len(c.routes))
	for i, r := range c.routes {
		names[i] = r.Type + ":" + r.Name
	}
	return fmt.Sprintf("a router of fx value group %s with routes [%s]", routersGroup, strings.Join(names, " "))
}

// orderRoutes validates the contributed routes and returns them in mount
// order: each contribution (a route, or a router's routes) is ordered by
// the (Type, Name) of its routes in sequence; a router's routes keep their
// order. It fails on an invalid route, a nil router or a duplicate name,
// whatever the enabled groups.
func orderRoutes(routes []dispatcher.Route, routers []*dispatcher.Router) ([]dispatcher.Route, error) {
	units := make([]contribution, 0, len(routes)+len(routers))
	for _, r := range routes {
		if missing := missingParts(r); len(missing) > 0 {
			return nil, fmt.Errorf("%w: route %q (type %q) from fx value group %s has no %s "+
				"(a route needs a Type, a Handler, or a Batch for a batch route, and a Name: routes of a value group "+
				"are unordered, a name keeps them stable across builds and retries)",
				ErrInvalidRoute, r.Name, r.Type, routesGroup, strings.Join(missing, ", no "))
		}
		units = append(units, contribution{routes: []dispatcher.Route{r}})
	}
	for _, rt := range routers {
		if rt == nil {
			return nil, fmt.Errorf("%w: nil *dispatcher.Router in fx value group %s", ErrInvalidRoute, routersGroup)
		}
		if rs := rt.Routes(); len(rs) > 0 {
			units = append(units, contribution{routes: rs, router: true})
		}
	}
	slices.SortStableFunc(units, func(a, b contribution) int {
		return slices.CompareFunc(a.routes, b.routes, func(x, y dispatcher.Route) int {
			return strings.Compare(x.Type+"\x00"+x.Name, y.Type+"\x00"+y.Name)
		})
	})
	if err := checkDuplicates(units); err != nil {
		return nil, err
	}
	var out []dispatcher.Route
	for _, u := range units {
		out = append(out, u.routes...)
	}
	return out, nil
}

// missingParts names what r lacks among a Type, a Handler (or a Batch) and
// a Name.
func missingParts(r dispatcher.Route) []string {
	var missing []string
	if r.Type == "" {
		missing = append(missing, "Type")
	}
	if r.Handler == nil && r.Batch == nil {
		missing = append(missing, "Handler")
	}
	if r.Name == "" {
		missing = append(missing, "Name")
	}
	return missing
}

// checkDuplicates fails on two named routes with the same name, naming both.
func checkDuplicates(units []contribution) error {
	type seen struct {
		route dispatcher.Route
		from  contribution
	}
	byName := map[string]seen{}
	for _, u := range units {
		for _, r := range u.routes {
			if r.Name == "" {
				continue
			}
			if first, dup := byName[r.Name]; dup {
				return fmt.Errorf("%w %q: %s from %s, and %s from %s", ErrDuplicateRoute, r.Name,
					describe(first.route), first.from.origin(), describe(r), u.origin())
			}
			byName[r.Name] = seen{r, u}
		}
	}
	return nil
}

// describe names a route by its type, group and handler.
func describe(r dispatcher.Route) string {
	group := "none"
	if r.Group != "" {
		group = strconv.Quote(r.Group)
	}
	if r.Handler == nil && r.Batch != nil {
		return fmt.Sprintf("batch route (type %q, route group %s, handler %T)", r.Type, group, r.Batch)
	}
	return fmt.Sprintf("route (type %q, route group %s, handler %s)", r.Type, group, handlerName(r.Handler))
}

// handlerName names a handler by its function (closures are named after the
// function that built them, usually the constructor) or its type.
func handlerName(h dispatcher.Handler) string {
	if fn, ok := h.(dispatcher.HandlerFunc); ok {
		return funcName(fn)
	}
	return fmt.Sprintf("%T", h)
}

// routeGroups returns the set of logical groups of routes (a route without
// a group adds none: every worker mounts it).
func routeGroups(routes []dispatcher.Route) map[string]bool {
	groups := map[string]bool{}
	for _, r := range routes {
		if r.Group != "" {
			groups[r.Group] = true
		}
	}
	return groups
}
