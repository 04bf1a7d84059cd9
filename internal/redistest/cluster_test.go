package redistest

import (
	"context"
	"testing"
)

func TestClusterHelperSmoke(t *testing.T) {
	c := StartCluster(t, 3)
	r := c.Client(t)
	ctx := context.Background()
	for _, k := range []string{"{a}x", "{b}y", "{c}z"} {
		if err := r.Set(ctx, k, "1", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
}
