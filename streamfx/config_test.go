package streamfx

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/streamfx/streamfx/dispatcher/redisstream"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     Config
		wantErr []string // substrings; nil means valid
		partial bool     // wraps ErrDefaultGroupInPartialWorker
	}{
		{name: "zero value is a publish-only app", cfg: Config{}},
		{name: "monolith with default group", cfg: Config{Streams: []StreamConfig{{Name: "orders"}}}},
		{
			name: "partial worker with its own group",
			cfg:  Config{Streams: []StreamConfig{{Name: "orders", Group: "billing"}}, EnabledGroups: []string{"billing"}},
		},
		{
			name:    "partial worker with default group",
			cfg:     Config{Streams: []StreamConfig{{Name: "orders"}}, EnabledGroups: []string{"billing"}},
			wantErr: []string{`stream "orders"`, `group "monolith"`, `["billing"]`, "its own consumer group"},
			partial: true,
		},
		{
			// The seed's protected group is "monolith"; "streamfx" is an
			// ordinary name.
			name: "partial worker with group streamfx",
			cfg:  Config{Streams: []StreamConfig{{Name: "orders", Group: "streamfx"}}, EnabledGroups: []string{"billing"}},
		},
		{
			name:    "partial worker naming monolith",
			cfg:     Config{Streams: []StreamConfig{{Name: "orders", Group: "monolith"}}, EnabledGroups: []string{"billing"}},
			wantErr: []string{`group "monolith"`},
			partial: true,
		},
		{
			name:    "partial worker naming the default group explicitly",
			cfg:     Config{Streams: []StreamConfig{{Name: "orders", Group: DefaultGroupName}}, EnabledGroups: []string{"x"}},
			wantErr: []string{"may not use the default consumer group"},
			partial: true,
		},
		{name: "stream without name", cfg: Config{Streams: []StreamConfig{{}}}, wantErr: []string{"Streams[0] has no Name"}},
		{
			name:    "duplicate stream",
			cfg:     Config{Streams: []StreamConfig{{Name: "a"}, {Name: "a"}}},
			wantErr: []string{`stream "a" is listed twice`},
		},
		{
			name:    "negative duration",
			cfg:     Config{Streams: []StreamConfig{{Name: "a", MinIdle: -time.Second}}},
			wantErr: []string{`stream "a": MinIdle is negative`},
		},
		{
			name:    "negative concurrency",
			cfg:     Config{Streams: []StreamConfig{{Name: "a", Concurrency: -1}}},
			wantErr: []string{"Concurrency is negative"},
		},
		{name: "negative max message bytes means no limit", cfg: Config{Streams: []StreamConfig{{Name: "a", MaxMessageBytes: -1}}}},
		{name: "empty enabled group", cfg: Config{EnabledGroups: []string{""}}, wantErr: []string{"EnabledGroups[0] is empty"}},
		{name: "duplicate enabled group", cfg: Config{EnabledGroups: []string{"a", "a"}}, wantErr: []string{`"a" is listed twice`}},
		{
			name:    "max len and min id",
			cfg:     Config{Publisher: redisstream.PublisherConfig{MaxLen: 10, MinID: "1-0"}},
			wantErr: []string{"mutually exclusive"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.cfg.Validate()
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("Validate() = %v, want an error wrapping ErrInvalidConfig", err)
			}
			if got := errors.Is(err, ErrDefaultGroupInPartialWorker); got != tt.partial {
				t.Errorf("errors.Is(err, ErrDefaultGroupInPartialWorker) = %v, want %v", got, tt.partial)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Validate() = %q, want it to contain %q", err, want)
				}
			}
		})
	}
}

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"APP_STREAMS":                " orders, emails ,,",
		"APP_GROUP":                  "billing",
		"APP_CONSUMER":               "pod-1",
		"APP_BATCH_SIZE":             "50",
		"APP_CONCURRENCY":            "4",
		"APP_BLOCK":                  "250ms",
		"APP_MIN_IDLE":               "1m",
		"APP_RECLAIM_INTERVAL":       "5s",
		"APP_MAX_DELIVERIES":         "3",
		"APP_DEAD_LETTER_STREAM":     "dead",
		"APP_START_ID":               "$",
		"APP_MAX_MESSAGE_BYTES":      "-1",
		"APP_ENABLED_GROUPS":         "billing,audit",
		"APP_DEAD_LETTER_UNROUTABLE": "true",
		"APP_PUBLISH_MAX_LEN":        "1000",
		"APP_REPLY_TTL":              "30s",
	}
	cfg, err := LoadConfig("APP_", mapLookup(env))
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	want := StreamConfig{
		Group: "billing", Consumer: "pod-1", BatchSize: 50, Concurrency: 4,
		Block: 250 * time.Millisecond, MinIdle: time.Minute, ReclaimInterval: 5 * time.Second,
		MaxDeliveries: 3, DeadLetterStream: "dead", StartID: "$", MaxMessageBytes: -1,
	}
	if len(cfg.Streams) != 2 {
		t.Fatalf("Streams = %+v, want orders and emails", cfg.Streams)
	}
	for i, name := range []string{"orders", "emails"} {
		want.Name = name
		if cfg.Streams[i] != want {
			t.Errorf("Streams[%d] = %+v, want %+v", i, cfg.Streams[i], want)
		}
	}
	if strings.Join(cfg.EnabledGroups, ",") != "billing,audit" || !cfg.DeadLetterUnroutable {
		t.Errorf("EnabledGroups = %q, DeadLetterUnroutable = %v", cfg.EnabledGroups, cfg.DeadLetterUnroutable)
	}
	if cfg.Publisher != (redisstream.PublisherConfig{MaxLen: 1000, ReplyTTL: 30 * time.Second}) {
		t.Errorf("Publisher = %+v", cfg.Publisher)
	}
}

func TestLoadConfigDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := LoadConfig("", mapLookup(map[string]string{"STREAMFX_STREAMS": "orders"}))
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	if len(cfg.Streams) != 1 || cfg.Streams[0] != (StreamConfig{Name: "orders"}) || len(cfg.EnabledGroups) != 0 {
		t.Errorf("LoadConfig = %+v, want one stream with zero settings", cfg)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{
			name: "every malformed variable is reported",
			env: map[string]string{
				"STREAMFX_STREAMS": "orders", "STREAMFX_BLOCK": "5", "STREAMFX_CONCURRENCY": "many",
				"STREAMFX_DEAD_LETTER_UNROUTABLE": "yes please",
			},
			want: []string{
				`STREAMFX_BLOCK="5" is not a duration (use Go syntax`,
				`STREAMFX_CONCURRENCY="many" is not an integer`,
				`STREAMFX_DEAD_LETTER_UNROUTABLE="yes please" is not a boolean`,
			},
		},
		{
			name: "partial worker on the default group",
			env:  map[string]string{"STREAMFX_STREAMS": "orders", "STREAMFX_ENABLED_GROUPS": "billing"},
			want: []string{"STREAMFX_GROUP", `group "monolith"`},
		},
		{
			name: "negative value",
			env:  map[string]string{"STREAMFX_STREAMS": "orders", "STREAMFX_MIN_IDLE": "-1s"},
			want: []string{`stream "orders": MinIdle is negative`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := LoadConfig("STREAMFX", mapLookup(tt.env))
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("LoadConfig = %v, want ErrInvalidConfig", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestConfigFromEnv(t *testing.T) {
	t.Setenv("FXTEST_STREAMS", "a,b")
	t.Setenv("FXTEST_GROUP", "g")
	cfg, err := ConfigFromEnv("FXTEST")
	if err != nil {
		t.Fatalf("ConfigFromEnv: %v", err)
	}
	if len(cfg.Streams) != 2 || cfg.Streams[1].Name != "b" || cfg.Streams[1].Group != "g" {
		t.Errorf("ConfigFromEnv = %+v", cfg)
	}
}

func mapLookup(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// TestRetryQueue: the asynq queue keeps its name "streamfx" for an app on the
// default consumer group, whatever that group is called.
func TestRetryQueue(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "streamfx"},
		{Config{Streams: []StreamConfig{{Name: "a"}, {Name: "b", Group: DefaultGroupName}}}, "streamfx"},
		{Config{Streams: []StreamConfig{{Name: "a", Group: "pay"}, {Name: "b", Group: "bill"}}}, "streamfx:bill+pay"},
		{Config{Streams: []StreamConfig{{Name: "a", Group: "pay"}, {Name: "b"}}}, "streamfx:monolith+pay"},
	} {
		if got := tt.cfg.retryQueue(); got != tt.want {
			t.Errorf("retryQueue(%+v) = %q, want %q", tt.cfg.Streams, got, tt.want)
		}
	}
}
