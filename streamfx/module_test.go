package streamfx_test

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"
	"go.uber.org/zap/zapcore"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/streamfx"
)

// TestFeatureModulesHandlePublishedMessages: two feature modules, with
// injected dependencies, handle messages published with the module's
// Publisher; routes are mounted in the documented order and messages are
// acknowledged.
func TestFeatureModulesHandlePublishedMessages(t *testing.T) {
	t.Parallel()
	rdb := startRedis(t)
	cfg := streamfx.Config{Processors: []redisstream.ProcessorConfig{fastStream("users", ""), fastStream("bookings", "")}}
	var (
		pub   *redisstream.Publisher
		d     *dispatcher.Dispatcher
		repo  *userRepo
		mails *mailer
		ps    *streamfx.Processors
	)
	app := fxtest.New(t, baseOptions(t, rdb, cfg, nil), streamfx.Module, usersModule, emailsModule,
		fx.Populate(&pub, &d, &repo, &mails, &ps))
	app.RequireStart()
	defer app.RequireStop()

	var names []string
	for _, r := range d.Routes() {
		names = append(names, r.Name)
	}
	if want := []string{"emails.booking", "emails.welcome", "users.save"}; !slices.Equal(names, want) {
		t.Errorf("mounted routes = %q, want %q", names, want)
	}
	if n := len(ps.All()); n != 2 {
		t.Errorf("processors = %d, want one per stream", n)
	}
	ctx := context.Background()
	if _, err := pub.Publish(ctx, "users", "user.registered", user{ID: "u1", Email: "ada@example.com"}); err != nil {
		t.Fatal(err)
	}
	if _, err := pub.Publish(ctx, "bookings", "booking.made", map[string]any{"email": "bob@example.com"}); err != nil {
		t.Fatal(err)
	}
	if got := receive(t, repo.saved, "the user to be saved"); got != (user{ID: "u1", Email: "ada@example.com"}) {
		t.Errorf("saved %+v", got)
	}
	got := []string{receive(t, mails.sent, "a mail"), receive(t, mails.sent, "a second mail")}
	slices.Sort(got)
	if want := []string{"booking confirmed to bob@example.com", "welcome to ada@example.com"}; !slices.Equal(got, want) {
		t.Errorf("mails = %q, want %q", got, want)
	}
	for _, s := range []string{"users", "bookings"} {
		eventually(t, "messages of "+s+" acknowledged", func() bool { return pending(t, rdb, s, streamfx.DefaultConsumerGroup) == 0 })
	}
}

// TestStopDrainsInFlightHandlers: OnStop waits for a running handler,
// which keeps a live context, and its message is acknowledged.
func TestStopDrainsInFlightHandlers(t *testing.T) {
	t.Parallel()
	rdb := startRedis(t)
	started, release, stopping := make(chan struct{}), make(chan struct{}), make(chan struct{})
	markStarted := closeOnce(started)
	var finished atomic.Bool
	slow := func() dispatcher.Route {
		return dispatcher.Route{Type: "job", Name: "jobs.slow", Handler: dispatcher.HandlerFunc(
			func(ctx context.Context, _ *dispatcher.Message) error {
				markStarted()
				<-release
				if ctx.Err() != nil {
					return ctx.Err()
				}
				finished.Store(true)
				return nil
			})}
	}
	markStopping := closeOnce(stopping)
	hook := func(e zapcore.Entry) error {
		if e.Message == "streamfx: stopping processors" {
			markStopping()
		}
		return nil
	}
	cfg := streamfx.Config{Processors: []redisstream.ProcessorConfig{fastStream("jobs", "")}}
	var pub *redisstream.Publisher
	app := fxtest.New(t, baseOptions(t, rdb, cfg, hook), streamfx.Module,
		fx.Provide(streamfx.AsRoute(slow)), fx.Populate(&pub))
	app.RequireStart()
	if _, err := pub.Publish(context.Background(), "jobs", "job", map[string]any{"n": 1}); err != nil {
		t.Fatal(err)
	}
	receive(t, started, "the handler to start")
	stopped := make(chan error, 1)
	go func() { stopped <- app.Stop(context.Background()) }()
	receive(t, stopping, "OnStop to begin")
	close(release)
	if err := receive(t, stopped, "Stop to return"); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if !finished.Load() {
		t.Fatal("Stop returned before the in-flight handler finished")
	}
	if n := pending(t, rdb, "jobs", streamfx.DefaultConsumerGroup); n != 0 {
		t.Errorf("pending after a clean stop = %d, want 0 (the drained message is acknowledged)", n)
	}
}

