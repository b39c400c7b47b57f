package secretfile

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestSetupGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", home)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("SOPS_CONFIG", "")
	dir := t.TempDir()
	t.Chdir(dir)
	if out, err := exec.Command("git", "init", "-q").CombinedOutput(); err != nil {
		t.Fatalf("git init: %v %s", err, out)
	}
	// Outside a work tree, only --global works.
	t.Run("no repository", func(t *testing.T) {
		t.Chdir(home)
		_, err := SetupGit(GitSetupOptions{})
		var se *SetupError
		if !errors.As(err, &se) || se.Usage || !strings.Contains(se.Hint, "--global") {
			t.Errorf("outside a repository: %v", err)
		}
	})

	cfg := "creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: age1x\n  - path_regex: (?i)^secret[0-9]+$\n    age: age1x\n"
	os.WriteFile(filepath.Join(dir, ".sops.yaml"), []byte(cfg), 0o644)
	os.WriteFile(filepath.Join(dir, "a.enc.yaml"), []byte("a: 1\n"), 0o644)
	g, err := SetupGit(GitSetupOptions{Hook: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Config) != 3 || len(g.Attributes) != 1 || g.Attributes[0] != "*.enc.yaml diff=sv merge=sv" ||
		len(g.Unusable) != 1 || len(g.Uncovered) != 0 || g.Hook == "" || !g.Changed() {
		t.Errorf("first setup: %+v", g)
	}
	if b, err := os.ReadFile(g.Hook); err != nil || !strings.Contains(string(b), "sv check --staged") {
		t.Errorf("hook: %q, %v", b, err)
	}
	if out, err := exec.Command("git", "config", "merge.sv.driver").Output(); err != nil || strings.TrimSpace(string(out)) != MergeDriverCmd {
		t.Errorf("merge.sv.driver = %q, %v", out, err)
	}
	g, err = SetupGit(GitSetupOptions{Hook: true})
	if err != nil || g.Changed() {
		t.Errorf("second setup: %+v, %v; want nothing changed", g, err)
	}

	// A file the rules cover that the attributes miss is named.
	os.WriteFile(filepath.Join(dir, ".gitattributes"), []byte("*.enc.yaml diff=sv merge=sv\na.enc.yaml -diff\n"), 0o644)
	if g, err = SetupGit(GitSetupOptions{}); err != nil || strings.Join(g.Uncovered, " ") != "a.enc.yaml" {
		t.Errorf("uncovered: %+v, %v", g, err)
	}

	var se *SetupError
	if _, err := SetupGit(GitSetupOptions{Patterns: []string{"a b"}}); !errors.As(err, &se) || !se.Usage {
		t.Errorf("pattern with a space: %v, want a usage *SetupError", err)
	}
	hook := filepath.Join(dir, ".git", "hooks", "pre-commit")
	os.WriteFile(hook, []byte("#!/bin/sh\nexit 0\n"), 0o755)
	if _, err := SetupGit(GitSetupOptions{Hook: true}); !errors.As(err, &se) || se.Usage || !strings.Contains(err.Error(), "is not sv's") {
		t.Errorf("someone else's hook: %v", err)
	}
}
