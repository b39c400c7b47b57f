package main

// sv log, value ages for sv status --ages and sv check --max-age: the
// secret audit read from git history, without keys.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sv-secrets/sv/audit"
	"github.com/sv-secrets/sv/gitrepo"
	"github.com/sv-secrets/sv/internal/parallel"
	"github.com/sv-secrets/sv/secretfile"
	"github.com/sv-secrets/sv/sopsconfig"
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
recipients_added, recipients_removed, detail (invalid only).

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
		if since, err = parseSince(s, time.Now()); err != nil {
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
	cfg, err := secretfile.LoadConfig(c.String("config"), false)
	if err != nil {
		return err
	}
	opt, err := logOptions(h, cfg, c.Args().Slice())
	if err != nil {
		return err
	}
	opt.Since = since
	if err := shallowNote(c.App.ErrWriter, h); err != nil {
		return err
	}
	w := c.App.Writer
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	var last *audit.Commit
	return h.Walk(context.Background(), opt, func(fc *audit.FileChange) error {
		evs := fc.Events
		if filter != "" {
			evs = filterEvents(evs, filter)
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

// filterEvents keeps the events for the value at path or below it, and
// the events about the whole file (a rotation or recipient change concerns
// every value).
func filterEvents(evs []audit.Event, path string) []audit.Event {
	var out []audit.Event
	for _, e := range evs {
		if e.Path == "" || underPath(e.Path, path) {
			out = append(out, e)
		}
	}
	return out
}

func underPath(p, prefix string) bool {
	if !strings.HasPrefix(p, prefix) {
		return false
	}
	rest := p[len(prefix):]
	return rest == "" || rest[0] == '.' || rest[0] == '['
}

// openHistory opens the git work tree around the current directory.
func openHistory() (*audit.History, error) {
	h, err := audit.Open(".")
	if errors.Is(err, gitrepo.ErrNotRepo) {
		return nil, withHint(errors.New("not inside a git work tree"), "the audit reads the history of encrypted files from git; run it in a clone of the repository")
	}
	return h, err
}

// logOptions decides which files sv log follows.
func logOptions(h *audit.History, cfg *sopsconfig.Config, args []string) (audit.Options, error) {
	root := h.Root()
	abs := func(rel string) string { return filepath.Join(root, filepath.FromSlash(rel)) }
	opt := audit.Options{Rules: func(rel string) yamlwalk.Rules {
		if cfg == nil {
			return yamlwalk.Rules{}
		}
		r, err := cfg.Match(abs(rel))
		if err != nil {
			return yamlwalk.Rules{}
		}
		return secretfile.Selection(r)
	}}
	encryptedNow, err := encryptedFiles(root)
	if err != nil {
		return opt, err
	}
	covered := func(rel string) bool {
		return encryptedNow[rel] || coveredBy(cfg, abs(rel)) != nil
	}
	// The walk reads *.yaml and *.yml; other files sv encrypted (JSON,
	// dotenv, INI, binary) are read when they are encrypted now.
	for rel := range encryptedNow {
		if !isYAMLName(rel) {
			opt.Files = append(opt.Files, rel)
		}
	}
	sort.Strings(opt.Files)
	if len(args) == 0 {
		opt.Keep = func(rel string) bool { return secretfile.Candidate(rel) && covered(rel) }
		return opt, nil
	}
	files := map[string]bool{}
	var dirs []string
	for _, a := range args {
		rel, err := repoRelative(root, a)
		if err != nil {
			return opt, err
		}
		if fi, err := os.Stat(a); err == nil && fi.IsDir() {
			if rel == "." {
				rel = ""
			} else {
				rel += "/"
			}
			dirs = append(dirs, rel)
			continue
		}
		files[rel] = true
		if !isYAMLName(rel) {
			opt.Files = append(opt.Files, rel)
		}
	}
	opt.Keep = func(rel string) bool {
		if files[rel] {
			return true
		}
		for _, d := range dirs {
			if strings.HasPrefix(rel, d) && secretfile.Candidate(rel[len(d):]) && covered(rel) {
				return true
			}
		}
		return false
	}
	return opt, nil
}

// repoRelative turns a command-line path into a slash path relative to the
// work tree's top level.
func repoRelative(root, p string) (string, error) {
	a, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	// The root git reports has symlinks resolved; so must the path.
	if r, err := filepath.EvalSymlinks(filepath.Dir(a)); err == nil {
		a = filepath.Join(r, filepath.Base(a))
	}
	if rr, err := filepath.EvalSymlinks(root); err == nil {
		root = rr
	}
	rel, err := filepath.Rel(root, a)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%s: outside the repository %s", p, root)
	}
	return filepath.ToSlash(rel), nil
}

// encryptedFiles lists the tracked files of the tree walk (secretfile.Candidate)
// that are encrypted in the work tree now.
func encryptedFiles(root string) (map[string]bool, error) {
	files, err := secretfile.Walk([]string{root}, secretfile.Tracked)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.Rel
	}
	// Read in parallel: a monorepo holds thousands of such files.
	m := map[string]bool{}
	parallel.Ordered(len(names), 0, func(i int) bool {
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(names[i])))
		return err == nil && secretfile.IsEncrypted(names[i], b)
	}, func(i int, enc bool) {
		if enc {
			m[names[i]] = true
		}
	})
	return m, nil
}

