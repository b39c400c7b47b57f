package crypt

import (
	"strings"
	"testing"
)

func TestShortRecipient(t *testing.T) {
	x25519 := "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
	pq := "age1pq1" + strings.Repeat("q", 1900) + "abcdefgh"
	ssh := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEx7uT4fPtkJZ7nB1zYB2rVkmYxBzZt3S0nH3zLmxDvI"
	for in, want := range map[string]string{
		x25519:                x25519,
		" " + x25519 + "\n":   x25519,
		pq:                    "age1pq1qqqqqqqqqqqqq…abcdefgh",
		ssh + " alice@laptop": ssh,
		"ssh-rsa AAAAB3 bob":  "ssh-rsa AAAAB3",
		"ssh-rsa " + strings.Repeat("A", 500) + "xyz= bob": "ssh-rsa AAAAAAAAAAAA…AAAAxyz=",
		"age1\x1b]0;title\x07":                             `age1\x1b]0;title\x07`,
		"age1\x1b]0;t\x07" + strings.Repeat("q", 200):      `age1` + `\x1b]0;t\x07` + "qqqqqqqqqq…qqqqqqqq",
		"age1short": "age1short",
	} {
		if got := ShortRecipient(in); got != want {
			t.Errorf("ShortRecipient(%.40q) = %q, want %q", in, got, want)
		}
	}
}
