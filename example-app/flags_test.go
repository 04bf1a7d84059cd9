package main

import (
	"io"
	"strings"
	"testing"
)

func TestParseFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantURL  string
		wantHTTP string
		wantDemo bool
	}{
		{"defaults", nil, nil, "", ":8080", false},
		{"REDIS_URL", nil, map[string]string{"REDIS_URL": "redis://r:6379"}, "redis://r:6379", ":8080", false},
		{"flag beats REDIS_URL", []string{"-redis", "redis://f:1"}, map[string]string{"REDIS_URL": "redis://r:6379"}, "redis://f:1", ":8080", false},
		{"demo turns HTTP off", []string{"-demo"}, nil, "", "", true},
		{"demo with explicit HTTP", []string{"-demo", "-http", ":9090"}, nil, "", ":9090", true},
		{"HTTP off", []string{"-http", ""}, nil, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o, err := parseFlags(tt.args, env(tt.env), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if o.redisURL != tt.wantURL || o.httpAddr != tt.wantHTTP || o.demo != tt.wantDemo {
				t.Errorf("got url=%q http=%q demo=%v, want url=%q http=%q demo=%v",
					o.redisURL, o.httpAddr, o.demo, tt.wantURL, tt.wantHTTP, tt.wantDemo)
			}
		})
	}
}

func TestParseFlagsRejectsArguments(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"extra"}, {"-nope"}, {"-demo-timeout", "soon"}} {
		if _, err := parseFlags(args, env(nil), io.Discard); err == nil {
			t.Errorf("parseFlags(%q) accepted them", args)
		}
	}
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"redis://localhost:6379/0", "redis://localhost:6379/0"},
		{"redis://:pw@localhost:6379", "redis://:xxxxx@localhost:6379"},
		{"rediss://user:pw@example.com:6380/2", "rediss://user:xxxxx@example.com:6380/2"},
		{"redis://user:pw@host:port:bad", "<unparseable Redis URL>"},
	}
	for _, tt := range tests {
		if got := redactURL(tt.in); got != tt.want {
			t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseRedisURLErrorHidesPassword(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"redis://u:hunter2@host:notaport", "http://u:hunter2@host", "redis://u:hunter2@host/notadb"} {
		_, err := parseRedisURL(u)
		if err == nil {
			t.Errorf("parseRedisURL(%q) accepted it", u)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("parseRedisURL(%q) error contains the password: %v", u, err)
		}
	}
}

func TestRetryQueuePerConsumerGroup(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env  map[string]string
		want string
	}{
		{nil, "retry-example-app"},
		{map[string]string{"STREAMFX_CONSUMER_GROUP": "payments", "STREAMFX_ROUTE_GROUPS": "payments"}, "retry-payments"},
	}
	for _, tt := range tests {
		var environ []string
		for k, v := range tt.env {
			environ = append(environ, k+"="+v)
		}
		cfg, err := loadConfig(environ)
		if err != nil {
			t.Fatal(err)
		}
		if got := retryConfig(cfg).Queue; got != tt.want {
			t.Errorf("with %v: queue %q, want %q", tt.env, got, tt.want)
		}
	}
}
