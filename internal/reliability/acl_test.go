package reliability

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/redistest"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// aclSetUser is the least-privilege ACL user of a streamfx service that
// consumes and publishes the stream "orders" (dead letters in
// "orders:dead") and does request/reply, as documented in the README.
// Replace the password, and list one ~<stream> ~<stream>:dead pair per
// stream. Commands: XGROUP CREATE (Start), XREADGROUP, XPENDING (delivery
// counts), XAUTOCLAIM (reclaim), XACK, XADD (publish and dead letters);
// LPUSH, EXPIRE, MULTI, EXEC (Reply), BRPOP (Request). On Redis 7.2 and
// later, add +client|setinfo: go-redis sends CLIENT SETINFO on each new
// connection (and ignores a refusal, which the ACL log would record).
const aclSetUser = "ACL SETUSER streamfx on >s3cret-streamfx resetkeys ~orders ~orders:dead ~reply:* resetchannels -@all " +
	"+xgroup|create +xreadgroup +xpending +xautoclaim +xclaim +xack +xadd +lpush +expire +multi +exec +brpop"

// aclUser and aclPassword are the credentials aclSetUser creates.
const aclUser, aclPassword = "streamfx", "s3cret-streamfx"

// createACLUser runs aclSetUser (or deletes the user if del is set) as the
// default user.
func createACLUser(t testing.TB, admin *redis.Client) {
	t.Helper()
	args := []any{}
	for _, f := range strings.Fields(aclSetUser) {
		args = append(args, f)
	}
	if err := admin.Do(context.Background(), args...).Err(); err != nil {
		t.Fatalf("%s: %v", aclSetUser, err)
	}
}

