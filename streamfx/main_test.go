package streamfx_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves goroutines behind (the
// processors, watchers and the asynq server must all stop with the app).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
