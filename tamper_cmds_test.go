package main

import (
	"os"
	"regexp"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/sv-secrets/sv/crypt"
)

func init() {
	scriptCmds["replace"] = cmdReplace
	scriptCmds["swapenc"] = cmdSwapENC
	scriptCmds["flipenc"] = cmdFlipENC
}

// flipenc FILE KEY flips one bit of the ciphertext of the (first) encrypted
// value of KEY, keeping the ENC format valid.
func cmdFlipENC(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 || neg {
		ts.Fatalf("usage: flipenc FILE KEY")
	}
	name := ts.MkAbs(args[0])
	b, err := os.ReadFile(name)
	ts.Check(err)
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		if !strings.HasPrefix(strings.TrimSpace(l), args[1]+":") || !encRe.MatchString(l) {
			continue
		}
		enc := encRe.FindString(l)
		v, err := crypt.ParseValue(enc)
		ts.Check(err)
		v.Data[0] ^= 1
		lines[i] = strings.Replace(l, enc, v.String(), 1)
		ts.Check(os.WriteFile(name, []byte(strings.Join(lines, "\n")), 0o644))
		return
	}
	ts.Fatalf("flipenc: no encrypted key %q", args[1])
}

// replace FILE REGEXP REPLACEMENT rewrites FILE (Go regexp syntax, $1 for
// groups, \n in the replacement for a line break); it fails if nothing
// matched.
func cmdReplace(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 || neg {
		ts.Fatalf("usage: replace FILE REGEXP REPLACEMENT")
	}
	name := ts.MkAbs(args[0])
	b, err := os.ReadFile(name)
	ts.Check(err)
	re, err := regexp.Compile(args[1])
	ts.Check(err)
	if !re.Match(b) {
		ts.Fatalf("replace: no match for %q in %s", args[1], args[0])
	}
	repl := strings.ReplaceAll(args[2], `\n`, "\n")
	ts.Check(os.WriteFile(name, re.ReplaceAll(b, []byte(repl)), 0o644))
}

var encRe = regexp.MustCompile(`ENC\[AES256_GCM,[^\]]*\]`)

// swapenc FILE KEY1 KEY2 swaps the ENC[...] values of the lines whose key is
// KEY1 and KEY2, to prove a value moved to another path does not decrypt.
func cmdSwapENC(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 || neg {
		ts.Fatalf("usage: swapenc FILE KEY1 KEY2")
	}
	name := ts.MkAbs(args[0])
	b, err := os.ReadFile(name)
	ts.Check(err)
	lines := strings.Split(string(b), "\n")
	find := func(key string) int {
		for i, l := range lines {
			if strings.HasPrefix(strings.TrimSpace(l), key+":") && encRe.MatchString(l) {
				return i
			}
		}
		ts.Fatalf("swapenc: no encrypted key %q", key)
		return -1
	}
	i, j := find(args[1]), find(args[2])
	a, c := encRe.FindString(lines[i]), encRe.FindString(lines[j])
	lines[i] = strings.Replace(lines[i], a, c, 1)
	lines[j] = strings.Replace(lines[j], c, a, 1)
	ts.Check(os.WriteFile(name, []byte(strings.Join(lines, "\n")), 0o644))
}
