package streamfx_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/fx/fxevent"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/redistest"
	"github.com/streamfx/streamfx/internal/streamtest"
	"github.com/streamfx/streamfx/streamfx"
)

// Two feature modules, as an application would write them: each owns a
// dependency (a repository, a mailer) that fx injects into its routes.

type user struct {
	ID    string `json:"id"`
	Email string `json:"email"`
}

// userRepo is the users feature's repository.
type userRepo struct {
	saved chan user
}

func newUserRepo() *userRepo { return &userRepo{saved: make(chan user, 16)} }

func (r *userRepo) Save(_ context.Context, u user) error {
	r.saved <- u
	return nil
}

func newSaveUserRoute(repo *userRepo) dispatcher.Route {
	return dispatcher.Route{
		Type: "user.registered", Name: "users.save", Group: "users",
		Handler: dispatcher.Typed(func(ctx context.Context, _ *dispatcher.Message, u user) error {
			return repo.Save(ctx, u)
		}),
	}
}

// usersModule contributes its route with AsRoute.
var usersModule = fx.Module("users",
	fx.Provide(newUserRepo, streamfx.AsRoute(newSaveUserRoute)),
)

// mailer is the emails feature's client.
type mailer struct {
	log  *zap.Logger
	sent chan string
}

func newMailer(log *zap.Logger) *mailer { return &mailer{log: log, sent: make(chan string, 16)} }

func (m *mailer) Send(_ context.Context, to, subject string) error {
	m.log.Debug("mail sent", zap.String("to", to))
	m.sent <- subject + " to " + to
	return nil
}

func newWelcomeEmailRoute(m *mailer) dispatcher.Route {
	return dispatcher.Route{
		Type: "user.registered", Name: "emails.welcome", Group: "emails",
		Handler: dispatcher.Typed(func(ctx context.Context, _ *dispatcher.Message, u user) error {
			return m.Send(ctx, u.Email, "welcome")
		}),
	}
}

func newBookingRouter(m *mailer) *dispatcher.Router {
	r := dispatcher.NewRouter()
	r.On("booking.made", dispatcher.Typed(func(ctx context.Context, _ *dispatcher.Message, b struct {
		Email string `json:"email"`
	}) error {
		return m.Send(ctx, b.Email, "booking confirmed")
	}), dispatcher.Named("emails.booking"), dispatcher.InGroup("emails"))
	return r
}

// emailsModule writes the annotation by hand for one route and uses
// AsRouter for a router.
var emailsModule = fx.Module("emails",
	fx.Provide(
		newMailer,
		fx.Annotate(newWelcomeEmailRoute, fx.ResultTags(`group:"streamfx.routes"`)),
		streamfx.AsRouter(newBookingRouter),
	),
)

// fastStream returns a stream config with short intervals for tests.
func fastStream(name, group string) redisstream.ProcessorConfig {
	return redisstream.ProcessorConfig{
		Streams: []string{name}, Group: group, Consumer: "test-consumer",
		Block: 50 * time.Millisecond, MinIdle: 300 * time.Millisecond, ReclaimInterval: 50 * time.Millisecond,
	}
}

// baseOptions supplies what Module requires from the app: the Redis
// client, the logger (with a hook, may be nil) and the config.
func baseOptions(t *testing.T, rdb redis.UniversalClient, cfg streamfx.Config, hook func(zapcore.Entry) error) fx.Option {
	opts := []zap.Option{}
	if hook != nil {
		opts = append(opts, zap.Hooks(hook))
	}
	log := zaptest.NewLogger(t, zaptest.Level(zapcore.InfoLevel), zaptest.WrapOptions(opts...))
	return fx.Options(
		fx.Supply(cfg),
		fx.Provide(
			func() redis.UniversalClient { return rdb },
			func() *zap.Logger { return log },
		),
		fx.WithLogger(func(log *zap.Logger) fxevent.Logger {
			l := &fxevent.ZapLogger{Logger: log}
			l.UseLogLevel(zapcore.DebugLevel)
			return l
		}),
	)
}

// startRedis starts a redis-server for the test and returns a client.
func startRedis(t *testing.T) *redis.Client {
	t.Helper()
	return redistest.Start(t).Client(t)
}

const waitTimeout = 15 * time.Second

// receive waits for one value from ch.
func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitTimeout):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// eventually polls cond until it holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	streamtest.Eventually(t, waitTimeout, what, cond)
}

// pending returns the number of pending entries of a stream's group.
func pending(t *testing.T, rdb redis.UniversalClient, stream, group string) int64 {
	t.Helper()
	return streamtest.Pending(t, rdb, stream, group)
}

// closeOnce closes ch the first time it is called.
func closeOnce(ch chan struct{}) func() {
	var once sync.Once
	return func() { once.Do(func() { close(ch) }) }
}