// shallowNote tells on stderr where a shallow clone's history starts.
func shallowNote(w io.Writer, h *audit.History) error {
	b, err := h.Shallow()
	if err != nil || len(b) == 0 {
		return err
	}
	notef(w, "this is a shallow clone: its history starts at %s (commit %s); earlier changes are not shown and values already there have no known date",
		b[0].Date.Format("2006-01-02"), b[0].Short())
	notef(w, "run 'git fetch --unshallow' for the whole history (in CI: check out with full depth, e.g. actions/checkout with fetch-depth: 0)")
	return nil
}

var ageRE = regexp.MustCompile(`^([0-9]+)([hdwy])$`)

// parseAge reads an age like 90d, 12w, 36h or 1y (a year is 365 days), or
// a Go duration (2160h30m). "none", "off" and "0" mean no limit (0).
func parseAge(s string) (time.Duration, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	switch s {
	case "", "none", "off", "0":
		return 0, nil
	}
	if m := ageRE.FindStringSubmatch(s); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil || n > 100000 {
			return 0, fmt.Errorf("invalid age %q", s)
		}
		unit := map[string]time.Duration{"h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour, "y": 365 * 24 * time.Hour}[m[2]]
		return time.Duration(n) * unit, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("invalid age %q: write it as 90d, 12w, 36h or 1y", s)
	}
	return d, nil
}

// parseSince reads --since: a date, an RFC 3339 time, or an age before now.
func parseSince(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, time.Local); err == nil {
		return t, nil
	}
	if ageRE.MatchString(strings.ToLower(s)) {
		d, err := parseAge(s)
		if err == nil {
			return now.Add(-d), nil
		}
	}
	return time.Time{}, fmt.Errorf("--since: invalid date %q: write it as 2026-01-31, 2026-01-31T12:00:00Z or an age like 90d", s)
}

// valueAge is one value in sv status --ages (the "values" field of --json).
type valueAge struct {
	Path string `json:"path"`
	Doc  int    `json:"doc,omitempty"`
	// Changed is the committer date (RFC 3339) of the commit that gave the
	// value its current ciphertext.
	Changed string `json:"changed,omitempty"`
	Commit  string `json:"commit,omitempty"`
	// Uncommitted: the value differs from HEAD's.
	Uncommitted bool `json:"uncommitted,omitempty"`
	// BeforeHorizon: the value was already there where a shallow clone's
	// history starts; it may be older than Changed.
	BeforeHorizon bool `json:"before_horizon,omitempty"`
	// Unknown: no commit in the history gave the value its ciphertext.
	Unknown bool `json:"unknown,omitempty"`
	// Rotated is the date of the newest data-key rotation since Changed
	// (it re-encrypts values without changing them).
	Rotated string `json:"rotated,omitempty"`
}

