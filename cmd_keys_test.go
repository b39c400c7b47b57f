package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"filippo.io/age/plugin"
	"github.com/rogpeppe/go-internal/testscript"
	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/internal/fakeplugin"
	"github.com/sv-secrets/sv/yamlwalk"
)

// The test binary doubles as the fake age plugin: age clients (sv, sops)
// run it as age-plugin-svtest, found on PATH through a symlink that
// pluginDir creates. Package initialisation runs before TestMain, so the
// plugin never reaches the test framework.
func init() {
	if filepath.Base(os.Args[0]) == fakeplugin.BinaryName {
		os.Exit(fakeplugin.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	scriptCmds["pubkey"] = cmdPubkey
	scriptCmds["expand"] = cmdExpand
	scriptCmds["datakey"] = cmdDatakey
	scriptCmds["svtest-keygen"] = cmdSvtestKeygen
	scriptSetups = append(scriptSetups, func(t *testing.T, e *testscript.Env) error {
		dir, err := pluginDir()
		if err != nil {
			return err
		}
		e.Setenv("PATH", dir+string(os.PathListSeparator)+e.Getenv("PATH"))
		// A plugin nobody installed.
		e.Setenv("NOSUCH_PLUGIN_RECIPIENT", plugin.EncodeRecipient("nosuch", []byte("data")))
		e.Setenv("NOSUCH_PLUGIN_IDENTITY", plugin.EncodeIdentity("nosuch", []byte("data")))
		// git in scripts: no user config, fixed identity.
		e.Setenv("GIT_CONFIG_NOSYSTEM", "1")
		e.Setenv("GIT_AUTHOR_NAME", "sv test")
		e.Setenv("GIT_AUTHOR_EMAIL", "sv@example.com")
		e.Setenv("GIT_COMMITTER_NAME", "sv test")
		e.Setenv("GIT_COMMITTER_EMAIL", "sv@example.com")
		return nil
	})
}

var (
	pluginOnce    sync.Once
	pluginDirPath string
	pluginErr     error
)

// pluginDir returns a directory holding age-plugin-svtest, a symlink to
// this test binary.
func pluginDir() (string, error) {
	pluginOnce.Do(func() {
		exe, err := os.Executable()
		if err != nil {
			pluginErr = err
			return
		}
		dir, err := os.MkdirTemp("", "sv-fakeplugin-")
		if err != nil {
			pluginErr = err
			return
		}
		pluginDirPath = dir
		pluginErr = os.Symlink(exe, filepath.Join(dir, fakeplugin.BinaryName))
	})
	return pluginDirPath, pluginErr
}

// pubkey VAR FILE sets VAR to the recipient on FILE's "# public key:" line
// (as age-keygen and sv keygen write it).
func cmdPubkey(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 || neg {
		ts.Fatalf("usage: pubkey VAR FILE")
	}
	for _, l := range strings.Split(ts.ReadFile(args[1]), "\n") {
		if r, ok := strings.CutPrefix(l, "# public key: "); ok {
			ts.Setenv(args[0], strings.TrimSpace(r))
			return
		}
	}
	ts.Fatalf("%s has no public key line", args[1])
}

// expand IN OUT writes IN to OUT with $VAR and ${VAR} replaced by the
// script's environment.
func cmdExpand(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 || neg {
		ts.Fatalf("usage: expand IN OUT")
	}
	out := os.Expand(ts.ReadFile(args[0]), ts.Getenv)
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(out), 0o644))
}

// datakey FILE IDENTITYFILE prints a fingerprint of FILE's data key, so a
// script can tell whether two versions share a data key.
func cmdDatakey(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 || neg {
		ts.Fatalf("usage: datakey FILE IDENTITYFILE")
	}
	id := ts.MkAbs(args[1])
	kr, err := crypt.LoadKeyring(crypt.Env{Getenv: func(k string) string {
		if k == "SOPS_AGE_KEY_FILE" {
			return id
		}
		return ""
	}})
	ts.Check(err)
	dec, err := yamlwalk.Decrypt([]byte(ts.ReadFile(args[0])), yamlwalk.DecryptOptions{Keys: kr})
	ts.Check(err)
	sum := sha256.Sum256(dec.Key)
	ts.Stdout().Write([]byte(hex.EncodeToString(sum[:8]) + "\n"))
}

// svtest-keygen FILE writes a fake plugin identity to FILE (with a
// "# public key:" line) and sets $SVTEST to its recipient.
func cmdSvtestKeygen(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 || neg {
		ts.Fatalf("usage: svtest-keygen FILE")
	}
	id, r, err := fakeplugin.Generate()
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte("# public key: "+r+"\n"+id+"\n"), 0o600))
	ts.Setenv("SVTEST", r)
}
