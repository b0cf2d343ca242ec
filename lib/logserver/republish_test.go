package logserver

import (
	"testing"
	"time"

	"github.com/cerro-torre/ct/lib/exit"
)

// --checkpoint-interval 1m alone must not fail over the republish default
// (30 s, shorter): the default follows a longer checkpoint interval; a
// shorter interval the operator gave is still refused.
func TestRepublishInterval(t *testing.T) {
	for _, c := range []struct {
		republish, checkpoint, want time.Duration
		code                        exit.Code
	}{
		{0, time.Second, DefaultRepublishInterval, exit.OK},
		{0, time.Minute, time.Minute, exit.OK},
		{-1, time.Minute, -1, exit.OK},
		{2 * time.Minute, time.Minute, 2 * time.Minute, exit.OK},
		{30 * time.Second, time.Minute, 0, exit.Usage},
	} {
		got, err := republishInterval(c.republish, c.checkpoint)
		if exit.CodeOf(err) != c.code || (err == nil && got != c.want) {
			t.Errorf("republishInterval(%v, %v) = %v, %v; want %v, exit %d", c.republish, c.checkpoint, got, err, c.want, c.code)
		}
	}
}
