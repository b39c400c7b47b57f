package main

import (
	"bufio"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func init() {
	scriptCmds["git-nosecret"] = cmdGitNoSecret
	scriptCmds["git-pathgone"] = cmdGitPathGone
	scriptCmds["git-sameline"] = cmdGitSameLine
	scriptSetups = append(scriptSetups, func(t *testing.T, e *testscript.Env) error {
		// Keep the machine's git configuration out of the test repositories.
		e.Setenv("GIT_CONFIG_NOSYSTEM", "1")
		e.Setenv("GIT_AUTHOR_NAME", "Tester")
		e.Setenv("GIT_AUTHOR_EMAIL", "tester@example.com")
		e.Setenv("GIT_COMMITTER_NAME", "Tester")
		e.Setenv("GIT_COMMITTER_EMAIL", "tester@example.com")
		return nil
	})
}

// git-nosecret DIR STRING... fails if any file under DIR (outside .git) holds
// one of the strings: plaintext left behind in the work tree.
func cmdGitNoSecret(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: git-nosecret DIR STRING...")
	}
	root := ts.MkAbs(args[0])
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, s := range args[1:] {
			if bytes.Contains(b, []byte(s)) {
				ts.Fatalf("%s holds %q", p, s)
			}
		}
		return nil
	})
	ts.Check(err)
}

// git-pathgone FILE reads a path from the first line of FILE and fails if that
// path or its directory still exists.
func cmdGitPathGone(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: git-pathgone FILE")
	}
	b, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	p := strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])
	if p == "" || !filepath.IsAbs(p) {
		ts.Fatalf("%s does not hold an absolute path: %q", args[0], p)
	}
	for _, q := range []string{p, filepath.Dir(p)} {
		if _, err := os.Lstat(q); err == nil {
			ts.Fatalf("%s still exists", q)
		}
	}
}

// git-sameline FILE1 FILE2 PREFIX asserts that the first line starting with
// PREFIX is the same in both files (e.g. a ciphertext kept by a merge).
func cmdGitSameLine(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: git-sameline FILE1 FILE2 PREFIX")
	}
	line := func(f string) string {
		fh, err := os.Open(ts.MkAbs(f))
		ts.Check(err)
		defer fh.Close()
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), args[2]) {
				return sc.Text()
			}
		}
		ts.Fatalf("%s has no line starting with %q", f, args[2])
		return ""
	}
	if same := line(args[0]) == line(args[1]); same == neg {
		if neg {
			ts.Fatalf("the %q lines are the same", args[2])
		}
		ts.Fatalf("the %q lines differ", args[2])
	}
}