// addValueAges fills in Values for the encrypted files of sv status.
func addValueAges(errw io.Writer, all []fileStatus) error {
	h, err := openHistory()
	if err != nil {
		return err
	}
	if err := shallowNote(errw, h); err != nil {
		return err
	}
	files := map[string][]byte{}
	rel := map[int]string{}
	for i, st := range all {
		if !st.Encrypted {
			continue
		}
		r, err := repoRelative(h.Root(), st.File)
		if err != nil {
			continue // outside the repository: no history
		}
		src, err := os.ReadFile(st.File)
		if err != nil {
			continue // reported by status already
		}
		files[r], rel[i] = src, r
	}
	ages, err := h.Ages(context.Background(), files, nil)
	if err != nil {
		return err
	}
	for i, r := range rel {
		all[i].Values = []valueAge{}
		for _, a := range ages[r] {
			v := valueAge{Path: a.Path, Doc: a.Doc, Commit: a.Commit, Uncommitted: a.Uncommitted, BeforeHorizon: a.Horizon, Unknown: a.Unknown}
			if !a.Changed.IsZero() {
				v.Changed = a.Changed.Format(time.RFC3339)
			}
			if !a.Rotated.IsZero() {
				v.Rotated = a.Rotated.Format(time.RFC3339)
			}
			all[i].Values = append(all[i].Values, v)
		}
	}
	return nil
}

// printValueAges adds the values' ages to a file's sv status block.
func printValueAges(w io.Writer, st fileStatus) {
	if st.Values == nil {
		return
	}
	fmt.Fprintln(w, "  last changed:")
	width := 0
	for _, v := range st.Values {
		width = max(width, len(agePath(v.Path, v.Doc)))
	}
	for _, v := range st.Values {
		fmt.Fprintf(w, "    %-*s  %s\n", width, agePath(v.Path, v.Doc), describeAge(v, time.Now()))
	}
}

func agePath(p string, doc int) string {
	if doc > 0 {
		return fmt.Sprintf("%s (document %d)", p, doc)
	}
	return p
}

// describeAge says when a value last changed, e.g.
// "2026-01-05 (12 days ago, commit 1a2b3c4)".
func describeAge(v valueAge, now time.Time) string {
	changed, _ := time.Parse(time.RFC3339, v.Changed)
	short := v.Commit
	if len(short) > 7 {
		short = short[:7]
	}
	var s string
	switch {
	case v.Uncommitted:
		return "not committed yet"
	case v.Unknown:
		return "unknown (no commit in the history has its current ciphertext)"
	case v.BeforeHorizon:
		s = fmt.Sprintf("before %s (where the shallow clone's history starts)", changed.Format("2006-01-02"))
	default:
		s = fmt.Sprintf("%s (%s, commit %s)", changed.Format("2006-01-02"), daysAgo(now.Sub(changed)), short)
	}
	if rot, err := time.Parse(time.RFC3339, v.Rotated); err == nil {
		s += fmt.Sprintf("; data key rotated %s", rot.Format("2006-01-02"))
	}
	return s
}

func daysAgo(d time.Duration) string {
	switch n := int(d.Hours() / 24); {
	case n <= 0:
		return "today"
	case n == 1:
		return "1 day ago"
	default:
		return fmt.Sprintf("%d days ago", n)
	}
}

