package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/sv-secrets/sv/internal/tooltest"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"sv": func() { os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScript runs the end-to-end scripts in testdata/script, one per
// feature. The real sops and age binaries are on PATH; HOME and the config
// dirs point into the script's work dir so no real key is ever found.
func TestScript(t *testing.T) {
	toolDirs := []string{
		filepath.Dir(tooltest.Sops(t)),
		filepath.Dir(tooltest.Age(t)),
		filepath.Dir(tooltest.AgeKeygen(t)),
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(e *testscript.Env) error {
			e.Setenv("PATH", strings.Join(append(toolDirs, e.Getenv("PATH")), string(os.PathListSeparator)))
			e.Setenv("HOME", e.WorkDir+"/home")
			e.Setenv("XDG_CONFIG_HOME", e.WorkDir+"/home/.config")
			// Unset, not empty: sops 3.13.3 panics on an empty SOPS_AGE_KEY_CMD.
			vars := e.Vars[:0]
			for _, kv := range e.Vars {
				if !strings.HasPrefix(kv, "SOPS_") {
					vars = append(vars, kv)
				}
			}
			e.Vars = vars
			root := tooltest.RepoRoot(t)
			e.Setenv("CORPUS", filepath.Join(root, "testdata", "corpus"))
			keys := filepath.Join(root, "testdata", "keys")
			e.Setenv("KEYS", keys)
			for env, file := range map[string]string{"ALICE": "alice.agekey", "BOB": "bob.agekey", "CAROL_PQ": "carol-pq.agekey"} {
				e.Setenv(env, testRecipient(t, filepath.Join(keys, file)))
			}
			ssh, err := os.ReadFile(filepath.Join(keys, "dave-ssh.pub"))
			if err != nil {
				return err
			}
			e.Setenv("DAVE_SSH", strings.TrimSpace(string(ssh)))
			for _, f := range scriptSetups {
				if err := f(t, e); err != nil {
					return err
				}
			}
			return nil
		},
		Cmds: scriptCmds,
	})
}

// scriptCmds are the custom testscript commands; feature test files add
// theirs in init.
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"perm": cmdPerm,
}

// scriptSetups run after the common setup; feature test files add theirs in
// init (e.g. to put helm on PATH).
var scriptSetups []func(t *testing.T, e *testscript.Env) error

// testRecipient reads the "# public key:" line of a test identity file.
func testRecipient(t *testing.T, file string) string {
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if r, ok := strings.CutPrefix(l, "# public key: "); ok {
			return r
		}
	}
	t.Fatalf("%s has no public key line", file)
	return ""
}

// perm FILE MODE asserts a file's permission bits, e.g. "perm out.yaml 0600".
func cmdPerm(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: perm FILE MODE")
	}
	fi, err := os.Stat(ts.MkAbs(args[0]))
	ts.Check(err)
	got := fi.Mode().Perm()
	want := args[1]
	if (strings.TrimLeft(want, "0") == strings.TrimLeft(formatMode(got), "0")) == neg {
		ts.Fatalf("%s has mode %s", args[0], formatMode(got))
	}
}

func formatMode(m os.FileMode) string {
	const digits = "01234567"
	p := uint32(m.Perm())
	return string([]byte{'0', digits[(p>>6)&7], digits[(p>>3)&7], digits[p&7]})
}
