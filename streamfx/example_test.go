package streamfx_test

import (
	"context"
	"fmt"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/fx/fxevent"
	"go.uber.org/zap"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/streamfx"
)

// The smallest complete app: the app provides the Redis client, the logger
// and the config; a feature contributes one route; the module consumes the
// stream between Start and Stop. (miniredis stands in for Redis so that the
// example runs anywhere; use a real server in production.)
func Example() {
	mr := miniredis.NewMiniRedis()
	if err := mr.Start(); err != nil {
		panic(err)
	}
	defer mr.Close()

	welcomed := make(chan string, 1)
	newWelcomeRoute := func(log *zap.Logger) dispatcher.Route {
		return dispatcher.Route{
			Type: "user.registered", Name: "emails.welcome",
			Handler: dispatcher.Typed(func(_ context.Context, _ *dispatcher.Message, u struct {
				Email string `json:"email"`
			}) error {
				log.Info("welcome mail", zap.String("to", u.Email))
				welcomed <- u.Email
				return nil
			}),
		}
	}

	app := fx.New(
		// fx's own events go to the app's zap logger.
		fx.WithLogger(func(log *zap.Logger) fxevent.Logger { return &fxevent.ZapLogger{Logger: log} }),
		fx.Provide(
			zap.NewNop, // zap.NewProduction in a real app
			func(lc fx.Lifecycle) redis.UniversalClient {
				rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
				lc.Append(fx.StopHook(rdb.Close)) // the app owns the client
				return rdb
			},
		),
		fx.Supply(streamfx.Config{Processors: []redisstream.ProcessorConfig{{Streams: []string{"users"}, Block: 50 * time.Millisecond}}}),
		streamfx.Module,
		fx.Provide(streamfx.AsRoute(newWelcomeRoute)),
		fx.Invoke(func(lc fx.Lifecycle, pub *redisstream.Publisher) {
			lc.Append(fx.StartHook(func(ctx context.Context) error {
				_, err := pub.Publish(ctx, "users", "user.registered", map[string]any{"email": "ada@example.com"})
				return err
			}))
		}),
	)
	ctx := context.Background()
	if err := app.Start(ctx); err != nil {
		panic(err)
	}
	fmt.Println("welcomed", <-welcomed)
	if err := app.Stop(ctx); err != nil {
		panic(err)
	}
	// Output: welcomed ada@example.com
}

// LoadConfig reads the documented variables from "KEY=value" entries;
// ConfigFromEnv does the same from the process environment.
func ExampleLoadConfig() {
	cfg, err := streamfx.LoadConfig("STREAMFX", []string{
		"STREAMFX_STREAMS=orders,emails",
		"STREAMFX_CONSUMER_GROUP=billing-worker",
		"STREAMFX_ROUTE_GROUPS=billing",
		"STREAMFX_MIN_IDLE=1m",
	})
	if err != nil {
		panic(err)
	}
	for _, p := range cfg.Processors {
		fmt.Println(p.Streams, p.Group, p.MinIdle)
	}
	fmt.Println(cfg.RouteGroups)

	_, err = streamfx.LoadConfig("STREAMFX", []string{"STREAMFX_BLOCK=2", "STREAMFX_MIN_IDLE=-1s"})
	fmt.Println(err)
	// Output:
	// [orders] billing-worker 1m0s
	// [emails] billing-worker 1m0s
	// [billing]
	// streamfx: invalid config: STREAMFX_BLOCK="2" is not a duration (use Go syntax such as 500ms, 2s, 1m30s)
	// streamfx: invalid config: STREAMFX_MIN_IDLE="-1s" is negative
}

// The annotation that AsRoute writes, by hand: both forms feed the same
// value group.
func ExampleAsRoute() {
	newWelcome := func() dispatcher.Route {
		return dispatcher.Route{Type: "user.registered", Name: "emails.welcome",
			Handler: dispatcher.HandlerFunc(func(context.Context, *dispatcher.Message) error { return nil })}
	}
	newAudit := func() dispatcher.Route {
		return dispatcher.Route{Type: "user.registered", Name: "audit.log",
			Handler: dispatcher.HandlerFunc(func(context.Context, *dispatcher.Message) error { return nil })}
	}
	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"}) // connects only when used: never here
	defer rdb.Close()
	var d *dispatcher.Dispatcher
	app := fx.New(fx.NopLogger,
		fx.Provide(
			streamfx.AsRoute(newWelcome),
			fx.Annotate(newAudit, fx.ResultTags(`group:"streamfx.routes"`)),
			zap.NewNop,
			func() redis.UniversalClient { return rdb },
		),
		fx.Supply(streamfx.Config{Processors: []redisstream.ProcessorConfig{{Streams: []string{"users"}}}}),
		streamfx.Module, // built, not started: nothing connects to Redis
		fx.Populate(&d),
	)
	if err := app.Err(); err != nil {
		panic(err)
	}
	for _, r := range d.Routes() { // sorted by type, then name
		fmt.Println(r.Name)
	}
	// Output:
	// audit.log
	// emails.welcome
}
