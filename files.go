package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/sv-secrets/sv/internal/atomicfile"
	"github.com/urfave/cli/v2"
)

// Every file sv writes goes through internal/atomicfile: symlinks are
// written through to their target, devices, FIFOs and /dev/stdout are
// written into, mode and owner stay, read-only files are refused, hard
// links stay joined, no named temporary file outlives the process, and
// writers of one file are serialised.

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

// writeFile writes data to path: with mode for a new file, and for an
// existing one too unless keepMode.
func writeFile(path string, data []byte, mode os.FileMode, keepMode bool) error {
	return writeError(path, atomicfile.Write(path, data, atomicfile.Options{Mode: mode, KeepMode: keepMode, Force: forceWrite}))
}

// writeOutput is writeFile for -o: "-" is standard output.
func writeOutput(stdout io.Writer, path string, data []byte, mode os.FileMode, keepMode bool) error {
	if path == "-" {
		_, err := stdout.Write(data)
		return err
	}
	return writeFile(path, data, mode, keepMode)
}

// replaceFile writes data over file, which the command read as src and
// computed data from: under the write lock it checks that the file still
// holds src, and fails with *changedError if someone else changed it
// meanwhile (so their update is not lost). The file keeps its mode.
func replaceFile(file string, src, data []byte) error {
	return writeError(file, atomicfile.Write(file, data, atomicfile.Options{Mode: 0o644, KeepMode: true, Force: forceWrite,
		Check: func(cur []byte, exists bool) error {
			if !exists || !bytes.Equal(cur, src) {
				return &changedError{file: file}
			}
			return nil
		}}))
}

// createFile writes a new file, failing if one appeared meanwhile.
func createFile(file string, data []byte, mode os.FileMode) error {
	return writeError(file, atomicfile.Write(file, data, atomicfile.Options{Mode: mode,
		Check: func(_ []byte, exists bool) error {
			if exists {
				return &changedError{file: file, created: true}
			}
			return nil
		}}))
}

// changedError: the file changed on disk between sv reading it and
// writing it; nothing was written.
type changedError struct {
	file    string
	created bool
}

func (e *changedError) Error() string {
	if e.created {
		return e.file + " was created by someone else meanwhile; not overwritten"
	}
	return e.file + " changed on disk while sv was working on it; not overwritten"
}

// writeError adds the hint that goes with a refused write.
func writeError(file string, err error) error {
	var (
		ro *atomicfile.ReadOnlyError
		ce *changedError
		le *atomicfile.LockedError
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ro):
		return withHint(err, fmt.Sprintf("make it writable first (chmod u+w %s), or pass --force, if you mean to change it", file))
	case errors.As(err, &ce):
		return withHint(err, "nothing was written; run the command again")
	case errors.As(err, &le):
		return withHint(err, "nothing was written; run the command again when the other process is done")
	}
	return err
}

// readInput reads a file named on the command line, with errors that name
// it the way users typed it.
func readInput(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("%s: no such file", path)
		}
		return nil, fmt.Errorf("%s: %w", path, unwrapPathError(err))
	}
	return b, nil
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
