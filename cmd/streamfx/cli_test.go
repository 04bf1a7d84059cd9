package main

import (
	"strconv"
	"strings"
	"testing"

	"github.com/streamfx/streamfx/internal/redistest"
)

func TestBadRedisURL(t *testing.T) {
	t.Parallel()
	closed := "redis://:s3cret@127.0.0.1:" + strconv.Itoa(redistest.FreePort(t))
	cases := []struct {
		url, want string
	}{
		{"http://localhost:6379", "redis URL http://localhost:6379: redis: invalid URL scheme: http"},
		{"redis://:s3cret@localhost:6379/x", `redis URL redis://:xxxxx@localhost:6379/x: redis: invalid database number: "x"`},
		{"redis://:s3%zzcret@localhost", "redis URL <unparseable URL>: cannot parse it"},
		{closed, "redis redis://:xxxxx@127.0.0.1:"},
	}
	for _, c := range cases {
		r := cli(t, c.url, "status")
		r.fails(t, c.want)
		if strings.Contains(r.errOut+r.out, "s3") {
			t.Errorf("the password is printed: %q", r.errOut)
		}
	}
	// -redis wins over REDIS_URL, before or after the command name.
	cli(t, "redis://127.0.0.1:1", "-redis", "http://a", "status").fails(t, "redis URL http://a:")
	cli(t, "redis://127.0.0.1:1", "status", "-redis", "http://b").fails(t, "redis URL http://b:")
}

func TestUsage(t *testing.T) {
	t.Parallel()
	if r := cli(t, "", "help"); r.code != 0 || !strings.Contains(r.out, "dead replay STREAM") {
		t.Errorf("help = %+v", r)
	}
	cli(t, "", "frobnicate").fails(t, `unknown command "frobnicate"`)
	cli(t, "", "dead", "revive", "orders").fails(t, `unknown subcommand "revive"`)
	cli(t, "", "tail").fails(t, "usage: streamfx tail STREAM")
}
