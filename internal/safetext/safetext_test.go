package safetext

import "testing"

func TestTerminal(t *testing.T) {
	for in, want := range map[string]string{
		"age1abc":                 "age1abc",
		"a\tb":                    "a\tb",
		"\x1b[31mred\x1b[0m":      `\x1b[31mred\x1b[0m`,
		"\x1b]0;title\x07":        `\x1b]0;title\x07`,
		"line\nsv: ok\r":          `line\x0asv: ok\x0d`,
		"caf\u00e9 \u202egnp.exe": `café \u202egnp.exe`,
		"\u009b31m":               `\x9b31m`,
		"ünïcödé ✓":               "ünïcödé ✓",
	} {
		if got := Terminal(in); got != want {
			t.Errorf("Terminal(%q) = %q, want %q", in, got, want)
		}
	}
}
