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

// benchAcker starts a redis-server and returns an acker on it, not started,
// the XACK counter, and 4096 entry IDs.
func benchAcker(b *testing.B) (*acker, *xackCounter, []string) {
	rdb := redistest.Start(b).Client(b)
	counter := &xackCounter{}
	rdb.AddHook(counter)
	ids := make([]string, 1<<12)
	for i := range ids {
		ids[i] = strconv.Itoa(1700000000000+i) + "-0"
	}
	log := zap.NewNop()
	return newAcker(rdb, "g", &health{log: log}, newInflight(), log), counter, ids
}

// BenchmarkAckFlush measures one flush of a batch of IDs: one pipelined
// round trip with one XACK. ns/id shows what batching saves per entry.
func BenchmarkAckFlush(b *testing.B) {
	for _, size := range []int{1, 10, 100, 500} {
		b.Run("ids="+strconv.Itoa(size), func(b *testing.B) {
			a, counter, ids := benchAcker(b)
			b.ReportAllocs()
			for b.Loop() {
				a.add("s", ids[:size]...)
				if err := a.flush(); err != nil {
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

// BenchmarkAckerAdd measures acknowledging one entry through the acker, as
// the handler goroutines do, from 8 goroutines per CPU: the add itself and
// the flushes to a real redis-server, until every ID was sent (the final
// flush at stop is timed too). ids/xack is how many IDs one XACK carried:
// with adds this fast, one flush takes everything added during the previous
// one. The entries are not pending, so Redis only looks them up.
func BenchmarkAckerAdd(b *testing.B) {
	a, counter, ids := benchAcker(b)
	a.start()
	var next atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if !a.add("s", ids[next.Add(1)&(1<<12-1)]) {
				b.Error("add after close")
				return
			}
		}
	})
	a.stop()
	b.StopTimer()
	if got := counter.ids.Load(); got != int64(b.N) {
		b.Fatalf("%d IDs sent in XACK, want %d", got, b.N)
	}
	b.ReportMetric(float64(b.N)/float64(max(counter.cmds.Load(), 1)), "ids/xack")
}
