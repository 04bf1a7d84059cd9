package payments

import (
	"context"
	"errors"
	"testing"
)

func TestSandboxGateway(t *testing.T) {
	t.Parallel()
	tests := []struct {
		card string
		want []error // one per call; nil means paid
	}{
		{CardOK, []error{nil, nil}},
		{CardFlaky, []error{ErrUnavailable, ErrUnavailable, nil, nil}},
		{CardDeclined, []error{ErrDeclined, ErrDeclined}},
		{"tok_unknown", []error{ErrDeclined}},
	}
	for _, tt := range tests {
		t.Run(tt.card, func(t *testing.T) {
			t.Parallel()
			gw := NewSandboxGateway()
			first := ""
			for i, want := range tt.want {
				id, err := gw.Charge(context.Background(), "bk-1", tt.card, 100)
				if !errors.Is(err, want) || (want == nil && err != nil) {
					t.Fatalf("call %d: err = %v, want %v", i+1, err, want)
				}
				if err == nil && first == "" {
					first = id
				}
				if err == nil && id != first {
					t.Fatalf("call %d: charge %q, want the first charge %q again (idempotent)", i+1, id, first)
				}
			}
		})
	}
}