// userClient returns a client logged in as the ACL user through a URL.
func userClient(t testing.TB, addr, password string) *redis.Client {
	t.Helper()
	opt, err := redis.ParseURL(fmt.Sprintf("redis://%s:%s@%s/0", aclUser, password, addr))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// TestReliabilityACLUser runs the processor (reads, acks, reclaim of a
// failed message, dead letters), the publisher and request/reply as the ACL
// user of aclSetUser. Everything must work with no error logged and no
// denial in the ACL log; then commands and keys outside the grant must be
// refused, proving the user is really restricted.
func TestReliabilityACLUser(t *testing.T) {
	srv := redistest.Start(t)
	admin := srv.Client(t)
	ctx := context.Background()
	createACLUser(t, admin)
	rdb := userClient(t, srv.Addr, aclPassword)
	pub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{})
	seen := new(streamtest.Recorder)
	d := aclDispatcher(pub, seen)
	log, logs := observedLogger()
	begin := time.Now()
	p := newProcessor(t, rdb, d, redisstream.ProcessorConfig{
		Streams: []string{"orders"}, Group: "g", Consumer: "c1", Block: 100 * time.Millisecond,
		MinIdle: 200 * time.Millisecond, ReclaimInterval: 50 * time.Millisecond, Logger: log,
	})
	ids := streamtest.MustPublish(t, pub, "orders", "order.paid", 100)
	flakyID, err := pub.Publish(ctx, "orders", "order.flaky", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pub.Publish(ctx, "orders", "order.bad", nil); err != nil {
		t.Fatal(err)
	}
	reply, err := pub.Request(ctx, "orders", "order.quote", map[string]any{"item": "x"}, 10*time.Second)
	if err != nil {
		t.Fatalf("request/reply as the ACL user: %v", err)
	}
	if m, err := reply.Payload(); err != nil || fmt.Sprint(m["price"]) != "42" {
		t.Errorf("reply %s (%v), want price 42", reply.Raw, err)
	}
	slowID, err := pub.Publish(ctx, "orders", "order.slow", nil)
	if err != nil {
		t.Fatal(err)
	}
	ids = append(ids, flakyID, slowID)
	streamtest.Eventually(t, 30*time.Second, "everything is handled, dead-lettered and acked", func() bool {
		return seen.HandledAll(streamtest.Entries("orders", ids)) && streamtest.Pending(t, admin, "orders", "g") == 0 &&
			admin.XLen(ctx, "orders:dead").Val() == 1
	})
	if err := shutdown(p); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(begin)
	// The one dead letter is logged at error level by design; any other
	// error line would be a refusal.
	errs := slices.DeleteFunc(errorLogs(logs), func(l string) bool { return strings.HasPrefix(l, "message dead-lettered ") })
	if len(errs) > 0 {
		t.Errorf("errors logged as the ACL user: %v", errs)
	}
	if denials := aclLog(t, admin); len(denials) > 0 {
		t.Errorf("the ACL user was refused: %v", denials)
	}
	checkRestricted(t, rdb)
	res := tallyRuns(seen.Counts(), streamtest.Entries("orders", ids))
	res.check(t)
	results.add(t, row{
		scenario: "ACL user (least privilege)", messages: len(ids) + 2, handled: res.handled + 2, lost: res.lost,
		duplicates: res.duplicates, elapsed: elapsed,
		notes: "consume, reclaim, dead-letter, publish, request/reply with no ACL denial; other keys and commands refused",
	})
}

// aclDispatcher routes the ACL test's events: order.paid is recorded,
// order.flaky fails once then is recorded, order.slow outlasts MinIdle/2,
// order.bad fails for good and
// order.quote is answered with Reply.
func aclDispatcher(pub *redisstream.Publisher, seen *streamtest.Recorder) *dispatcher.Dispatcher {
	var flaky atomic.Int32
	d := dispatcher.New(dispatcher.Config{})
	d.OnFunc("order.paid", seen.Handle)
	d.OnFunc("order.flaky", func(_ context.Context, msg *dispatcher.Message) error {
		if flaky.Add(1) == 1 {
			return errors.New("first delivery fails") // redelivered by XAUTOCLAIM
		}
		seen.Record(msg)
		return nil
	})
	d.OnFunc("order.slow", func(_ context.Context, msg *dispatcher.Message) error {
		time.Sleep(400 * time.Millisecond) // > MinIdle/2: the reclaim loop refreshes it with XCLAIM JUSTID
		seen.Record(msg)
		return nil
	})
	d.OnFunc("order.bad", func(context.Context, *dispatcher.Message) error {
		return dispatcher.Permanent(errors.New("refused"))
	})
	d.OnFunc("order.quote", func(ctx context.Context, msg *dispatcher.Message) error {
		return pub.Reply(ctx, msg, map[string]any{"price": 42})
	})
	return d
}

// aclLog returns the ACL LOG entries, as "reason object".
func aclLog(t testing.TB, admin *redis.Client) []string {
	t.Helper()
	entries, err := admin.ACLLog(context.Background(), 100).Result()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Reason+" "+e.Object)
	}
	return out
}

// checkRestricted fails t unless commands and keys outside the grant are
// refused with NOPERM.
func checkRestricted(t *testing.T, rdb *redis.Client) {
	t.Helper()
	ctx := context.Background()
	probes := map[string]error{
		"DEL orders":          rdb.Del(ctx, "orders").Err(),
		"XADD other":          rdb.XAdd(ctx, &redis.XAddArgs{Stream: "other", Values: []string{"a", "b"}}).Err(),
		"XRANGE orders":       rdb.XRange(ctx, "orders", "-", "+").Err(),
		"XGROUP DESTROY":      rdb.XGroupDestroy(ctx, "orders", "g").Err(),
		"KEYS *":              rdb.Keys(ctx, "*").Err(),
		"FLUSHALL":            rdb.FlushAll(ctx).Err(),
		"CONFIG GET":          rdb.ConfigGet(ctx, "*").Err(),
		"LPUSH outside reply": rdb.LPush(ctx, "jobs", "x").Err(),
	}
	for probe, err := range probes {
		if err == nil || !strings.HasPrefix(err.Error(), "NOPERM") {
			t.Errorf("%s as the ACL user: %v, want a NOPERM error", probe, err)
		}
	}
}
