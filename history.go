package main

import (
	"errors"
	"io"

	"github.com/sv-secrets/sv/audit"
	"github.com/sv-secrets/sv/gitrepo"
)

// openHistory opens the git work tree around the current directory (sv
// log, status --ages, check's value ages).
func openHistory() (*audit.History, error) {
	h, err := audit.Open(".")
	if errors.Is(err, gitrepo.ErrNotRepo) {
		return nil, withHint(errors.New("not inside a git work tree"), "the audit reads the history of encrypted files from git; run it in a clone of the repository")
	}
	return h, err
}

// shallowNote tells on stderr where a shallow clone's history starts
// (horizon: audit.History.Shallow).
func shallowNote(w io.Writer, horizon []audit.Commit) {
	if len(horizon) == 0 {
		return
	}
	notef(w, "this is a shallow clone: its history starts at %s (commit %s); earlier changes are not shown and values already there have no known date",
		horizon[0].Date.Format("2006-01-02"), horizon[0].Short())
	notef(w, "run 'git fetch --unshallow' for the whole history (in CI: check out with full depth, e.g. actions/checkout with fetch-depth: 0)")
}
