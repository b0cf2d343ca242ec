package exit

import (
	"errors"
	"fmt"
	"testing"
)

// TestHintOfJoined: the hint survives errors.Join (kong's Context.Run
// returns errors.Join(runErr, hookErr), so ct-log's and ct-witness's
// subcommands lost their hints) and %w wrapping.
func TestHintOfJoined(t *testing.T) {
	e := New(Usage, "bad flag").WithHint("do this")
	for _, err := range []error{e, errors.Join(e, nil), errors.Join(errors.New("x"), e), fmt.Errorf("a: %w", errors.Join(e))} {
		if h := HintOf(err); h != "do this" {
			t.Errorf("HintOf(%v) = %q", err, h)
		}
	}
	if h := HintOf(errors.Join(errors.New("x"))); h != "" {
		t.Errorf("hint from nowhere: %q", h)
	}
}
