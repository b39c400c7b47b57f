package main

import (
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// urfave/cli (like Go's flag package) stops reading flags at the first
// argument that is not one, so "sv encrypt FILE --age R" would treat
// "--age" and "R" as two more files, after FILE had been encrypted for
// other recipients. normalizeArgs runs before anything else and moves the
// flags of the commands below in front of their other arguments, so flags
// work wherever they are written; after "--" everything is an argument.
//
// Commands not listed keep the strict order: exec-env and exec-file take a
// command line to run, helm passes its arguments on, and git calls
// textconv and merge-driver with fixed arguments.

// interspersed maps a command to whether its arguments may themselves
// start with "-" (sv set's VALUE: "sv set f n -5"). For such a command an
// unknown "-x" after the first argument stays an argument; for the others
// it stays a flag, so a typo fails as an unknown flag before any write
// instead of being taken for a file name.
var interspersed = map[string]bool{
	"encrypt": false, "decrypt": false, "edit": false, "updatekeys": false,
	"rotate": false, "status": false, "check": false, "keygen": false,
	"log": false, "set": true, "unset": false,
}

// completionFlag is what the completion scripts append to the words typed
// so far.
const completionFlag = "--generate-bash-completion"

func normalizeArgs(cmds []*cli.Command, args []string) []string {
	if len(args) > 1 && args[len(args)-1] == completionFlag {
		// urfave/cli disables completion when "--" was typed and would
		// run the command instead ("sv encrypt FILE --" then TAB):
		// completion must never run anything.
		return slices.DeleteFunc(slices.Clone(args), func(a string) bool { return a == "--" })
	}
	if len(args) < 3 {
		return args
	}
	var cmd *cli.Command
	for _, c := range cmds {
		if c.HasName(args[1]) {
			cmd = c
		}
	}
	if cmd == nil {
		return args
	}
	dashArgs, ok := interspersed[cmd.Name]
	if !ok {
		return args
	}
	var flags, rest []string
	in := args[2:]
	for i := 0; i < len(in); i++ {
		a := in[i]
		if a == "--" {
			rest = append(rest, in[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			rest = append(rest, a)
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := lookupFlag(cmd, name)
		if f == nil && (dashArgs && len(rest) > 0) {
			rest = append(rest, a)
			continue
		}
		flags = append(flags, a)
		if f != nil && !hasValue && takesValue(f) && i+1 < len(in) {
			i++
			flags = append(flags, in[i])
		}
	}
	out := append([]string{args[0], args[1]}, flags...)
	if len(rest) > 0 && len(rest[0]) > 1 && rest[0][0] == '-' {
		out = append(out, "--")
	}
	return append(out, rest...)
}

func lookupFlag(cmd *cli.Command, name string) cli.Flag {
	for _, f := range append(slices.Clone(cmd.Flags), cli.HelpFlag) {
		if slices.Contains(f.Names(), name) {
			return f
		}
	}
	return nil
}

func takesValue(f cli.Flag) bool {
	_, isBool := f.(*cli.BoolFlag)
	return !isBool
}
