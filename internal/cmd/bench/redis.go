package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// env is the Redis the scenarios run against.
type env struct {
	rdb     *redis.Client
	addr    string
	version string
	prefix  string    // prepended to every key the command writes
	server  *exec.Cmd // the redis-server started here, if any
	dir     string    // its working directory
	keys    []string  // keys to delete at close when the server is not ours
}

// connect uses REDIS_URL if set, else starts a redis-server on a free
// loopback port.
func connect(ctx context.Context) (*env, error) {
	e := &env{}
	var opt *redis.Options
	if url := os.Getenv("REDIS_URL"); url != "" {
		o, err := redis.ParseURL(url)
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL: %w", err)
		}
		opt = o
		e.prefix = fmt.Sprintf("streamfx-bench:%d:", os.Getpid())
	} else {
		addr, err := e.startServer(ctx)
		if err != nil {
			return nil, err
		}
		opt = &redis.Options{Addr: addr}
		e.prefix = "bench:"
	}
	e.rdb = redis.NewClient(opt)
	e.addr = opt.Addr
	if err := e.rdb.Ping(ctx).Err(); err != nil {
		e.close()
		return nil, fmt.Errorf("ping redis at %s: %w", opt.Addr, err)
	}
	e.version = serverVersion(ctx, e.rdb)
	return e, nil
}

// startServer starts redis-server with persistence off and waits until it
// answers PING.
func (e *env) startServer(ctx context.Context) (string, error) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		return "", errors.New("redis-server is not on PATH: install it (apt-get install redis-server, brew install redis) or set REDIS_URL")
	}
	port, err := freePort()
	if err != nil {
		return "", err
	}
	if e.dir, err = os.MkdirTemp("", "streamfx-bench-"); err != nil {
		return "", err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	e.server = exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", e.dir, "--protected-mode", "no")
	if err := e.server.Start(); err != nil {
		e.close()
		return "", fmt.Errorf("start redis-server: %w", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
		err = c.Ping(ctx).Err()
		_ = c.Close()
		if err == nil {
			return addr, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.close()
	return "", fmt.Errorf("redis-server on %s did not answer PING within 10s: %v", addr, err)
}

// close deletes the keys written to a Redis that is not ours, closes the
// client and stops the server started here.
func (e *env) close() {
	if e.rdb != nil {
		if e.server == nil && len(e.keys) > 0 {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_ = e.rdb.Del(ctx, e.keys...).Err()
			cancel()
		}
		_ = e.rdb.Close()
	}
	if e.server != nil && e.server.Process != nil {
		_ = e.server.Process.Kill()
		_ = e.server.Wait()
	}
	if e.dir != "" {
		_ = os.RemoveAll(e.dir)
	}
}

// key returns a fresh key for name, remembered for deletion.
func (e *env) key(name string) string {
	k := e.prefix + name
	e.keys = append(e.keys, k)
	return k
}

// drop deletes a scenario's stream now, to keep the server's memory small.
func (e *env) drop(ctx context.Context, keys ...string) {
	_ = e.rdb.Del(ctx, keys...).Err()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// serverVersion returns redis_version from INFO server, or "?".
func serverVersion(ctx context.Context, rdb *redis.Client) string {
	info, err := rdb.Info(ctx, "server").Result()
	if err != nil {
		return "?"
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "redis_version:"); ok {
			return v
		}
	}
	return "?"
}
