// Command minimal is the smallest complete streamfx application: the one in
// the README, kept here so that it compiles (a test checks that the README
// shows this exact code). It needs a Redis server on localhost:6379.
package main

import (
	"context"

	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/streamfx"
)

// User is the payload of a "user.registered" event.
type User struct {
	ID    int64  `json:"id"`
	Email string `json:"email"`
}

// NewWelcomeRoute builds a route; fx injects its parameters.
func NewWelcomeRoute(log *zap.Logger) dispatcher.Route {
	return dispatcher.Route{
		Type: "user.registered",
		Name: "emails.welcome", // stable: retries find the route by name
		Handler: dispatcher.Typed(func(ctx context.Context, msg *dispatcher.Message, u User) error {
			log.Info("welcome email", zap.String("to", u.Email), zap.String("id", msg.ID))
			return nil // nil acks; an error retries; dispatcher.Permanent(err) dead-letters
		}),
	}
}

// NewAuditRoute builds a second route for the same event type.
func NewAuditRoute(log *zap.Logger) dispatcher.Route {
	return dispatcher.Route{
		Type: "user.registered",
		Name: "audit.user_registered",
		Handler: dispatcher.HandlerFunc(func(ctx context.Context, msg *dispatcher.Message) error {
			log.Info("audit", zap.String("type", msg.Type), zap.Int("attempt", msg.Attempt))
			return nil
		}),
	}
}

func main() {
	fx.New(
		fx.Provide(
			zap.NewDevelopment,
			func() redis.UniversalClient { return redis.NewClient(&redis.Options{Addr: "localhost:6379"}) },
			func() streamfx.Config {
				return streamfx.Config{Processors: []redisstream.ProcessorConfig{{Streams: []string{"users"}, Group: "emails"}}}
			},
			// A route contributed to streamfx's value group by hand (the tag is
			// also the constant streamfx.RouteTag)...
			fx.Annotate(NewWelcomeRoute, fx.ResultTags(`group:"streamfx.routes"`)),
			// ...and the same in one line.
			streamfx.AsRoute(NewAuditRoute),
		),
		streamfx.Module,
	).Run()
}
