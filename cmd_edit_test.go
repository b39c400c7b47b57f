package main

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

func init() {
	scriptCmds["gone"] = cmdGone
	scriptCmds["diffkeys"] = cmdDiffkeys
}

// gone FILE asserts that the temporary file an editor script recorded in
// FILE (its last line, optionally "path=…") and its directory no longer
// exist.
func cmdGone(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 || neg {
		ts.Fatalf("usage: gone FILE")
	}
	lines := strings.Split(strings.TrimSpace(ts.ReadFile(args[0])), "\n")
	p := strings.TrimPrefix(lines[len(lines)-1], "path=")
	if !filepath.IsAbs(p) {
		ts.Fatalf("%s does not record an absolute path: %q", args[0], p)
	}
	for _, q := range []string{p, filepath.Dir(p)} {
		if _, err := os.Lstat(q); err == nil || !os.IsNotExist(err) {
			ts.Fatalf("%s still exists (%v)", q, err)
		}
	}
}

// diffkeys KEY... checks the unified diff in stdout: every changed line is
// "KEY: …" for one of the KEYs (lastmodified may be unchanged within the
// same second), and the first KEY and mac did change.
func cmdDiffkeys(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 0 || neg {
		ts.Fatalf("usage: diffkeys KEY...")
	}
	seen := map[string]bool{}
	for _, l := range strings.Split(ts.ReadFile("stdout"), "\n") {
		if l == "" || strings.HasPrefix(l, "---") || strings.HasPrefix(l, "+++") || (l[0] != '-' && l[0] != '+') {
			continue
		}
		key, _, _ := strings.Cut(strings.TrimSpace(l[1:]), ":")
		ok := false
		for _, k := range args {
			if key == k {
				ok = true
			}
		}
		if !ok {
			ts.Fatalf("unexpected changed line: %s", l)
		}
		seen[key] = true
	}
	for _, k := range []string{args[0], "mac"} {
		if !seen[k] {
			ts.Fatalf("%s did not change", k)
		}
	}
}
