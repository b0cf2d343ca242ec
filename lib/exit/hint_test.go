package exit

import (
	"errors"
	"testing"
)

// A hint survives errors.Join, as kong's Context.Run returns a
// subcommand's error (ct-log submit's hints were lost that way).
func TestHintOfJoined(t *testing.T) {
	err := errors.Join(New(Usage, "no key").WithHint("give --log-key"))
	if h := HintOf(err); h != "give --log-key" {
		t.Fatalf("HintOf(joined) = %q", h)
	}
	if CodeOf(err) != Usage {
		t.Fatalf("CodeOf(joined) = %d", CodeOf(err))
	}
}
