package metrics_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/metrics"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
)

// newDispatcher returns a registry, the metrics registered on it, and a
// Dispatcher whose routes are measured.
func newDispatcher(t *testing.T, retry dispatcher.RetryScheduler) (*prometheus.Registry, *metrics.Metrics, *dispatcher.Dispatcher) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	d := dispatcher.New(dispatcher.Config{Retry: retry, Middleware: []dispatcher.RouteMiddleware{m.Middleware()}})
	d.OnFunc("order.paid", func(_ context.Context, msg *dispatcher.Message) error {
		switch msg.Fields["mode"] {
		case "permanent":
			return dispatcher.Permanent(errors.New("bad order"))
		case "transient":
			return errors.New("database down")
		case "panic":
			panic("boom")
		}
		return nil
	}, dispatcher.Named("ledger"))
	return reg, m, d
}

func msg(id, typ, mode string) *dispatcher.Message {
	fields := map[string]string{"mode": mode}
	if typ != "" {
		fields["type"] = typ
	}
	m := dispatcher.NewMessage("orders", id, fields)
	m.ConsumerGroup = "workers" // as the Processor sets it
	return m
}

// process dispatches msgs and reports every outcome, as the Processor does.
func process(d *dispatcher.Dispatcher, m *metrics.Metrics, msgs ...*dispatcher.Message) {
	for _, x := range msgs {
		m.ObserveOutcome(x, d.Process(context.Background(), x))
	}
}

func TestScenarioHandledFailedDeadLettered(t *testing.T) {
	t.Parallel()
	reg, m, d := newDispatcher(t, nil)
	process(d, m,
		msg("1-0", "order.paid", ""), msg("2-0", "order.paid", ""), msg("3-0", "order.paid", ""),
		msg("4-0", "order.paid", "permanent"),
	)
	const want = `
# HELP streamfx_messages_dead_lettered_total Route failures written to a dead-letter stream.
# TYPE streamfx_messages_dead_lettered_total counter
streamfx_messages_dead_lettered_total{consumer_group="workers",route="ledger",stream="orders",type="order.paid"} 1
# HELP streamfx_messages_failed_total Route runs that returned an error or panicked.
# TYPE streamfx_messages_failed_total counter
streamfx_messages_failed_total{consumer_group="workers",route="ledger",stream="orders",type="order.paid"} 1
# HELP streamfx_messages_handled_total Route runs that returned nil.
# TYPE streamfx_messages_handled_total counter
streamfx_messages_handled_total{consumer_group="workers",route="ledger",stream="orders",type="order.paid"} 3
`
	err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"streamfx_messages_handled_total", "streamfx_messages_failed_total", "streamfx_messages_dead_lettered_total",
		"streamfx_messages_retried_total", "streamfx_messages_unroutable_total")
	if err != nil {
		t.Fatal(err)
	}
	if got := histogramCount(t, reg); got != 4 {
		t.Fatalf("handler_duration_seconds count = %d, want 4 (one per route run)", got)
	}
}

