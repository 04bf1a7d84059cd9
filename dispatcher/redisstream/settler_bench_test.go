package redisstream

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/streamfx/streamfx/internal/redistest"
)

// xackCounter is a go-redis hook that counts XACK commands and the IDs
// they carry.
type xackCounter struct{ cmds, ids atomic.Int64 }

func (c *xackCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *xackCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.count(cmd)
		return next(ctx, cmd)
	}
}

func (c *xackCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, cmd := range cmds {
			c.count(cmd)
		}
		return next(ctx, cmds)
	}
}

func (c *xackCounter) count(cmd redis.Cmder) {
	if strings.EqualFold(cmd.Name(), "xack") {
		c.cmds.Add(1)
		c.ids.Add(int64(len(cmd.Args()) - 3)) // xack key group id...
	}
}

// benchSettler starts a redis-server and returns a settler on it, not
// started, the XACK counter, and 4096 entry IDs.
func benchSettler(b *testing.B) (*settler, *xackCounter, []string) {
	rdb := redistest.Start(b).Client(b)
	counter := &xackCounter{}
	rdb.AddHook(counter)
	ids := make([]string, 1<<12)
	for i := range ids {
		ids[i] = strconv.Itoa(1700000000000+i) + "-0"
	}
	log := zap.NewNop()
	s := &settler{rdb: rdb, cfg: ProcessorConfig{Group: "g"}, log: log, flights: newInflight(),
		health: &health{log: log}, acks: map[string][]string{}}
	return s, counter, ids
}

// BenchmarkAckFlush measures one flush of a batch of IDs: one pipelined
// round trip with one XACK. ns/id shows what batching saves per entry.
func BenchmarkAckFlush(b *testing.B) {
	for _, size := range []int{1, 10, 100, 500} {
		b.Run("ids="+strconv.Itoa(size), func(b *testing.B) {
			s, counter, ids := benchSettler(b)
			b.ReportAllocs()
			for b.Loop() {
				s.ack("s", ids[:size]...)
				if err := s.flush(); err != nil {
					b.Fatal(err)
				}
			}
			if got := counter.cmds.Load(); got != int64(b.N) {
				b.Fatalf("%d XACK for %d flushes", got, b.N)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*size), "ns/id")
		})
	}
}
