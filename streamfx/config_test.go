package streamfx

import (
	"errors"
	"maps"
	"reflect"
	"slices"
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
		{name: "monolith with default group", cfg: Config{Processors: []redisstream.ProcessorConfig{{Streams: []string{"orders"}}}}},
		{
			name: "partial worker with its own group",
			cfg:  Config{Processors: []redisstream.ProcessorConfig{{Streams: []string{"orders"}, Group: "billing"}}, RouteGroups: []string{"billing"}},
		},
		{
			name:    "partial worker with default group",
			cfg:     Config{Processors: []redisstream.ProcessorConfig{{Streams: []string{"orders"}}}, RouteGroups: []string{"billing"}},
			wantErr: []string{`streams ["orders"]`, `consumer group "monolith"`, `["billing"]`, "its own consumer group"},
			partial: true,
		},
		{
			// The seed's protected group is "monolith"; "streamfx" is an
			// ordinary name.
			name: "partial worker with group streamfx",
			cfg:  Config{Processors: []redisstream.ProcessorConfig{{Streams: []string{"orders"}, Group: "streamfx"}}, RouteGroups: []string{"billing"}},
		},
		{
			name:    "partial worker naming monolith",
			cfg:     Config{Processors: []redisstream.ProcessorConfig{{Streams: []string{"orders"}, Group: "monolith"}}, RouteGroups: []string{"billing"}},
			wantErr: []string{`group "monolith"`},
			partial: true,
		},
		{
			name:    "partial worker naming the default group explicitly",
			cfg:     Config{Processors: []redisstream.ProcessorConfig{{Streams: []string{"orders"}, Group: DefaultConsumerGroup}}, RouteGroups: []string{"x"}},
			wantErr: []string{"may not use the default consumer group"},
			partial: true,
		},
		{name: "processor without stream", cfg: Config{Processors: []redisstream.ProcessorConfig{{}}}, wantErr: []string{"Processors[0]", "no stream"}},
		{
			name:    "duplicate stream",
			cfg:     Config{Processors: []redisstream.ProcessorConfig{{Streams: []string{"a"}}, {Streams: []string{"a"}}}},
			wantErr: []string{`stream "a" is listed twice`},
		},
		{
			name:    "negative duration",
			cfg:     Config{Processors: []redisstream.ProcessorConfig{{Streams: []string{"a"}, MinIdle: -time.Second}}},
			wantErr: []string{`Processors[0] (streams ["a"])`, "MinIdle is negative"},
		},
		{
			name:    "negative concurrency",
			cfg:     Config{Processors: []redisstream.ProcessorConfig{{Streams: []string{"a"}, Concurrency: -1}}},
			wantErr: []string{"Concurrency is negative"},
		},
		{name: "negative max message bytes means no limit", cfg: Config{Processors: []redisstream.ProcessorConfig{{Streams: []string{"a"}, MaxMessageBytes: -1}}}},
		{name: "empty route group", cfg: Config{RouteGroups: []string{""}}, wantErr: []string{"RouteGroups[0] is empty"}},
		{name: "duplicate route group", cfg: Config{RouteGroups: []string{"a", "a"}}, wantErr: []string{`"a" is listed twice`}},
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
		"APP_CONSUMER_GROUP":         "billing",
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
		"APP_ORDER_KEY":              "account_id",
		"APP_RETENTION_INTERVAL":     "30s",
		"APP_ROUTE_GROUPS":           "billing,audit",
		"APP_DEAD_LETTER_UNROUTABLE": "true",
		"APP_PUBLISH_MAX_LEN":        "1000",
		"APP_REPLY_TTL":              "30s",
	}
	cfg, err := LoadConfig("APP_", environ(env))
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	want := redisstream.ProcessorConfig{
		Group: "billing", Consumer: "pod-1", BatchSize: 50, Concurrency: 4,
		Block: 250 * time.Millisecond, MinIdle: time.Minute, ReclaimInterval: 5 * time.Second,
		RetentionInterval: 30 * time.Second, MaxDeliveries: 3, DeadLetterStream: "dead", StartID: "$",
		MaxMessageBytes: -1, OrderKey: "account_id",
	}
	if len(cfg.Processors) != 2 {
		t.Fatalf("Processors = %+v, want orders and emails", cfg.Processors)
	}
	for i, name := range []string{"orders", "emails"} {
		want.Streams = []string{name}
		if !reflect.DeepEqual(cfg.Processors[i], want) {
			t.Errorf("Processors[%d] = %+v, want %+v", i, cfg.Processors[i], want)
		}
	}
	if strings.Join(cfg.RouteGroups, ",") != "billing,audit" || !cfg.DeadLetterUnroutable {
		t.Errorf("RouteGroups = %q, DeadLetterUnroutable = %v", cfg.RouteGroups, cfg.DeadLetterUnroutable)
	}
	if len(cfg.unknownEnv) != 0 {
		t.Errorf("unknown variables %q, want none", cfg.unknownEnv)
	}
	if cfg.Publisher != (redisstream.PublisherConfig{MaxLen: 1000, ReplyTTL: 30 * time.Second}) {
		t.Errorf("Publisher = %+v", cfg.Publisher)
	}
}

func TestLoadConfigDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := LoadConfig("", environ(map[string]string{"STREAMFX_STREAMS": "orders", "OTHER_GROUP": "x"}))
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	want := []redisstream.ProcessorConfig{{Streams: []string{"orders"}}}
	if !reflect.DeepEqual(cfg.Processors, want) || len(cfg.RouteGroups) != 0 || len(cfg.unknownEnv) != 0 {
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
			// A negative value is reported with the parse errors, not only
			// once they are fixed.
			name: "malformed and negative variables in one error",
			env: map[string]string{
				"STREAMFX_STREAMS": "orders", "STREAMFX_MIN_IDLE": "-1s", "STREAMFX_BATCH_SIZE": "x",
				"STREAMFX_CONCURRENCY": "-2", "STREAMFX_PUBLISH_MAX_LEN": "-5",
			},
			want: []string{
				`STREAMFX_MIN_IDLE="-1s" is negative`, `STREAMFX_BATCH_SIZE="x" is not an integer`,
				`STREAMFX_CONCURRENCY="-2" is negative`, `STREAMFX_PUBLISH_MAX_LEN="-5" is negative`,
			},
		},
		{
			name: "partial worker on the default group",
			env:  map[string]string{"STREAMFX_STREAMS": "orders", "STREAMFX_ROUTE_GROUPS": "billing"},
			want: []string{"STREAMFX_CONSUMER_GROUP", `consumer group "monolith"`},
		},
		{
			// A former name is an error, not silently ignored: a worker
			// would lose its route groups and mount every route.
			name: "renamed variables",
			env:  map[string]string{"STREAMFX_STREAMS": "orders", "STREAMFX_GROUP": "g", "STREAMFX_ENABLED_GROUPS": "billing"},
			want: []string{
				`STREAMFX_GROUP="g" was renamed STREAMFX_CONSUMER_GROUP`,
				`STREAMFX_ENABLED_GROUPS="billing" was renamed STREAMFX_ROUTE_GROUPS`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := LoadConfig("STREAMFX", environ(tt.env))
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
	t.Setenv("FXTEST_CONSUMER_GROUP", "g")
	t.Setenv("FXTEST_CONCURENCY", "4") // misspelt
	cfg, err := ConfigFromEnv("FXTEST")
	if err != nil {
		t.Fatalf("ConfigFromEnv: %v", err)
	}
	if len(cfg.Processors) != 2 || cfg.Processors[1].Streams[0] != "b" || cfg.Processors[1].Group != "g" {
		t.Errorf("ConfigFromEnv = %+v", cfg)
	}
	if want := []string{"FXTEST_CONCURENCY"}; !slices.Equal(cfg.unknownEnv, want) {
		t.Errorf("unknown variables %q, want %q", cfg.unknownEnv, want)
	}
}

// environ returns m as os.Environ would, in a fixed order.
func environ(m map[string]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, k+"="+m[k])
	}
	return out
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
		{Config{Processors: []redisstream.ProcessorConfig{{Streams: []string{"a"}}, {Streams: []string{"b"}, Group: DefaultConsumerGroup}}}, "streamfx"},
		{Config{Processors: []redisstream.ProcessorConfig{{Streams: []string{"a"}, Group: "pay"}, {Streams: []string{"b"}, Group: "bill"}}}, "streamfx:bill+pay"},
		{Config{Processors: []redisstream.ProcessorConfig{{Streams: []string{"a"}, Group: "pay"}, {Streams: []string{"b"}}}}, "streamfx:monolith+pay"},
	} {
		if got := tt.cfg.retryQueue(); got != tt.want {
			t.Errorf("retryQueue(%+v) = %q, want %q", tt.cfg.Processors, got, tt.want)
		}
	}
}
