// Package middleware holds ready-made dispatcher middleware: Recover, Timeout
// and Logging. Each is independent; none is required.
//
// # Order
//
// A route's handler is wrapped, from the outside in, by:
//
//  1. dispatcher.Config.Middleware (RouteMiddleware, such as Logging), the
//     first listed outermost;
//  2. the middleware of its Router (Router.Use), the first listed outermost;
//  3. the middleware of the route itself (dispatcher.WithMiddleware);
//  4. the handler.
//
// The recommended order is Logging, then Recover, then Timeout:
//
//	d := dispatcher.New(dispatcher.Config{
//		Middleware: []dispatcher.RouteMiddleware{middleware.Logging(logger)},
//	})
//	r := dispatcher.NewRouter()
//	r.Use(middleware.Recover, middleware.Timeout(5*time.Second))
//
// Logging is outermost so that it times and reports everything inside it.
// A Dispatcher already recovers panics around each route, outside all of its
// middleware; Recover inside Logging lets Logging see a panic as an error,
// and Recover is needed on its own only when handlers run without a
// Dispatcher. Timeout is innermost so that the deadline applies to the
// handler alone.
package middleware
