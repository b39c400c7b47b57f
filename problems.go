package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/secretfile"
)

// fileProblems collects per-file failures of a command that goes on with
// the other files, and turns them into one error at the end.
type fileProblems struct {
	verb   string // "update", "rotate"
	total  int
	lines  []string
	noKey  *crypt.NoKeyError
	failed []string
	errs   []error
}

// count records a file of a tree a command read (secretfile.ReadTreeFile),
// returning whether the command goes on with it: a skipped file is not
// one of its files, one that failed to read is a problem.
func (p *fileProblems) count(t secretfile.TreeFile) bool {
	if t.Skipped {
		return false
	}
	p.total++
	if t.Err != nil {
		p.add(t.Path, t.Err)
		return false
	}
	return true
}

func (p *fileProblems) add(file string, err error) {
	p.failed = append(p.failed, file)
	p.errs = append(p.errs, err)
	var nk *crypt.NoKeyError
	if errors.As(err, &nk) {
		p.noKey = nk
	}
	msg := err.Error()
	if fe, ok := err.(*secretfile.FileError); ok && fe.File == file {
		msg = fe.Err.Error()
	}
	p.lines = append(p.lines, file+": "+strings.TrimSuffix(msg, "."))
}

func (p *fileProblems) err() error {
	if len(p.failed) == 0 {
		return nil
	}
	if p.total == 1 {
		// One file: its own error, with its own hints and exit code.
		if _, ok := p.errs[0].(*secretfile.FileError); ok {
			return p.errs[0]
		}
		return secretfile.WithFile(p.failed[0], p.errs[0])
	}
	hints := append([]string{}, p.lines...)
	if p.noKey != nil {
		hints = append(hints, "looked for identities in: "+strings.Join(p.noKey.Places, ", "))
	}
	err := withHint(fmt.Errorf("could not %s %d of %d file(s): %s", p.verb, len(p.failed), p.total, secretfile.ListPaths(p.failed, 5)), hints...)
	if code := sameExitCode(p.errs); code != exitFailure {
		// Every file failed the same way (no key: 128, MAC: 51): say so.
		return &exitError{code: code, err: err}
	}
	return err
}
