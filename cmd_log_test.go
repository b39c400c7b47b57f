package main

import (
	"os"
	"regexp"
	"strings"

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
