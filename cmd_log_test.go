package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

func init() {
	scriptCmds["audit-hashes"] = cmdAuditHashes
}

// audit-hashes OUT replaces the commit hashes (full and 7-character) in
// the last command's stdout by {subject} of their commit and writes the
// result to OUT, so sv log output can be compared with a golden file
// although hashes depend on the (random) ciphertexts.
func cmdAuditHashes(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: audit-hashes OUT")
	}
	got := ts.ReadFile("stdout")
	ts.Check(ts.Exec("git", "log", "--all", "--format=%H %s"))
	subjects := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(ts.ReadFile("stdout")), "\n") {
		h, s, _ := strings.Cut(l, " ")
		subjects[h] = "{" + s + "}"
		subjects[h[:7]] = "{" + s + "}"
	}
	out := regexp.MustCompile(`\b[0-9a-f]{40}\b|\b[0-9a-f]{7}\b`).ReplaceAllStringFunc(got, func(h string) string {
		if s, ok := subjects[h]; ok {
			return s
		}
		return h
	})
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(out), 0o644))
}

func TestParseAge(t *testing.T) {
	day := 24 * time.Hour
	for in, want := range map[string]time.Duration{
		"90d": 90 * day, "12w": 84 * day, "36h": 36 * time.Hour, "1y": 365 * day, "90D": 90 * day,
		"2160h30m": 2160*time.Hour + 30*time.Minute, "none": 0, "off": 0, "0": 0, "": 0,
	} {
		got, err := parseAge(in)
		if err != nil || got != want {
			t.Errorf("parseAge(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"90", "d", "-5h", "3 months", "9999999d"} {
		if _, err := parseAge(in); err == nil {
			t.Errorf("parseAge(%q) succeeded", in)
		}
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"2026-01-02T03:04:05Z": time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		"30d":                  now.Add(-30 * 24 * time.Hour),
	} {
		got, err := parseSince(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseSince(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if got, err := parseSince("2026-01-02", now); err != nil || got.Format("2006-01-02") != "2026-01-02" {
		t.Errorf("parseSince(date) = %v, %v", got, err)
	}
	for _, in := range []string{"yesterday", "2026-13-01", "none"} {
		if _, err := parseSince(in, now); err == nil {
			t.Errorf("parseSince(%q) succeeded", in)
		}
	}
}

func TestUnderPath(t *testing.T) {
	for _, c := range []struct {
		p, prefix string
		want      bool
	}{
		{"db.password", "db", true},
		{"db", "db", true},
		{"db.hosts[0]", "db.hosts", true},
		{"dbx.password", "db", false},
		{"api.token", "db", false},
		{`a["b.c"]`, "a", true},
	} {
		if got := underPath(c.p, c.prefix); got != c.want {
			t.Errorf("underPath(%q, %q) = %v", c.p, c.prefix, got)
		}
	}
}
