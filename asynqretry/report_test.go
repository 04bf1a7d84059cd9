package asynqretry_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/streamfx/streamfx/asynqretry"
	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/internal/redistest"
)

// TestRetriesAndDeadLettersAreLogged: the library itself logs every failure
// handed to asynq, once each: each stored retry at warn level with the
// route, stream, entry ID, attempt, next run and error, and the dead letter
// at error level.
func TestRetriesAndDeadLettersAreLogged(t *testing.T) {
	t.Parallel()
	core, logs := observer.New(zapcore.DebugLevel)
	cfg := fastConfig()
	cfg.MaxAttempts, cfg.Logger = 3, zap.New(core)
	e := newEnv(t, cfg, func(d *dispatcher.Dispatcher, runs *recorder) {
		route(d, runs, "order.paid", "flaky", func(int) error { return errors.New("card service down") })
	})
	id, _ := deliver(t, e.rdb, e.d, "orders", map[string]any{"type": "order.paid"})
	waitFor(t, "the dead letter", func() bool { return len(e.deadLetters(t, "orders")) == 1 })
	waitFor(t, "the dead letter logged", func() bool { return logs.FilterMessage("route dead-lettered").Len() == 1 })

	retries := logs.FilterMessage("route failed; retry scheduled").All()
	if len(retries) != 2 {
		t.Fatalf("%d retry logs, want 2 (after runs 1 and 2)", len(retries))
	}
	for i, r := range retries {
		f := r.ContextMap()
		if r.Level != zapcore.WarnLevel || f["route"] != "flaky" || f["stream"] != "orders" || f["id"] != id ||
			f["attempt"] != int64(i+1) || f["error"] != "card service down" || f["next_run"] == nil {
			t.Errorf("retry log %d = %s %v", i, r.Level, f)
		}
	}
	dead := logs.FilterMessage("route dead-lettered").All()[0]
	if f := dead.ContextMap(); dead.Level != zapcore.ErrorLevel || f["route"] != "flaky" || f["id"] != id || f["attempts"] != int64(3) {
		t.Errorf("dead-letter log = %s %v", dead.Level, f)
	}
	if n := logs.FilterLevelExact(zapcore.ErrorLevel).Len(); n != 1 {
		t.Errorf("%d error logs, want the one dead letter: %v", n, logs.FilterLevelExact(zapcore.ErrorLevel).All())
	}
}

// TestStartSaysWhatRedisAnswered: a refused connection (wrong password, DB
// index out of range) is reported with Redis's answer, not as an
// unreachable Redis.
func TestStartSaysWhatRedisAnswered(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	if err := srv.Client(t).ConfigSet(context.Background(), "requirepass", "secret").Err(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts redis.Options
		want []string
	}{
		{"wrong password", redis.Options{Addr: srv.Addr, Password: "wrong"}, []string{"Redis refused", "WRONGPASS"}},
		{"DB index", redis.Options{Addr: srv.Addr, Password: "secret", DB: 99}, []string{"Redis refused", "DB index is out of range"}},
		{"nobody listening", redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(redistest.FreePort(t)), MaxRetries: -1}, []string{"Redis unreachable"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rdb := redis.NewClient(&tt.opts)
			t.Cleanup(func() { _ = rdb.Close() })
			sched, err := asynqretry.NewScheduler(rdb, fastConfig())
			if err != nil {
				t.Fatal(err)
			}
			s, err := asynqretry.NewServer(rdb, dispatcher.New(dispatcher.Config{}), sched)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err = s.Start(ctx)
			if err == nil {
				_ = s.Shutdown(ctx)
				t.Fatal("Start succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Start = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

// TestConfigNamesTheNegativeField: a negative MaxAttempts (or other limit)
// is refused with an error that names it.
func TestConfigNamesTheNegativeField(t *testing.T) {
	t.Parallel()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never used
	t.Cleanup(func() { _ = rdb.Close() })
	_, err := asynqretry.NewScheduler(rdb, asynqretry.Config{MaxAttempts: -1})
	if !errors.Is(err, asynqretry.ErrInvalidConfig) || !strings.Contains(err.Error(), "MaxAttempts is negative") {
		t.Errorf("NewScheduler = %v, want ErrInvalidConfig naming MaxAttempts", err)
	}
}

// TestSubSecondBackoffWarns: asynq keeps due times in whole seconds, so a
// Backoff under a second gets a warning; the default backoff does not.
func TestSubSecondBackoffWarns(t *testing.T) {
	t.Parallel()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never used
	t.Cleanup(func() { _ = rdb.Close() })
	for _, tt := range []struct {
		name    string
		backoff func(int) time.Duration
		warns   int
	}{
		{"300ms", func(int) time.Duration { return 300 * time.Millisecond }, 1},
		{"default", nil, 0},
		{"2s", func(int) time.Duration { return 2 * time.Second }, 0},
	} {
		core, logs := observer.New(zapcore.WarnLevel)
		if _, err := asynqretry.NewScheduler(rdb, asynqretry.Config{Backoff: tt.backoff, Logger: zap.New(core)}); err != nil {
			t.Fatal(err)
		}
		if n := logs.FilterMessageSnippet("under a second").Len(); n != tt.warns {
			t.Errorf("%s: %d warnings, want %d", tt.name, n, tt.warns)
		}
	}
}

// TestBackoffBeyondMarkerTTLWarns: a retry that may wait longer than
// MarkerTTL gets a warning (the marker of a route that completed meanwhile
// would be gone); the defaults, a longer MarkerTTL, or no retry at all
// (MaxAttempts 1) do not.
func TestBackoffBeyondMarkerTTLWarns(t *testing.T) {
	t.Parallel()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never used
	t.Cleanup(func() { _ = rdb.Close() })
	grows := func(attempt int) time.Duration { return time.Duration(attempt) * 10 * time.Minute }
	for _, tt := range []struct {
		name  string
		cfg   asynqretry.Config
		warns int
	}{
		{"defaults", asynqretry.Config{}, 0},
		{"fourth delay 40m, MarkerTTL 15m", asynqretry.Config{Backoff: grows, MaxAttempts: 5}, 1},
		{"second delay 20m, MarkerTTL 15m", asynqretry.Config{Backoff: grows, MaxAttempts: 3}, 1},
		{"first delay 10m only, MarkerTTL 15m", asynqretry.Config{Backoff: grows, MaxAttempts: 2}, 0},
		{"fourth delay 40m, MarkerTTL 1h", asynqretry.Config{Backoff: grows, MaxAttempts: 5, MarkerTTL: time.Hour}, 0},
		{"no retry", asynqretry.Config{Backoff: grows, MaxAttempts: 1, MarkerTTL: time.Minute}, 0},
	} {
		core, logs := observer.New(zapcore.WarnLevel)
		tt.cfg.Logger = zap.New(core)
		if _, err := asynqretry.NewScheduler(rdb, tt.cfg); err != nil {
			t.Fatal(err)
		}
		if n := logs.FilterMessageSnippet("longer than MarkerTTL").Len(); n != tt.warns {
			t.Errorf("%s: %d warnings, want %d", tt.name, n, tt.warns)
		}
	}
}
