package partition_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"
	"go.uber.org/zap/zaptest"

	"github.com/streamfx/streamfx/dispatcher/redisstream/partition"
	"github.com/streamfx/streamfx/internal/redistest"
	"github.com/streamfx/streamfx/internal/streamtest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	// waitTimeout bounds every wait for an eventual condition.
	waitTimeout = 30 * time.Second
	// testTTL is the lease TTL of the tests' coordinators.
	testTTL = 2 * time.Second
	// group is the consumer group of the tests.
	group = "g"
)

// event is one Listener call, in the order of a test's journal.
type event struct {
	consumer string
	kind     string // "assigned", "revoked" (when Revoked returns) or "lost"
	lease    partition.Lease
	at       time.Time
}

// journal records the Listener calls of every member of a test.
type journal struct {
	mu     sync.Mutex
	events []event
}

func (j *journal) add(e event) {
	j.mu.Lock()
	defer j.mu.Unlock()
	e.at = time.Now()
	j.events = append(j.events, e)
}

func (j *journal) all() []event {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.events)
}

// member is one consumer with its own Redis client and a Listener that
// journals its calls and tracks the partitions it was told it holds.
type member struct {
	name string
	rdb  *redis.Client
	c    *partition.Coordinator
	j    *journal

	revokeDelay time.Duration // how long Revoked takes, as if draining; see setRevokeDelay

	mu       sync.Mutex
	held     map[int]partition.Lease
	unlisted []int // partitions missing from Status().Owned when Assigned was called
}

func (m *member) Assigned(l partition.Lease) {
	listed := slices.Contains(m.c.Status().Owned, l.Partition)
	m.mu.Lock()
	m.held[l.Partition] = l
	if !listed {
		m.unlisted = append(m.unlisted, l.Partition)
	}
	m.mu.Unlock()
	m.j.add(event{consumer: m.name, kind: "assigned", lease: l})
}

func (m *member) Revoked(ctx context.Context, l partition.Lease) {
	m.mu.Lock()
	delay := m.revokeDelay
	m.mu.Unlock()
	select {
	case <-time.After(delay):
	case <-ctx.Done():
	}
	m.mu.Lock()
	delete(m.held, l.Partition)
	m.mu.Unlock()
	m.j.add(event{consumer: m.name, kind: "revoked", lease: l})
}

func (m *member) Lost(l partition.Lease) {
	m.mu.Lock()
	delete(m.held, l.Partition)
	m.mu.Unlock()
	m.j.add(event{consumer: m.name, kind: "lost", lease: l})
}

// lease returns the lease the Listener was given for partition i.
func (m *member) lease(i int) partition.Lease {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.held[i]
}

// setRevokeDelay sets how long Revoked takes from now on.
func (m *member) setRevokeDelay(d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.revokeDelay = d
}

// unlistedAtAssign returns the partitions that Status().Owned did not list
// when Assigned was called for them.
func (m *member) unlistedAtAssign() []int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.unlisted)
}

// holding returns the partitions the Listener was told m holds, sorted.
func (m *member) holding() []int {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []int
	for p := range m.held {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// group is a test's partitioned stream and members, on one redis-server.
type testGroup struct {
	t      *testing.T
	srv    *redistest.Server
	admin  *redis.Client
	stream partition.Stream
	j      *journal
}

func newGroup(t *testing.T, partitions int) *testGroup {
	t.Helper()
	srv := redistest.Start(t)
	s, err := partition.New("orders", partitions)
	if err != nil {
		t.Fatal(err)
	}
	return &testGroup{t: t, srv: srv, admin: srv.Client(t), stream: s, j: &journal{}}
}

// join starts a member named name with its own client; it is shut down
// when the test ends (if the test did not stop it).
func (g *testGroup) join(name string, revokeDelay time.Duration) *member {
	g.t.Helper()
	m := &member{name: name, rdb: redis.NewClient(&redis.Options{Addr: g.srv.Addr}), j: g.j,
		revokeDelay: revokeDelay, held: make(map[int]partition.Lease)}
	c, err := partition.NewCoordinator(m.rdb, partition.CoordinatorConfig{
		Stream: g.stream, Group: group, Consumer: name, LeaseTTL: testTTL,
		Listener: m, Logger: zaptest.NewLogger(g.t),
	})
	if err != nil {
		g.t.Fatal(err)
	}
	m.c = c
	if err := c.Start(context.Background()); err != nil {
		g.t.Fatal(err)
	}
	g.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		_ = c.Shutdown(ctx)
		_ = m.rdb.Close()
	})
	return m
}

// owners returns the consumer holding each partition's lease in Redis
// ("" for none), from the lease values "<token> <consumer>".
func (g *testGroup) owners() []string {
	g.t.Helper()
	out := make([]string, g.stream.Partitions())
	for i := range out {
		v, err := g.admin.Get(context.Background(), g.stream.Key(i)+":lease:"+group).Result()
		if err == redis.Nil {
			continue
		}
		if err != nil {
			g.t.Fatal(err)
		}
		var token int64
		if _, err := fmt.Sscanf(v, "%d %s", &token, &out[i]); err != nil {
			g.t.Fatalf("lease value %q: %v", v, err)
		}
	}
	return out
}

// balanced reports whether the members' Listeners hold every partition
// exactly once, each ⌊P/n⌋ or ⌈P/n⌉, and Redis's leases agree.
func (g *testGroup) balanced(members ...*member) bool {
	p, n := g.stream.Partitions(), len(members)
	owners := g.owners()
	seen := 0
	for _, m := range members {
		h := m.holding()
		if len(h) != p/n && len(h) != (p+n-1)/n {
			return false
		}
		for _, i := range h {
			if owners[i] != m.name {
				return false
			}
		}
		seen += len(h)
	}
	return seen == p
}

// waitBalanced waits until balanced holds and returns how long it took.
func (g *testGroup) waitBalanced(what string, members ...*member) time.Duration {
	g.t.Helper()
	start := time.Now()
	streamtest.Eventually(g.t, waitTimeout, what, func() bool { return g.balanced(members...) })
	return time.Since(start)
}

// describe returns the partitions each member holds, for failure messages.
func describe(members ...*member) string {
	s := ""
	for _, m := range members {
		s += fmt.Sprintf("%s=%v ", m.name, m.holding())
	}
	return s
}
