package streamfx

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/streamfx/streamfx/dispatcher/redisstream"
)

// fakeRunner stands in for a redisstream.Processor.
type fakeRunner struct {
	name     string
	startErr error
	stopErr  error

	mu      sync.Mutex
	done    chan struct{}
	err     error
	started bool
	stopped bool
}

func newFakeRunner(name string) *fakeRunner {
	return &fakeRunner{name: name, done: make(chan struct{})}
}

func (f *fakeRunner) Start(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.started = f.startErr == nil
	return f.startErr
}

func (f *fakeRunner) Shutdown(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.stopped {
		f.stopped = true
		close(f.done)
	}
	return f.stopErr
}

// fail stops the runner with a fatal error, as the engine does.
func (f *fakeRunner) fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err, f.stopped = err, true
	close(f.done)
}

func (f *fakeRunner) Done() <-chan struct{} { return f.done }

func (f *fakeRunner) Err() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

func (f *fakeRunner) state() (started, stopped bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.started, f.stopped
}

func (f *fakeRunner) Config() redisstream.ProcessorConfig {
	return redisstream.ProcessorConfig{Streams: []string{f.name}, Group: "g-" + f.name, Consumer: "c1"}
}

// startFakes runs Processors over fake runners inside a real fx app, so the
// real fx.Shutdowner is used.
func startFakes(t *testing.T, runners ...runner) (*fxtest.App, *Processors, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zapcore.InfoLevel)
	var ps *Processors
	app := fxtest.New(t, fx.NopLogger, fx.Invoke(func(lc fx.Lifecycle, s fx.Shutdowner) {
		ps = &Processors{runners: runners, log: zap.New(core), shutdowner: s, stop: make(chan struct{})}
		lc.Append(fx.Hook{OnStart: ps.Start, OnStop: ps.Shutdown})
	}))
	return app, ps, logs
}

func TestFatalProcessorErrorShutsTheAppDown(t *testing.T) {
	t.Parallel()
	a, b := newFakeRunner("orders"), newFakeRunner("emails")
	app, _, logs := startFakes(t, a, b)
	app.RequireStart()
	b.fail(errors.New("WRONGTYPE boom"))
	select {
	case sig := <-app.Wait():
		if sig.ExitCode != 1 {
			t.Errorf("exit code = %d, want 1", sig.ExitCode)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the app was not shut down after a fatal processor error")
	}
	app.RequireStop()
	entries := logs.FilterMessageSnippet("fatal error").All()
	if len(entries) != 1 {
		t.Fatalf("fatal log lines = %d, want 1", len(entries))
	}
	f := entries[0].ContextMap()
	if f["stream"] != "emails" || f["consumer_group"] != "g-emails" || f["consumer"] != "c1" ||
		!strings.Contains(f["error"].(string), "processor failed: WRONGTYPE boom") {
		t.Errorf("log fields = %v", f)
	}
	if _, stopped := a.state(); !stopped {
		t.Error("the healthy processor was not shut down by OnStop")
	}
}

func TestCleanStopIsNotFatal(t *testing.T) {
	t.Parallel()
	a := newFakeRunner("orders")
	app, _, logs := startFakes(t, a)
	app.RequireStart()
	shutdown := app.Wait()
	app.RequireStop()
	// Shutdown waits for the watchers, so a Shutdown call would have happened.
	select {
	case sig := <-shutdown:
		t.Fatalf("app shut itself down after a clean stop: %v", sig)
	default:
	}
	if n := logs.FilterMessage("streamfx: processor stopped").Len(); n != 1 {
		t.Errorf("stop log lines = %d, want 1", n)
	}
}

func TestStartFailureStopsStartedProcessors(t *testing.T) {
	t.Parallel()
	a, b := newFakeRunner("orders"), newFakeRunner("emails")
	b.startErr = errors.New("connection refused")
	app, _, _ := startFakes(t, a, b)
	err := app.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), `start processor of streams ["emails"]`) ||
		!strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("Start = %v, want an error naming the stream", err)
	}
	if started, stopped := a.state(); !started || !stopped {
		t.Errorf("first processor started=%v stopped=%v, want both", started, stopped)
	}
}

func TestShutdownReportsEveryFailure(t *testing.T) {
	t.Parallel()
	a, b := newFakeRunner("orders"), newFakeRunner("emails")
	a.stopErr, b.stopErr = context.DeadlineExceeded, context.DeadlineExceeded
	app, ps, _ := startFakes(t, a, b)
	app.RequireStart()
	err := app.Stop(context.Background())
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), `"orders"`) ||
		!strings.Contains(err.Error(), `"emails"`) {
		t.Fatalf("Stop = %v, want both processors' deadline errors", err)
	}
	if err := ps.Shutdown(context.Background()); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second Shutdown = %v", err)
	}
}
