package reliability

import (
	"context"
	"fmt"
	"log"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/redistest"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// wrongPassword is a password Redis refuses; like aclPassword it must never
// be logged.
const wrongPassword = "wr0ng-pa55word-streamfx"

// redisLog sends go-redis's own log lines to a buffer and to stderr.
type redisLog struct{ buf *streamtest.SyncBuffer }

func (l redisLog) Printf(_ context.Context, format string, v ...any) {
	line := fmt.Sprintf(format, v...) + "\n"
	_, _ = l.buf.Write([]byte(line))
	_, _ = os.Stderr.WriteString(line)
}

// TestReliabilityPasswordNotLogged captures every log line, the
// processor's (debug level, JSON with every field), go-redis's own, and the
// errors an application would log, while: connecting with a wrong password
// from a URL; running the processor with the right one through a Redis
// crash; and running it while Redis refuses the credentials (the ACL user is
// gone after the restart) until the user is back. Neither password may
// appear in any line, and the outage must have been logged.
func TestReliabilityPasswordNotLogged(t *testing.T) {
	var buf streamtest.SyncBuffer
	redis.SetLogger(redisLog{&buf})
	t.Cleanup(func() { redis.SetLogger(stderrRedisLog{log.New(os.Stderr, "redis: ", log.LstdFlags)}) })
	logger := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()),
		zapcore.AddSync(&buf), zap.DebugLevel))
	srv := redistest.Start(t)
	admin := srv.Client(t)
	createACLUser(t, admin)
	d := dispatcher.New(dispatcher.Config{})
	seen := new(streamtest.Recorder)
	d.OnFunc("order.paid", seen.Handle)
	begin := time.Now()

	startWithWrongPassword(t, srv.Addr, d, logger)

	rdb := userClient(t, srv.Addr, aclPassword)
	pub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{})
	p := newProcessor(t, rdb, d, redisstream.ProcessorConfig{
		Streams: []string{"orders"}, Group: "g", Consumer: "c1", Block: 100 * time.Millisecond,
		MinIdle: 300 * time.Millisecond, ReclaimInterval: 50 * time.Millisecond, Logger: logger,
	})
	ids := streamtest.MustPublish(t, pub, "orders", "order.paid", 50)
	streamtest.Eventually(t, 30*time.Second, "the first entries are handled", func() bool { return seen.HandledAll(streamtest.Entries("orders", ids)) })
	srv.Kill(syscall.SIGKILL)
	streamtest.Eventually(t, 30*time.Second, "the outage is logged", func() bool { return strings.Contains(buf.String(), "redis unavailable") })
	srv.Restart(t) // no persistence: the ACL user is gone, the credentials are refused
	time.Sleep(time.Second)
	createACLUser(t, admin)
	streamtest.Eventually(t, 30*time.Second, "the recovery is logged", func() bool { return strings.Contains(buf.String(), "redis answers again") })
	ids = append(ids, streamtest.MustPublish(t, pub, "orders", "order.paid", 50)...)
	streamtest.Eventually(t, 30*time.Second, "the new entries are handled", func() bool { return seen.HandledAll(streamtest.Entries("orders", ids)) })
	if err := shutdown(p); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(begin)

	logs := buf.String()
	checkNoSecrets(t, logs)
	lines := strings.Count(logs, "\n")
	res := tallyRuns(seen.Counts(), streamtest.Entries("orders", ids))
	res.check(t)
	results.add(t, row{
		scenario: "password never logged", messages: len(ids), handled: res.handled, lost: res.lost,
		duplicates: res.duplicates, elapsed: elapsed,
		notes: fmt.Sprintf("%d log lines (wrong password, crash, refused credentials), no password in any", lines),
	})
}

// startWithWrongPassword starts a processor and publishes with a client
// whose URL has a wrong password, and logs their errors as an application
// would.
func startWithWrongPassword(t *testing.T, addr string, d *dispatcher.Dispatcher, logger *zap.Logger) {
	t.Helper()
	ctx := context.Background()
	bad := userClient(t, addr, wrongPassword)
	wrong, err := redisstream.NewProcessor(bad, d, redisstream.ProcessorConfig{Streams: []string{"orders"}, Group: "g", Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	startCtx, cancel := context.WithTimeout(ctx, 30*time.Second) // WRONGPASS comes at once; the bound is for a loaded machine
	defer cancel()
	err = wrong.Start(startCtx)
	if err == nil || !strings.Contains(err.Error(), "WRONGPASS") {
		t.Fatalf("Start with a wrong password: %v, want a WRONGPASS error", err)
	}
	logger.Error("processor did not start", zap.Error(err))
	if _, err := redisstream.NewPublisher(bad, redisstream.PublisherConfig{}).Publish(ctx, "orders", "order.paid", nil); err != nil {
		logger.Error("publish failed", zap.Error(err))
	}
}

// checkNoSecrets fails t if either password, plain or URL-escaped, is in
// logs, and unless a WRONGPASS error was logged.
func checkNoSecrets(t *testing.T, logs string) {
	t.Helper()
	for _, secret := range []string{aclPassword, wrongPassword, url.QueryEscape(aclPassword), url.QueryEscape(wrongPassword)} {
		if strings.Contains(logs, secret) {
			t.Errorf("a password appears in the logs:\n%s", logs)
			break
		}
	}
	if !strings.Contains(logs, "WRONGPASS") {
		t.Errorf("no WRONGPASS error was logged: the wrong password was not exercised:\n%s", logs)
	}
}

// stderrRedisLog is go-redis's default logger again.
type stderrRedisLog struct{ l *log.Logger }

func (s stderrRedisLog) Printf(_ context.Context, format string, v ...any) {
	s.l.Printf(format, v...)
}
