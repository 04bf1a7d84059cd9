package streamfx_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestCoreModuleLinksNoInstrumentation checks with `go list -deps` that
// package streamfx imports neither Prometheus nor OpenTelemetry: metrics and
// tracing live in streamfx/fxmetrics and streamfx/fxtracing, which an app
// imports only when it uses them.
func TestCoreModuleLinksNoInstrumentation(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps listed %d packages: %q", len(deps), deps)
	}
	for _, d := range deps {
		if strings.Contains(d, "prometheus") || strings.Contains(d, "opentelemetry") {
			t.Errorf("package streamfx depends on %s", d)
		}
	}
}
