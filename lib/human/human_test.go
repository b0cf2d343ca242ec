package human

import "testing"

func TestWords(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{Count(0, "blob"), "0 blobs"}, {Count(1, "blob"), "1 blob"}, {Count(2, "layer"), "2 layers"},
		{Noun(1, "key"), "key"}, {Noun(3, "key"), "keys"},
		{Size(999), "999 B"}, {Size(2100), "2.1 kB"}, {Size(1 << 30), "1.1 GB"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
