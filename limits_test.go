package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

func init() {
	scriptCmds["genyaml"] = cmdGenYAML
}

// genyaml KIND N BASE OUT writes OUT: a hostile block of kind bomb (a
// billion-laughs chain of N levels of 9 aliases each), deep (N nested flow
// mappings), deepseq (N nested block lists), cycle (an alias inside its own
// anchor) or recipients (N extra age entries in the sops block), under
// _unencrypted keys, followed by BASE (an encrypted file, so the result
// still verifies as far as sops's format goes).
func cmdGenYAML(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 4 {
		ts.Fatalf("usage: genyaml bomb|deep|deepseq|cycle|recipients N BASE OUT")
	}
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	base, err := os.ReadFile(ts.MkAbs(args[2]))
	ts.Check(err)
	var b strings.Builder
	switch args[0] {
	case "bomb":
		b.WriteString("a0_unencrypted: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
		for i := 1; i <= n; i++ {
			fmt.Fprintf(&b, "a%d_unencrypted: &a%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 9), ", "))
		}
	case "deep":
		b.WriteString("deep_unencrypted: " + strings.Repeat("{a: ", n) + "x" + strings.Repeat("}", n) + "\n")
	case "deepseq":
		b.WriteString("deep_unencrypted:\n" + strings.Repeat("- ", n) + "x\n")
	case "cycle":
		b.WriteString("cycle_unencrypted: &c [x, *c]\n")
	case "recipients":
		// Copies of the file's first age entry, n times.
		s := string(base)
		i := strings.Index(s, "\nsops:\n")
		a := strings.Index(s[i+1:], "age:\n")
		if i < 0 || a < 0 {
			ts.Fatalf("%s: no age list to copy", args[2])
		}
		start := i + 1 + a + len("age:\n")
		dashIndent := strings.Index(s[start:], "- ")
		end := start + strings.IndexByte(s[start:], '\n') + 1
		for end < len(s) {
			line := s[end:]
			if ind := len(line) - len(strings.TrimLeft(line, " ")); ind <= dashIndent {
				break
			}
			end += strings.IndexByte(line, '\n') + 1
		}
		entry := s[start:end]
		ts.Check(os.WriteFile(ts.MkAbs(args[3]), []byte(s[:start]+strings.Repeat(entry, n)+s[start:]), 0o644))
		return
	default:
		ts.Fatalf("genyaml: unknown kind %s", args[0])
	}
	b.Write(base)
	ts.Check(os.WriteFile(ts.MkAbs(args[3]), []byte(b.String()), 0o644))
}