// checkMaxAge adds a max-age problem for every value of the checked
// encrypted files that has not changed within its limit: the rule's
// sv_max_age if it sets one, else --max-age.
func checkMaxAge(c *cli.Context, rep *checkReport, cfg *sopsconfig.Config, targets []checkTarget) error {
	flagAge, err := parseAge(c.String("max-age"))
	if err != nil {
		return &usageError{msg: "--max-age: " + err.Error(), hint: "run 'sv check --help' for usage"}
	}
	checked := map[string]bool{}
	for _, n := range rep.Checked {
		checked[n] = true
	}
	type limited struct {
		t     checkTarget
		limit time.Duration
		by    string
	}
	var todo []limited
	for _, t := range targets {
		if !checked[t.name] {
			continue
		}
		limit, by := flagAge, "--max-age "+c.String("max-age")
		tc := cfg
		if t.cfg != nil {
			tc = t.cfg // the file's own .sops.yaml (sv check)
		}
		if tc != nil {
			if r, err := tc.Match(t.abs); err == nil && r.MaxAge != "" {
				if limit, err = parseAge(r.MaxAge); err != nil {
					return fmt.Errorf("%s in %s: sv_max_age: %w", r, tc.Path, err)
				}
				by = fmt.Sprintf("sv_max_age %s of %s", r.MaxAge, r)
			}
		}
		if limit > 0 {
			todo = append(todo, limited{t, limit, by})
		}
	}
	if len(todo) == 0 {
		return nil
	}
	h, err := openHistory()
	if err != nil {
		return fmt.Errorf("value ages need git history: %w", err)
	}
	if err := shallowNote(c.App.ErrWriter, h); err != nil {
		return err
	}
	files := map[string][]byte{}
	rels := make([]string, len(todo))
	for i, l := range todo {
		r, err := repoRelative(h.Root(), l.t.abs)
		if err != nil {
			return err
		}
		src, err := l.t.read()
		if err != nil {
			return err
		}
		files[r], rels[i] = src, r
	}
	ages, err := h.Ages(context.Background(), files, nil)
	if err != nil {
		return err
	}
	now := time.Now()
	for i, l := range todo {
		for _, a := range ages[rels[i]] {
			msg := ""
			old := now.Sub(a.Changed) > l.limit
			when := a.Changed.Format("2006-01-02")
			switch {
			case a.Uncommitted:
			case a.Unknown:
				msg = "age unknown: no commit in the history gave the value its current ciphertext"
			case a.Horizon && old:
				msg = fmt.Sprintf("unchanged since before %s (where the shallow clone's history starts), longer than %s allows", when, l.by)
			case a.Horizon:
				msg = fmt.Sprintf("age unknown: the shallow clone's history starts at %s, within %s; the value may be older", when, l.by)
			case old:
				msg = fmt.Sprintf("last changed %s (%s, commit %s), longer than %s allows", when, daysAgo(now.Sub(a.Changed)), a.Commit[:min(7, len(a.Commit))], l.by)
				if !a.Rotated.IsZero() {
					msg += fmt.Sprintf(" (the data key rotation of %s kept the value)", a.Rotated.Format("2006-01-02"))
				}
			}
			if msg != "" {
				rep.Problems = append(rep.Problems, checkProblem{File: l.t.name, Kind: "max-age", Path: agePath(a.Path, a.Doc), Message: msg})
			}
		}
	}
	return nil
}

// maxAgeHints explains how to fix max-age problems.
func maxAgeHints(ps []checkProblem) []string {
	var aged, horizon bool
	for _, p := range ps {
		if p.Kind == "max-age" {
			aged = true
			horizon = horizon || strings.Contains(p.Message, "shallow clone")
		}
	}
	var hints []string
	if aged {
		hints = append(hints, "change the secret itself (e.g. 'sv set FILE PATH VALUE' or 'sv edit FILE') and commit; 'sv rotate' re-encrypts values without changing them, so it does not make them younger")
	}
	if horizon {
		hints = append(hints, "fetch the whole history with 'git fetch --unshallow' (in CI: check out with full depth, e.g. actions/checkout with fetch-depth: 0)")
	}
	return hints
}
