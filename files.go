package main

import (
	"io"
	"os"
	"slices"

	"github.com/sv-secrets/sv/secretfile"
	"github.com/urfave/cli/v2"
)

// Every file sv writes goes through secretfile (atomic, mode-keeping; see
// secretfile/write.go); here is only --force.

// forceWrite is the --force flag of the command being run: write
// read-only files too.
var forceWrite bool

// writingCommands get --force.
var writingCommands = []string{"encrypt", "decrypt", "edit", "set", "unset", "rotate", "updatekeys"}

// addForceFlags gives the writing commands --force, and sets forceWrite
// from it before their action runs.
func addForceFlags(cmds []*cli.Command) {
	for _, c := range cmds {
		if !slices.Contains(writingCommands, c.Name) || c.Action == nil || hasFlag(c, "force") {
			continue
		}
		c.Flags = append(c.Flags, &cli.BoolFlag{Name: "force", Usage: "write files even if they are read-only"})
		action := c.Action
		c.Action = func(ctx *cli.Context) error {
			forceWrite = ctx.Bool("force")
			return action(ctx)
		}
	}
}

// hasFlag reports whether c already has a flag named name (a command list
// may be wired more than once in one process, e.g. by helm secrets).
func hasFlag(c *cli.Command, name string) bool {
	for _, f := range c.Flags {
		if slices.Contains(f.Names(), name) {
			return true
		}
	}
	return false
}

func writeOptions() secretfile.WriteOptions { return secretfile.WriteOptions{Force: forceWrite} }

// writeFile is secretfile.Write with --force.
func writeFile(path string, data []byte, mode os.FileMode, keepMode bool) error {
	return secretfile.Write(path, data, mode, keepMode, writeOptions())
}

// writeOutput is writeFile for -o: "-" is standard output.
func writeOutput(stdout io.Writer, path string, data []byte, mode os.FileMode, keepMode bool) error {
	if path == "-" {
		_, err := stdout.Write(data)
		return err
	}
	return writeFile(path, data, mode, keepMode)
}

// replaceFile is secretfile.Replace with --force.
func replaceFile(file string, src, data []byte) error {
	return secretfile.Replace(file, src, data, writeOptions())
}
