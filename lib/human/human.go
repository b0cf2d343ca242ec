// Package human formats quantities for people: counts with their noun
// ("1 blob", "2 blobs") and byte sizes ("2.1 kB"). Every command's status
// lines and ct explain use it, so the same thing is said the same way.
// It imports only fmt, so even ct-verify links it.
package human

import "fmt"

// Noun is noun for one and noun+"s" for any other count (every noun ct
// counts has a regular plural).
func Noun(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}

// Count says "1 blob", "2 blobs", "0 blobs".
func Count(n int, noun string) string { return fmt.Sprintf("%d %s", n, Noun(n, noun)) }

// Size formats n bytes in SI units, as registries show them ("512 B",
// "2.1 kB", "1.0 GB").
func Size(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}
