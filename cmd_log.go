package main

// sv log: the secret audit read from git history, without keys (package
// audit; the files to follow: secretfile.LogOptions).

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/sv-secrets/sv/audit"
	"github.com/sv-secrets/sv/secretfile"
	"github.com/sv-secrets/sv/yamlwalk"
	"github.com/urfave/cli/v2"
)

func logCommand() *cli.Command {
	return &cli.Command{
		Name:      "log",
		Usage:     "show which secret changed when, and by whom, from git history (no key needed)",
		ArgsUsage: "[FILE|DIR...]",
		Description: `Walks the git history of HEAD (newest first) and prints, for every commit
that changed an encrypted file, the commit date, short hash, author and
what happened, by YAML path:

   db.password changed        the value's ciphertext differs
   api.token added            a new encrypted value
   old.key removed
   db.host encrypted (was in plaintext)
   db.pass in PLAINTEXT (should be encrypted)
   recipients: +age1… -age1…  who was added or removed
   data key rotated (all 12 values re-encrypted)
                              sv rotate, sops rotate, or a fresh sops
                              encrypt: one event, not one per value
   NOT ENCRYPTED in this commit (5 values in plaintext)
   file deleted (12 encrypted values)

This works without any key because sv (and sops edit/set) keep the exact
ciphertext of every value that did not change. Values are compared by YAML
path, so a file rewritten by sops (new indentation) shows only the values
that really changed.

Without FILE it follows every file a .sops.yaml creation rule with a
path_regex covers, and every file that is encrypted now; a DIR limits that
to the files below it; a FILE is followed even if no rule covers it.
Renames are followed. Files are named relative to the repository's top
level. In a shallow clone it notes on stderr where the history starts.

--json prints one JSON object per event per line, with the fields (in this
order; optional ones only when they apply): date (committer date, RFC 3339),
commit (full hash), author, email, file, event (added, changed, removed,
encrypted, plaintext, recipients, rotated, unencrypted, deleted, horizon,
invalid), path, doc (document number, only in files with several
documents), values (count for rotated, unencrypted, deleted, horizon),
recipients_added, recipients_removed, detail (invalid; recipients when the
key groups or the shamir_threshold changed).

Example:
   sv log
   sv log --since 2026-01-01 deploy/prod/values.enc.yaml
   sv log --path-filter db --json | jq -r 'select(.event == "changed") | .path'`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "since", Usage: "only commits since `DATE` (2026-01-31, RFC 3339, or an age like 90d, 12w, 36h, 1y)"},
			&cli.StringFlag{Name: "path-filter", Usage: "only events for the value at `PATH` (db.password, db, [\"db\"][\"password\"]) or below, and whole-file events"},
			&cli.BoolFlag{Name: "json", Usage: "print one JSON object per event per line"},
			&cli.StringFlag{Name: "config", Usage: "use `FILE` instead of the nearest .sops.yaml"},
		},
		Action: logAction,
	}
}

// logEvent is one line of sv log --json. The field order is part of the
// output contract.
type logEvent struct {
	Date              string   `json:"date"`
	Commit            string   `json:"commit"`
	Author            string   `json:"author"`
	Email             string   `json:"email"`
	File              string   `json:"file"`
	Event             string   `json:"event"`
	Path              string   `json:"path,omitempty"`
	Doc               int      `json:"doc,omitempty"`
	Values            int      `json:"values,omitempty"`
	RecipientsAdded   []string `json:"recipients_added,omitempty"`
	RecipientsRemoved []string `json:"recipients_removed,omitempty"`
	Detail            string   `json:"detail,omitempty"`
}

func logAction(c *cli.Context) error {
	var since time.Time
	if s := c.String("since"); s != "" {
		var err error
		if since, err = secretfile.ParseSince(s, time.Now()); err != nil {
			return &usageError{msg: err.Error(), hint: "run 'sv log --help' for usage"}
		}
	}
	filter := ""
	if s := c.String("path-filter"); s != "" {
		p, err := yamlwalk.ParseValuePath(s)
		if err != nil {
			return &usageError{msg: "--path-filter: " + err.Error(), hint: "write the path as db.password or [\"db\"][\"password\"]"}
		}
		filter = p.String()
	}
	h, err := openHistory()
	if err != nil {
		return err
	}
	opt, err := secretfile.LogOptions(h, c.String("config"), c.Args().Slice())
	if err != nil {
		return err
	}
	opt.Since = since
	horizon, err := h.Shallow()
	if err != nil {
		return err
	}
	shallowNote(c.App.ErrWriter, horizon)
	w := c.App.Writer
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	var last *audit.Commit
	return h.Walk(context.Background(), opt, func(fc *audit.FileChange) error {
		evs := fc.Events
		if filter != "" {
			evs = audit.FilterPath(evs, filter)
		}
		if len(evs) == 0 {
			return nil
		}
		cm := fc.Commit
		if c.Bool("json") {
			for _, e := range evs {
				le := logEvent{
					Date: cm.Date.Format(time.RFC3339), Commit: cm.Hash, Author: cm.Author, Email: cm.Email,
					File: fc.File, Event: string(e.Kind), Path: e.Path, Doc: e.Doc, Values: e.Values,
					RecipientsAdded: e.RecipientsAdded, RecipientsRemoved: e.RecipientsRemoved, Detail: e.Detail,
				}
				if err := enc.Encode(le); err != nil {
					return err
				}
			}
			return nil
		}
		if cm != last {
			if last != nil {
				fmt.Fprintln(w)
			}
			fmt.Fprintf(w, "%s  %s  %s <%s>\n", cm.Date.Format("2006-01-02 15:04 -0700"), cm.Short(), cm.Author, cm.Email)
			last = cm
		}
		for _, e := range evs {
			fmt.Fprintf(w, "  %s  %s\n", fc.File, e)
		}
		return nil
	})
}
