package main

import (
	"os"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

func init() {
	scriptCmds["injectrecipient"] = cmdInjectRecipient
	scriptCmds["appendline"] = cmdAppendLine
}

// injectrecipient FILE FROM copies the (first) age entry of FROM's sops
// block into FILE's, as someone without FILE's key can: the entry is a
// valid age file for FROM's recipient.
func cmdInjectRecipient(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: injectrecipient FILE FROM")
	}
	dst, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	src, err := os.ReadFile(ts.MkAbs(args[1]))
	ts.Check(err)
	entry := func(s string) (start, end int) {
		i := strings.Index(s, "\nsops:\n")
		a := strings.Index(s[i:], "age:\n")
		if i < 0 || a < 0 {
			ts.Fatalf("no age list")
		}
		start = i + a + len("age:\n")
		dash := strings.Index(s[start:], "- ")
		end = start + strings.IndexByte(s[start:], '\n') + 1
		for end < len(s) {
			line := s[end:]
			if len(line)-len(strings.TrimLeft(line, " ")) <= dash {
				break
			}
			end += strings.IndexByte(line, '\n') + 1
		}
		return start, end
	}
	ss, se := entry(string(src))
	ds, _ := entry(string(dst))
	out := string(dst[:ds]) + string(src[ss:se]) + string(dst[ds:])
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(out), 0o644))
}

// appendline FILE LINE appends LINE and a line break to FILE.
func cmdAppendLine(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: appendline FILE LINE")
	}
	f, err := os.OpenFile(ts.MkAbs(args[0]), os.O_APPEND|os.O_WRONLY, 0)
	ts.Check(err)
	_, err = f.WriteString(args[1] + "\n")
	ts.Check(err)
	ts.Check(f.Close())
}