func TestOutcomes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		retry  dispatcher.RetryScheduler
		msgs   []*dispatcher.Message
		metric string
		want   string
	}{
		{
			name: "panic counts as failure", msgs: []*dispatcher.Message{msg("1-0", "order.paid", "panic")},
			metric: "streamfx_messages_failed_total",
			want:   `streamfx_messages_failed_total{consumer_group="workers",route="ledger",stream="orders",type="order.paid"} 1`,
		},
		{
			name: "left pending without scheduler", msgs: []*dispatcher.Message{msg("1-0", "order.paid", "transient")},
			metric: "streamfx_messages_retried_total",
			want:   `streamfx_messages_retried_total{consumer_group="workers",route="ledger",stream="orders",type="order.paid"} 1`,
		},
		{
			name: "schedule failure leaves pending", retry: &fakeScheduler{err: errors.New("asynq down")},
			msgs:   []*dispatcher.Message{msg("1-0", "order.paid", "transient")},
			metric: "streamfx_messages_retried_total",
			want:   `streamfx_messages_retried_total{consumer_group="workers",route="ledger",stream="orders",type="order.paid"} 1`,
		},
		{
			name: "unknown type and no type", msgs: []*dispatcher.Message{msg("1-0", "attacker.chosen", ""), msg("2-0", "", "")},
			metric: "streamfx_messages_unroutable_total",
			want: `streamfx_messages_unroutable_total{consumer_group="workers",reason="no_route",stream="orders"} 1
streamfx_messages_unroutable_total{consumer_group="workers",reason="no_type",stream="orders"} 1`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			reg, m, d := newDispatcher(t, tc.retry)
			process(d, m, tc.msgs...)
			want := "# HELP " + tc.metric + " " + help(t, reg, tc.metric) + "\n# TYPE " + tc.metric + " counter\n" + tc.want + "\n"
			if err := testutil.GatherAndCompare(reg, strings.NewReader(want), tc.metric); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestDeadLetteredUnroutableUsesUnknownType(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	d := dispatcher.New(dispatcher.Config{DeadLetterUnroutable: true, Middleware: []dispatcher.RouteMiddleware{m.Middleware()}})
	d.OnFunc("known", func(context.Context, *dispatcher.Message) error { return nil })
	process(d, m, msg("1-0", "attacker.chosen.type", ""))
	m.DeadLettered(msg("2-0", "known", ""), "ghost-route") // a route never mounted
	m.ObserveOutcome(msg("3-0", "", ""), dispatcher.Outcome{Action: dispatcher.DeadLetter,
		Failures: []dispatcher.RouteFailure{{Err: redisstream.ErrMessageTooLarge}}})
	// A known type dead-lettered unrun, after too many deliveries: a dead
	// letter, not an unroutable entry.
	m.ObserveOutcome(msg("4-0", "known", ""), dispatcher.Outcome{Action: dispatcher.DeadLetter,
		Failures: []dispatcher.RouteFailure{{Err: redisstream.ErrTooManyDeliveries}}})
	const want = `
# HELP streamfx_messages_dead_lettered_total Route failures written to a dead-letter stream.
# TYPE streamfx_messages_dead_lettered_total counter
streamfx_messages_dead_lettered_total{consumer_group="workers",route="",stream="orders",type="unknown"} 3
streamfx_messages_dead_lettered_total{consumer_group="workers",route="unknown",stream="orders",type="unknown"} 1
# HELP streamfx_messages_unroutable_total Stream entries no route could take.
# TYPE streamfx_messages_unroutable_total counter
streamfx_messages_unroutable_total{consumer_group="workers",reason="no_route",stream="orders"} 1
streamfx_messages_unroutable_total{consumer_group="workers",reason="too_large",stream="orders"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"streamfx_messages_dead_lettered_total", "streamfx_messages_unroutable_total"); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, x := range mf.GetMetric() {
			for _, l := range x.GetLabel() {
				if strings.Contains(l.GetValue(), "attacker") {
					t.Fatalf("%s: label %s=%q came from message input", mf.GetName(), l.GetName(), l.GetValue())
				}
			}
		}
	}
}

func TestReclaimed(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	m.Reclaimed("g", "orders", 3)
	m.Reclaimed("g", "orders", 0)
	m.Reclaimed("g", "orders", 2)
	m.Reclaimed("h", "orders", 1)
	const want = `
# HELP streamfx_messages_reclaimed_total Pending entries reclaimed from idle consumers.
# TYPE streamfx_messages_reclaimed_total counter
streamfx_messages_reclaimed_total{consumer_group="g",stream="orders"} 5
streamfx_messages_reclaimed_total{consumer_group="h",stream="orders"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "streamfx_messages_reclaimed_total"); err != nil {
		t.Fatal(err)
	}
}

func TestNewRegistration(t *testing.T) {
	t.Parallel()
	if _, err := metrics.New(nil); !errors.Is(err, metrics.ErrNilRegisterer) {
		t.Fatalf("New(nil) error = %v, want ErrNilRegisterer", err)
	}
	reg := prometheus.NewRegistry()
	if _, err := metrics.New(reg); err != nil {
		t.Fatal(err)
	}
	var are prometheus.AlreadyRegisteredError
	if _, err := metrics.New(reg); !errors.As(err, &are) {
		t.Fatalf("second Metrics on one registry: error = %v, want AlreadyRegisteredError", err)
	}
	// A failed New leaves nothing registered: the handled counter, registered
	// before the conflicting reclaimed counter, can be registered again.
	reg2 := prometheus.NewRegistry()
	reg2.MustRegister(prometheus.NewCounter(prometheus.CounterOpts{Name: "streamfx_messages_reclaimed_total", Help: "x"}))
	if _, err := metrics.New(reg2); err == nil {
		t.Fatal("New succeeded over a conflicting collector")
	}
	same := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "streamfx", Name: "messages_handled_total", Help: "Route runs that returned nil.",
	}, []string{"consumer_group", "stream", "type", "route"})
	if err := reg2.Register(same); err != nil {
		t.Fatalf("handled counter left registered by a failed New: %v", err)
	}
}

type fakeScheduler struct{ err error }

func (f *fakeScheduler) ScheduleRetry(context.Context, dispatcher.RetryRequest) error { return f.err }

func help(t *testing.T, reg *prometheus.Registry, name string) string {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetHelp()
		}
	}
	t.Fatalf("metric %s not gathered", name)
	return ""
}

func histogramCount(t *testing.T, reg *prometheus.Registry) uint64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	for _, mf := range mfs {
		if mf.GetName() == "streamfx_handler_duration_seconds" {
			for _, x := range mf.GetMetric() {
				n += x.GetHistogram().GetSampleCount()
			}
		}
	}
	return n
}