// TestStopDeadlineLeavesMessagePending: a handler that outlives the stop
// timeout does not block Stop past its context, and its message is not
// lost: it stays pending.
func TestStopDeadlineLeavesMessagePending(t *testing.T) {
	t.Parallel()
	rdb := startRedis(t)
	started := make(chan struct{})
	markStarted := closeOnce(started)
	stuck := func() dispatcher.Route {
		return dispatcher.Route{Type: "job", Name: "jobs.stuck", Handler: dispatcher.HandlerFunc(
			func(ctx context.Context, _ *dispatcher.Message) error {
				markStarted()
				<-ctx.Done()
				return ctx.Err()
			})}
	}
	cfg := streamfx.Config{Processors: []redisstream.ProcessorConfig{fastStream("jobs", "")}}
	var pub *redisstream.Publisher
	app := fxtest.New(t, baseOptions(t, rdb, cfg, nil), streamfx.Module, fx.Provide(streamfx.AsRoute(stuck)), fx.Populate(&pub))
	app.RequireStart()
	if _, err := pub.Publish(context.Background(), "jobs", "job", map[string]any{"n": 1}); err != nil {
		t.Fatal(err)
	}
	receive(t, started, "the handler to start")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := app.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Stop = %v, want context.DeadlineExceeded", err)
	}
	if n := pending(t, rdb, "jobs", streamfx.DefaultConsumerGroup); n != 1 {
		t.Errorf("pending = %d, want 1: an unfinished message stays pending", n)
	}
}

// TestRouteGroupsMountOnlySelectedRoutes: a partial worker mounts the
// routes of its groups only, consuming with its own consumer group.
func TestRouteGroupsMountOnlySelectedRoutes(t *testing.T) {
	t.Parallel()
	rdb := startRedis(t)
	cfg := streamfx.Config{
		Processors:  []redisstream.ProcessorConfig{fastStream("users", "emails-worker")},
		RouteGroups: []string{"emails"},
	}
	var (
		pub   *redisstream.Publisher
		d     *dispatcher.Dispatcher
		repo  *userRepo
		mails *mailer
	)
	app := fxtest.New(t, baseOptions(t, rdb, cfg, nil), streamfx.Module, usersModule, emailsModule,
		fx.Populate(&pub, &d, &repo, &mails))
	app.RequireStart()
	defer app.RequireStop()
	var names []string
	for _, r := range d.Routes() {
		names = append(names, r.Name)
	}
	if want := []string{"emails.booking", "emails.welcome"}; !slices.Equal(names, want) {
		t.Fatalf("mounted routes = %q, want %q", names, want)
	}
	if _, err := pub.Publish(context.Background(), "users", "user.registered", user{ID: "u2", Email: "cy@example.com"}); err != nil {
		t.Fatal(err)
	}
	if got := receive(t, mails.sent, "the welcome mail"); got != "welcome to cy@example.com" {
		t.Errorf("mail = %q", got)
	}
	eventually(t, "the message acknowledged", func() bool { return pending(t, rdb, "users", "emails-worker") == 0 })
	if len(repo.saved) != 0 {
		t.Error("the users route ran in an emails-only worker")
	}
}

// TestRouteMiddleware: middleware given with AsMiddleware wraps every route.
func TestRouteMiddleware(t *testing.T) {
	t.Parallel()
	rdb := startRedis(t)
	seen := make(chan string, 4)
	mw := func() []dispatcher.RouteMiddleware {
		return []dispatcher.RouteMiddleware{func(r dispatcher.Route) dispatcher.Middleware {
			return func(next dispatcher.Handler) dispatcher.Handler {
				return dispatcher.HandlerFunc(func(ctx context.Context, m *dispatcher.Message) error {
					seen <- r.Name + " " + m.Type
					return next.Handle(ctx, m)
				})
			}
		}}
	}
	cfg := streamfx.Config{Processors: []redisstream.ProcessorConfig{fastStream("users", "")}}
	var pub *redisstream.Publisher
	app := fxtest.New(t, baseOptions(t, rdb, cfg, nil), streamfx.Module, usersModule,
		fx.Provide(streamfx.AsMiddleware(mw)), fx.Populate(&pub))
	app.RequireStart()
	defer app.RequireStop()
	if _, err := pub.Publish(context.Background(), "users", "user.registered", user{ID: "u3"}); err != nil {
		t.Fatal(err)
	}
	if got := receive(t, seen, "the middleware to run"); got != "users.save user.registered" {
		t.Errorf("middleware saw %q", got)
	}
}

// TestFatalProcessorErrorShutsDownTheApp: when a processor dies (here the
// stream key is replaced by a string), the app is shut down with exit code
// 1 instead of running on without consuming.
func TestFatalProcessorErrorShutsDownTheApp(t *testing.T) {
	t.Parallel()
	rdb := startRedis(t)
	cfg := streamfx.Config{Processors: []redisstream.ProcessorConfig{fastStream("users", "")}}
	app := fxtest.New(t, baseOptions(t, rdb, cfg, nil), streamfx.Module, usersModule)
	app.RequireStart()
	defer app.RequireStop()
	ctx := context.Background()
	if _, err := rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, "users")
		p.Set(ctx, "users", "not a stream", 0)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	sig := receive(t, app.Wait(), "the app to shut down")
	if sig.ExitCode != 1 {
		t.Errorf("exit code = %d, want 1", sig.ExitCode)
	}
}
