package streamfx_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/streamfx"
	"github.com/streamfx/streamfx/streamfx/fxmetrics"
)

// TestPartitionedFromEnv checks that STREAMFX_PARTITIONS makes every stream
// of STREAMFX_STREAMS a partitioned stream, with the other variables as
// its settings, and that Module consumes it: every event is handled once,
// in order per key, the consumer owns every partition (Status and
// fxmetrics' streamfx_partitions_owned), and the health check of its
// partitions passes.
func TestPartitionedFromEnv(t *testing.T) {
	t.Parallel()
	cfg, err := streamfx.LoadConfig("STREAMFX", []string{
		"STREAMFX_STREAMS=orders", "STREAMFX_PARTITIONS=4", "STREAMFX_LEASE_TTL=2s",
		"STREAMFX_CONSUMER_GROUP=workers", "STREAMFX_BLOCK=50ms", "STREAMFX_CONCURRENCY=8",
		"STREAMFX_ORDER_KEY=key",
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Processors) != 0 || len(cfg.Partitioned) != 1 {
		t.Fatalf("config: %d processors and %d partitioned streams, want 0 and 1", len(cfg.Processors), len(cfg.Partitioned))
	}
	pc := cfg.Partitioned[0]
	if s := pc.Stream; s.Name() != "orders" || s.Partitions() != 4 || pc.LeaseTTL != 2*time.Second ||
		pc.Processor.Group != "workers" || pc.Processor.Concurrency != 8 || pc.Processor.OrderKey != "key" {
		t.Fatalf("partitioned config %+v (stream %q, %d partitions)", pc, s.Name(), s.Partitions())
	}

	rdb := startRedis(t)
	var (
		mu   sync.Mutex
		seqs = map[string][]int{}
	)
	route := func() dispatcher.Route {
		return dispatcher.Route{Type: "e", Name: "record", Handler: dispatcher.HandlerFunc(
			func(_ context.Context, msg *dispatcher.Message) error {
				seq, err := strconv.Atoi(msg.Fields["seq"])
				if err != nil {
					return dispatcher.Permanent(err)
				}
				mu.Lock()
				defer mu.Unlock()
				seqs[msg.Fields["key"]] = append(seqs[msg.Fields["key"]], seq)
				return nil
			})}
	}
	var (
		pub *redisstream.Publisher
		ps  *streamfx.Processors
		h   *streamfx.Health
	)
	reg := prometheus.NewRegistry()
	app := fxtest.New(t, baseOptions(t, rdb, cfg, nil), streamfx.Module, fxmetrics.Module(reg),
		fx.Provide(streamfx.AsRoute(route)), fx.Populate(&pub, &ps, &h))
	app.RequireStart()
	defer app.RequireStop()

	const events, keys = 200, 10
	batch := make([]redisstream.KeyedEvent, events)
	for i := range batch {
		key := "k" + strconv.Itoa(i%keys)
		batch[i] = redisstream.KeyedEvent{Key: key, Type: "e",
			Payload: map[string]string{"key": key, "seq": strconv.Itoa(i / keys)}}
	}
	if _, err := redisstream.NewPartitionedPublisher(pub, pc.Stream).PublishBatch(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	eventually(t, "every event is handled", func() bool {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, s := range seqs {
			n += len(s)
		}
		return n >= events
	})
	mu.Lock()
	for key, got := range seqs {
		for i, seq := range got {
			if seq != i {
				t.Errorf("key %s handled %v, want 0 to %d in order, once each", key, got, events/keys-1)
				break
			}
		}
	}
	mu.Unlock()
	if n := len(ps.Partitioned()); n != 1 {
		t.Fatalf("%d partitioned processors, want 1", n)
	}
	if owned := ps.Partitioned()[0].Coordinator().Status().Owned; len(owned) != 4 {
		t.Errorf("the only consumer owns partitions %v, want all 4", owned)
	}
	if owned := gauge(t, reg, "streamfx_partitions_owned"); owned != 4 {
		t.Errorf("streamfx_partitions_owned = %v, want 4", owned)
	}
	if code, rep := probe(t, h); code != http.StatusOK || rep.Checks["partitions:orders"].Status != "ok" ||
		rep.Checks["reads:orders"].Status != "ok" {
		t.Errorf("health: %d %+v, want 200 with the partitions:orders and reads:orders checks", code, rep)
	}
	for _, s := range pc.Stream.Keys() {
		eventually(t, "the events of "+s+" are acknowledged", func() bool { return pending(t, rdb, s, "workers") == 0 })
	}
}

// TestLoadConfigPartitionedErrors checks the partitioned variables'
// errors: each names the variable or the setting at fault.
func TestLoadConfigPartitionedErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		env  []string
		want string
	}{
		{"too many partitions", []string{"STREAMFX_STREAMS=a", "STREAMFX_PARTITIONS=300"}, "STREAMFX_PARTITIONS"},
		{"negative partitions", []string{"STREAMFX_STREAMS=a", "STREAMFX_PARTITIONS=-1"}, "STREAMFX_PARTITIONS"},
		{"lease TTL without partitions", []string{"STREAMFX_STREAMS=a", "STREAMFX_LEASE_TTL=5s"}, "STREAMFX_LEASE_TTL"},
		{"one dead-letter stream for every partition",
			[]string{"STREAMFX_STREAMS=a", "STREAMFX_PARTITIONS=4", "STREAMFX_DEAD_LETTER_STREAM=dead"}, "DeadLetterStream"},
		{"block not below a quarter of the lease TTL",
			[]string{"STREAMFX_STREAMS=a", "STREAMFX_PARTITIONS=4", "STREAMFX_LEASE_TTL=2s", "STREAMFX_BLOCK=1s"}, "LeaseTTL/4"},
		{"partial worker in the default group",
			[]string{"STREAMFX_STREAMS=a", "STREAMFX_PARTITIONS=4", "STREAMFX_ROUTE_GROUPS=billing"}, "its own consumer group"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := streamfx.LoadConfig("STREAMFX", tt.env)
			if !errors.Is(err, streamfx.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("LoadConfig(%q) = %v, want ErrInvalidConfig naming %s", tt.env, err, tt.want)
			}
		})
	}
}

// gauge returns the value of the one metric of the family name in reg.
func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name && len(f.GetMetric()) == 1 {
			return f.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no single metric %s in the registry", name)
	return 0
}
