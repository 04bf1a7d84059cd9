// Package redistest starts real redis-server processes for tests: a single
// node on a free loopback port, stopped when the test ends.
package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// InstallHint says how to get redis-server when it is missing.
const InstallHint = "redis-server is not on PATH: install it with " +
	"`sudo apt-get install -y redis-server` (Debian/Ubuntu) or `brew install redis` (macOS), " +
	"or run ./scripts/test.sh, which installs it"

// Server is a redis-server process started for a test.
type Server struct {
	Addr string
	Port int
	Dir  string
	args []string
	cmd  *exec.Cmd
}

// startAttempts is how many free ports Start tries: a port free a moment
// ago may be taken, by another test's server or by the local end of a
// connection, before redis-server binds it.
const startAttempts = 5

// errExited is the error of a start whose redis-server exited at once.
var errExited = errors.New("redistest: redis-server exited")

// Start starts a redis-server on a free loopback port with persistence off,
// and stops it when t ends. extra arguments are passed to redis-server (for
// example "--appendonly", "yes"). The test fails if redis-server is missing.
func Start(t testing.TB, extra ...string) *Server {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatal(InstallHint)
	}
	s := &Server{Dir: t.TempDir()}
	t.Cleanup(func() { s.Kill(syscall.SIGKILL) })
	var err error
	for range startAttempts {
		s.Port = FreePort(t)
		s.Addr = "127.0.0.1:" + strconv.Itoa(s.Port)
		s.args = append([]string{"--port", strconv.Itoa(s.Port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--dir", s.Dir, "--protected-mode", "no"}, extra...)
		if err = s.start(); !errors.Is(err, errExited) {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// start starts redis-server with s.args and waits until it answers PING.
// It returns an error wrapping errExited, with what redis-server said, if
// the process exited first (a port taken meanwhile).
func (s *Server) start() error {
	logPath := filepath.Join(s.Dir, "redis-server.log")
	log, err := os.Create(logPath) // a file, not a pipe: Wait must not wait for a forked child
	if err != nil {
		return fmt.Errorf("redistest: %w", err)
	}
	defer log.Close()
	s.cmd = exec.Command("redis-server", s.args...)
	s.cmd.Dir = s.Dir
	s.cmd.Stdout, s.cmd.Stderr = log, log
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("redistest: start redis-server: %w", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if s.reaped() {
			s.cmd = nil
			out, _ := os.ReadFile(logPath)
			return fmt.Errorf("%w on %s: %s", errExited, s.Addr, lastLines(string(out)))
		}
		rdb := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1})
		err := rdb.Ping(context.Background()).Err()
		_ = rdb.Close()
		if err == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Kill(syscall.SIGKILL)
	return fmt.Errorf("redistest: redis-server on %s did not answer PING within 30s", s.Addr)
}

// reaped reports whether redis-server exited, and then reaps it, without
// waiting (no goroutine is left behind, for the tests that check there is
// none).
func (s *Server) reaped() bool {
	var status syscall.WaitStatus
	pid, err := syscall.Wait4(s.cmd.Process.Pid, &status, syscall.WNOHANG, nil)
	return err == nil && pid == s.cmd.Process.Pid
}

// lastLines returns the last two lines of s, joined by " / ": the reason
// redis-server gives before it exits, and the exit.
func lastLines(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(len(lines)-2, 0):], " / ")
}

// Client returns a new client for the server, closed when t ends.
func (s *Server) Client(t testing.TB) *redis.Client {
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// Kill stops the server with sig (syscall.SIGTERM for a clean shutdown,
// syscall.SIGKILL for a crash) and waits for the process to exit.
func (s *Server) Kill(sig syscall.Signal) {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(sig)
	_ = s.cmd.Wait()
	s.cmd = nil
}

// Restart starts the server again on the same port and directory (so an
// append-only file, if enabled, is reloaded).
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if err := s.start(); err != nil {
		t.Fatal(err)
	}
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("redistest: find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Version returns the redis-server version string, such as "7.0.15".
func Version() string {
	out, err := exec.Command("redis-server", "--version").Output()
	if err != nil {
		return ""
	}
	for _, f := range strings.Fields(string(out)) {
		if v, ok := strings.CutPrefix(f, "v="); ok {
			return v
		}
	}
	return ""
}
