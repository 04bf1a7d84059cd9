package redistest

import (
	"errors"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TestStartOnTakenPort: a redis-server that cannot bind its port exits,
// and start says so at once, with redis-server's reason, so that Start
// tries another port instead of waiting for a PING that never comes.
func TestStartOnTakenPort(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatal(InstallHint)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	s := &Server{Port: port, Addr: l.Addr().String(), Dir: t.TempDir()}
	s.args = []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--dir", s.Dir}
	err = s.start()
	if !errors.Is(err, errExited) {
		t.Fatalf("start on a taken port: %v, want errExited", err)
	}
	if !strings.Contains(strings.ToLower(err.Error()), "in use") {
		t.Errorf("error %q does not give redis-server's reason (address in use)", err)
	}
	s.Kill(9) // nothing to stop: must not block
}
