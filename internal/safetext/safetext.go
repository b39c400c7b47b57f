// Package safetext makes text from files safe to print on a terminal.
package safetext

import (
	"fmt"
	"strings"
)

// Terminal returns s with every character a terminal would act on instead
// of showing written as an escape: C0 and C1 controls (ESC starts colour,
// cursor and title sequences), DEL, line breaks, and the bidirectional
// overrides that reorder what is shown. Tabs stay. Text anyone can put in
// a file (a recipient label, a key, a file name) goes through it before
// sv prints it, so it cannot forge a line, hide one or retitle the
// terminal.
func Terminal(s string) string {
	if clean(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unsafe(r) {
			if r < 0x100 {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func clean(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' || c >= 0x7f {
			goto slow
		}
	}
	return true
slow:
	for _, r := range s {
		if unsafe(r) {
			return false
		}
	}
	return true
}

func unsafe(r rune) bool {
	switch {
	case r == '\t':
		return false
	case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	case r == 0x2028, r == 0x2029, r == 0xfeff:
		return true
	}
	return false
}
