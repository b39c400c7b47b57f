package secretfile

// What git history tells about encrypted files, without keys (package
// audit): sv log's choice of files, the values' ages of sv status --ages,
// and sv check's max-age problems.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/sv-secrets/sv/audit"
	"github.com/sv-secrets/sv/internal/parallel"
	"github.com/sv-secrets/sv/sopsconfig"
	"github.com/sv-secrets/sv/yamlwalk"
)

// ParseSince reads sv log --since: a date (2026-01-31, local time), an RFC
// 3339 time, or an age before now (90d, 12w, 36h, 1y).
func ParseSince(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, time.Local); err == nil {
		return t, nil
	}
	if sopsconfig.IsAge(s) {
		if d, err := sopsconfig.ParseAge(s); err == nil {
			return now.Add(-d), nil
		}
	}
	return time.Time{}, fmt.Errorf("--since: invalid date %q: write it as 2026-01-31, 2026-01-31T12:00:00Z or an age like 90d", s)
}

// LogOptions decides which files sv log follows in h: without args every
// file Candidate accepts (or the tree walk finds by content, encrypted
// now) that is encrypted in the work tree now or that a rule with a
// path_regex covers (each file's .sops.yaml as Configs finds it: config if
// given, else the nearest one above the file, as sv check); args (files,
// directories) limit that to the files below the directories, and a file
// named is followed even if nothing covers it. A broken .sops.yaml above
// the current directory or a file encrypted now is an error.
func LogOptions(h *audit.History, config string, args []string) (audit.Options, error) {
	configs, err := NewConfigs(config)
	if err != nil {
		return audit.Options{}, err
	}
	if _, err := configs.For(sopsconfig.FileName); err != nil {
		return audit.Options{}, err
	}
	root := h.Root()
	abs := func(rel string) string { return filepath.Join(root, filepath.FromSlash(rel)) }
	// ruleFor is the rule of rel's .sops.yaml that matches it, if any. A
	// file only in the history may sit below a directory whose .sops.yaml
	// is broken now: it has no rule then.
	ruleFor := func(rel string) *sopsconfig.Rule {
		cfg, err := configs.For(abs(rel))
		if err != nil || cfg == nil {
			return nil
		}
		r, err := cfg.Match(abs(rel))
		if err != nil {
			return nil
		}
		return r
	}
	opt := audit.Options{Rules: func(rel string) yamlwalk.Rules { return Selection(ruleFor(rel)) }}
	encryptedNow, err := encryptedFiles(root)
	if err != nil {
		return opt, err
	}
	for rel := range encryptedNow {
		if _, err := configs.For(abs(rel)); err != nil {
			return opt, err
		}
	}
	covered := func(rel string) bool {
		if encryptedNow[rel] {
			return true
		}
		r := ruleFor(rel)
		return r != nil && r.PathRegex != ""
	}
	// The tree walk's files: by name, or found by content (a sops binary
	// or .env.* file, encrypted now).
	inTree := func(rel, below string) bool { return Candidate(below) || encryptedNow[rel] }
	// The walk reads *.yaml and *.yml; other files sv encrypted (JSON,
	// dotenv, INI, binary) are read when they are encrypted now.
	for rel := range encryptedNow {
		if !isYAMLName(rel) {
			opt.Files = append(opt.Files, rel)
		}
	}
	sort.Strings(opt.Files)
	if len(args) == 0 {
		opt.Keep = func(rel string) bool { return inTree(rel, rel) && covered(rel) }
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
			if strings.HasPrefix(rel, d) && inTree(rel, rel[len(d):]) && covered(rel) {
				return true
			}
		}
		return false
	}
	return opt, nil
}

func isYAMLName(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".yaml" || ext == ".yml"
}

// repoRelative turns a path as the user gave it into a slash path
// relative to root, the work tree's top level (an error outside it).
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

// encryptedFiles lists the tracked files of the tree walk (Candidate) that
// are encrypted in the work tree now.
func encryptedFiles(root string) (map[string]bool, error) {
	files, err := Walk([]string{root}, Tracked)
	if err != nil {
		return nil, err
	}
	// Read in parallel: a monorepo holds thousands of such files.
	m := map[string]bool{}
	parallel.Ordered(len(files), 0, func(i int) bool {
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(files[i].Rel)))
		return err == nil && IsEncrypted(files[i].Rel, b)
	}, func(i int, enc bool) {
		if enc {
			m[files[i].Rel] = true
		}
	})
	return m, nil
}

// ValueAge is one value in sv status --ages (the "values" field of
// --json).
type ValueAge struct {
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

// Place names the value: its path, and its document in a file of several.
func (v ValueAge) Place() string { return agePath(v.Path, v.Doc) }

// agePath names a value at path in document doc (0: the only one).
func agePath(path string, doc int) string {
	if doc > 0 {
		return fmt.Sprintf("%s (document %d)", path, doc)
	}
	return path
}

// DaysAgo says how long ago d was, in days ("today", "1 day ago", "12
// days ago").
func DaysAgo(d time.Duration) string {
	switch n := int(d.Hours() / 24); {
	case n <= 0:
		return "today"
	case n == 1:
		return "1 day ago"
	default:
		return fmt.Sprintf("%d days ago", n)
	}
}

// ValueAges fills in Values for the encrypted files of all from h's
// history (one pass). A file outside the work tree, or one that cannot be
// read, gets none.
func ValueAges(h *audit.History, all []FileStatus) error {
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
			continue // in the status's Error already
		}
		files[r], rel[i] = src, r
	}
	ages, err := h.Ages(context.Background(), files, nil)
	if err != nil {
		return err
	}
	for i, r := range rel {
		all[i].Values = []ValueAge{}
		for _, a := range ages[r] {
			v := ValueAge{Path: a.Path, Doc: a.Doc, Commit: a.Commit, Uncommitted: a.Uncommitted, BeforeHorizon: a.Horizon, Unknown: a.Unknown}
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
