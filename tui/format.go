package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
)

// fit cuts s to width w (with an ellipsis) and pads it with spaces to w,
// on the left when right is set.
func fit(s string, w int, right bool) string {
	if w <= 0 {
		return ""
	}
	s = ansi.Truncate(s, w, "…")
	gap := w - ansi.StringWidth(s)
	if gap <= 0 {
		return s
	}
	if right {
		return strings.Repeat(" ", gap) + s
	}
	return s + strings.Repeat(" ", gap)
}

// cut cuts s to width w, with an ellipsis.
func cut(s string, w int) string {
	if w <= 0 {
		return ""
	}
	return ansi.Truncate(s, w, "…")
}

// fitLines cuts each line of lines to width w and pads the result to h
// lines (or keeps the first h).
func fitLines(lines []string, w, h int) string {
	if h <= 0 {
		return ""
	}
	out := make([]string, h)
	for i := range h {
		if i < len(lines) {
			out[i] = cut(lines[i], w)
		}
	}
	return strings.Join(out, "\n")
}

// formatBytes prints n bytes in binary units: 512B, 11.4K, 3.0M.
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%dB", n)
	}
	f := float64(n)
	for _, u := range []string{"K", "M", "G", "T"} {
		f /= unit
		if f < unit {
			if f < 10 {
				return fmt.Sprintf("%.1f%s", f, u)
			}
			return fmt.Sprintf("%.0f%s", f, u)
		}
	}
	return fmt.Sprintf("%.0fP", f/unit)
}

// formatCount prints n with SI suffixes: 950, 12.3k, 4.5M.
func formatCount(n float64) string {
	switch {
	case n < 0:
		return "-"
	case n < 1000:
		return fmt.Sprintf("%.0f", n)
	}
	for _, u := range []string{"k", "M", "G", "T"} {
		n /= 1000
		if n < 1000 {
			if n < 10 {
				return fmt.Sprintf("%.1f%s", n, u)
			}
			return fmt.Sprintf("%.0f%s", n, u)
		}
	}
	return fmt.Sprintf("%.0fP", n/1000)
}

// formatRTT prints a round-trip time, or "-" when it is not known.
func formatRTT(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	if d < time.Millisecond {
		return fmt.Sprintf("%dµs", d.Microseconds())
	}
	return d.Round(100 * time.Microsecond).String()
}

// limitText prints a limit, or "none" for zero.
func limitText[T ~int | ~int64 | ~uint64](n T, bytes bool) string {
	switch {
	case n == 0:
		return "none"
	case bytes:
		return formatBytes(int64(n))
	}
	return fmt.Sprint(n)
}
