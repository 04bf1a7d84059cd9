package reliability

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
)

// Environment of a consumer process.
const (
	envAddr     = "STREAMFX_RELIABILITY_ADDR"     // redis host:port
	envStream   = "STREAMFX_RELIABILITY_STREAM"   // stream to consume
	envConsumer = "STREAMFX_RELIABILITY_CONSUMER" // consumer name
	envHandled  = "STREAMFX_RELIABILITY_HANDLED"  // hash: entry ID -> handler runs
	// envIdempotent, when "1", makes the routes idempotent and adds the
	// route "flaky" (see idempotentRoutes).
	envIdempotent = "STREAMFX_RELIABILITY_IDEMPOTENT"
)

// Settings shared by the consumer processes and the parent.
const (
	consumerGroup   = "workers"
	consumerType    = "work"
	consumerMinIdle = 2 * time.Second
	readyLine       = "consumer ready"
)

// runConsumer is the main function of a consumer process: a Processor whose
// only route records each run with HINCRBY <handled> <entry ID> 1, so that
// the parent can count runs per entry across processes. It logs JSON to
// stderr, prints readyLine once started, and stops gracefully on SIGTERM.
func runConsumer() int {
	addr, stream, consumer, handled := os.Getenv(envAddr), os.Getenv(envStream), os.Getenv(envConsumer), os.Getenv(envHandled)
	log := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()),
		zapcore.Lock(os.Stderr), zap.InfoLevel)).With(zap.Int("pid", os.Getpid()))
	rdb := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 32})
	defer rdb.Close()
	idempotent := os.Getenv(envIdempotent) == "1"
	d := dispatcher.New(dispatcher.Config{Idempotent: idempotent})
	var obs dispatcher.Observer
	if idempotent {
		obs = idempotentRoutes(d, rdb, handled)
	} else {
		d.OnFunc(consumerType, func(ctx context.Context, msg *dispatcher.Message) error {
			return rdb.HIncrBy(ctx, handled, msg.ID, 1).Err()
		})
	}
	p, err := redisstream.NewProcessor(rdb, d, redisstream.ProcessorConfig{
		Streams: []string{stream}, Group: consumerGroup, Consumer: consumer,
		BatchSize: 100, Block: 100 * time.Millisecond, Concurrency: 16,
		MinIdle: consumerMinIdle, ReclaimInterval: 100 * time.Millisecond, Logger: log, Observer: obs,
	})
	if err != nil {
		log.Error("new processor", zap.Error(err))
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	startCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := p.Start(startCtx); err != nil {
		log.Error("start", zap.Error(err))
		return 2
	}
	fmt.Println(readyLine)
	select {
	case <-ctx.Done():
	case <-p.Done():
	}
	stopCtx, cancelStop := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancelStop()
	if err := p.Shutdown(stopCtx); err != nil {
		log.Error("shutdown", zap.Error(err))
		return 3
	}
	if err := p.Err(); err != nil {
		return 4 // already logged by the processor
	}
	return 0
}

// child is a consumer process started by a test.
type child struct {
	name string
	cmd  *exec.Cmd
	log  string // path of its stderr
	done chan struct{}
	err  error // exit status, once done is closed
}

// startConsumer re-executes the test binary as a consumer process and waits
// until it has started its processor. The process is killed when t ends if
// it is still running.
func startConsumer(t *testing.T, addr, stream, consumer, handled string, env ...string) *child {
	t.Helper()
	c := &child{name: consumer, log: filepath.Join(t.TempDir(), consumer+".log"), done: make(chan struct{})}
	stderr, err := os.Create(c.log)
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	c.cmd = exec.Command(os.Args[0])
	c.cmd.Env = append(os.Environ(), roleEnv+"="+roleConsumer, envAddr+"="+addr,
		envStream+"="+stream, envConsumer+"="+consumer, envHandled+"="+handled)
	c.cmd.Env = append(c.cmd.Env, env...)
	c.cmd.Stderr = stderr
	stdout, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		ok := false
		for sc.Scan() {
			if !ok && sc.Text() == readyLine {
				ok = true
				ready <- true
			}
		}
		if !ok {
			ready <- false
		}
		c.err = c.cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(func() { c.kill(syscall.SIGKILL) })
	select {
	case ok := <-ready:
		if !ok {
			<-c.done
			t.Fatalf("consumer %s exited before it was ready (%v):\n%s", consumer, c.err, c.tail())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("consumer %s not ready after 30s:\n%s", consumer, c.tail())
	}
	return c
}

// kill sends sig and waits for the process to exit.
func (c *child) kill(sig syscall.Signal) {
	select {
	case <-c.done:
		return
	default:
	}
	_ = c.cmd.Process.Signal(sig)
	<-c.done
}

// tail returns the last lines of the child's log.
func (c *child) tail() string {
	b, _ := os.ReadFile(c.log)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(len(lines)-20, 0):], "\n")
}

// logLines returns the lines of the child's log that contain s.
func (c *child) logLines(s string) []string {
	b, _ := os.ReadFile(c.log)
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return out
}
