package reliability

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// roleEnv, when set to roleConsumer, turns the test binary into a consumer
// process (see runConsumer) instead of running the tests.
const (
	roleEnv      = "STREAMFX_RELIABILITY_ROLE"
	roleConsumer = "consumer"
)

// results collects one row per scenario; TestMain prints them after the
// tests. It is the only package-level state, and it is test plumbing.
var results summary

func TestMain(m *testing.M) {
	if os.Getenv(roleEnv) == roleConsumer {
		os.Exit(runConsumer())
	}
	code := m.Run()
	results.print(os.Stdout)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "reliability: goroutines left after the tests: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}
