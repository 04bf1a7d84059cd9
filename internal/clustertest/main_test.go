package clustertest

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain runs the tests and fails the package if one leaves goroutines
// behind. A process started by the scale-out test (consumerEnv set) runs as
// a consumer instead, and exits.
func TestMain(m *testing.M) {
	if os.Getenv(consumerEnv) != "" {
		os.Exit(runConsumer())
	}
	goleak.VerifyTestMain(m)
}
