package secretfile

// sv git setup: the git configuration of sv's diff and merge drivers, the
// .gitattributes lines that give them the files .sops.yaml rules cover,
// and the pre-commit hook.

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sv-secrets/sv/gitattr"
	"github.com/sv-secrets/sv/gitrepo"
	"github.com/sv-secrets/sv/sopsconfig"
)

// The git configuration git setup writes. The driver name "sv" is what
// .gitattributes refers to (diff=sv merge=sv).
const (
	DriverName       = "sv"
	TextconvCmd      = "sv textconv"
	MergeDriverCmd   = "sv merge-driver %O %A %B %P"
	MergeDriverLabel = "sv: merge SOPS-encrypted YAML values"
	hookMarker       = "# installed by 'sv git setup --hook'"
	attrsHeader      = "# sv: readable diffs and value-level merges of encrypted files (sv git setup)"
)

const hookScript = `#!/bin/sh
` + hookMarker + `
# Refuses commits that would add plaintext secrets to files .sops.yaml rules
# cover (or stale recipients, or a broken MAC when a key is at hand).
exec sv check --staged
`

// GitSetupOptions are the caller's choices for SetupGit.
type GitSetupOptions struct {
	// Global writes the drivers' configuration to the global git config
	// (then no repository is needed, unless Hook or Patterns).
	Global bool
	// Patterns are the .gitattributes patterns to add; none derives them
	// from the .sops.yaml rules' path_regex.
	Patterns []string
	// Hook installs the pre-commit hook.
	Hook bool
	// Config is the .sops.yaml to use instead of the nearest.
	Config string
}

// GitSetup is what SetupGit changed and found, in the order it did.
type GitSetup struct {
	// Scope is the git config written; Config the settings changed (key,
	// value).
	Scope  gitrepo.Scope
	Config [][2]string
	// CacheOff: diff.sv.cachetextconv was on and is now false (a cache
	// would store decrypted text in git notes); CacheDeleted: the cache
	// (TextconvNotesRef) was deleted.
	CacheOff, CacheDeleted bool
	// Unusable are the rules whose path_regex has no .gitattributes
	// pattern equivalent.
	Unusable []sopsconfig.Rule
	// Attributes are the .gitattributes lines added.
	Attributes []string
	// Uncovered are files (relative to the work tree) a rule covers that
	// do not get the drivers.
	Uncovered []string
	// Hook is the pre-commit hook installed ("" if none was).
	Hook string
}

// Changed reports whether SetupGit changed anything.
func (g *GitSetup) Changed() bool {
	return len(g.Config) > 0 || g.CacheOff || g.CacheDeleted || len(g.Attributes) > 0 || g.Hook != ""
}

// SetupError is a git setup that cannot be done as asked: Hint says what
// to do instead; Usage marks a wrong request (not a problem of the
// repository).
type SetupError struct {
	Err   error
	Hint  string
	Usage bool
}

func (e *SetupError) Error() string { return e.Err.Error() }
func (e *SetupError) Unwrap() error { return e.Err }

// SetupGit configures sv's drivers in the repository of the current
// directory (or globally), adds the .gitattributes lines and checks them
// with git check-attr, and installs the hook. It is idempotent. On an
// error the result says what was done before it.
func SetupGit(o GitSetupOptions) (*GitSetup, error) {
	g := &GitSetup{Scope: gitrepo.Local}
	if o.Global {
		g.Scope = gitrepo.Global
	}
	repo, err := gitrepo.Open(".")
	if err != nil {
		if !errors.Is(err, gitrepo.ErrNotRepo) || !o.Global {
			return g, &SetupError{Err: err, Hint: "run it inside your repository, or pass --global to configure only the drivers"}
		}
		repo = nil
	}
	for _, kv := range [][2]string{
		{"diff." + DriverName + ".textconv", TextconvCmd},
		{"merge." + DriverName + ".name", MergeDriverLabel},
		{"merge." + DriverName + ".driver", MergeDriverCmd},
	} {
		cur, set, err := repo.ConfigGet(g.Scope, kv[0])
		if err != nil {
			return g, err
		}
		if set && cur == kv[1] {
			continue
		}
		if err := repo.ConfigSet(g.Scope, kv[0], kv[1]); err != nil {
			return g, err
		}
		g.Config = append(g.Config, kv)
	}
	// A cached textconv is stored in git notes: plaintext in the object
	// database. Make sure it is off wherever sv's driver is configured.
	cache := "diff." + DriverName + ".cachetextconv"
	if v, set, err := repo.ConfigGet(g.Scope, cache); err == nil && set && v != "false" {
		if err := repo.ConfigSet(g.Scope, cache, "false"); err != nil {
			return g, err
		}
		g.CacheOff = true
	}
	if repo == nil {
		if o.Hook || len(o.Patterns) > 0 {
			return g, &SetupError{Err: errors.New("--hook and --pattern need a repository"), Hint: "run it inside your repository", Usage: true}
		}
		return g, nil
	}
	// A cache made while it was on stays: delete it.
	refs, err := repo.Git(nil, "for-each-ref", "--format=%(refname)", TextconvNotesRef)
	if err == nil && strings.TrimSpace(string(refs)) != "" {
		if _, err := repo.Git(nil, "update-ref", "-d", TextconvNotesRef); err != nil {
			return g, err
		}
		g.CacheDeleted = true
	}
	if err := g.attributes(repo, o); err != nil {
		return g, err
	}
	if o.Hook {
		return g, g.installHook(repo)
	}
	return g, nil
}

// attributes adds the .gitattributes lines and checks the result.
func (g *GitSetup) attributes(repo *gitrepo.Repo, o GitSetupOptions) error {
	const patternHint = "pass --pattern GLOB for the encrypted files, e.g. --pattern '*.enc.yaml'"
	cfg, err := LoadConfig(o.Config, len(o.Patterns) == 0)
	if errors.Is(err, sopsconfig.ErrNotFound) {
		return &SetupError{Err: err, Hint: patternHint}
	}
	if err != nil {
		return err
	}
	patterns := o.Patterns
	if len(patterns) == 0 {
		rel, err := filepath.Rel(repo.Root, cfg.Dir)
		if err != nil || strings.HasPrefix(rel, "..") {
			return &SetupError{Err: fmt.Errorf("%s is outside the repository", cfg.Path), Hint: "pass --pattern GLOB for the encrypted files"}
		}
		for _, r := range cfg.Rules {
			if r.PathRegex == "" {
				continue
			}
			globs, ok := gitattr.Globs(r.PathRegex)
			if !ok {
				g.Unusable = append(g.Unusable, r)
				continue
			}
			for _, glob := range globs {
				patterns = append(patterns, gitattr.Prefix(filepath.ToSlash(rel), glob))
			}
		}
		if len(patterns) == 0 {
			return &SetupError{Err: fmt.Errorf("no creation rule in %s has a path_regex that can be written as a .gitattributes pattern", cfg.Path), Hint: patternHint}
		}
	}
	var lines []gitattr.Line
	for _, p := range patterns {
		if strings.ContainsAny(p, " \t\n") {
			return &SetupError{Err: fmt.Errorf("pattern %q contains whitespace, which .gitattributes cannot hold unquoted", p), Usage: true}
		}
		lines = append(lines, gitattr.Line{Pattern: p, Attrs: []string{"diff=" + DriverName, "merge=" + DriverName}})
	}
	attrFile := filepath.Join(repo.Root, ".gitattributes")
	old, err := os.ReadFile(attrFile)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	text, added := gitattr.Add(string(old), attrsHeader, lines)
	if len(added) > 0 {
		if err := Write(attrFile, []byte(text), 0o644, true, WriteOptions{}); err != nil {
			return err
		}
		for _, l := range added {
			g.Attributes = append(g.Attributes, l.String())
		}
	}
	if cfg == nil {
		return nil
	}
	g.Uncovered, err = uncovered(repo, cfg)
	return err
}

// uncovered lists the files a rule covers that the attributes miss.
func uncovered(repo *gitrepo.Repo, cfg *sopsconfig.Config) ([]string, error) {
	files, err := Walk([]string{repo.Root}, Tree)
	if err != nil {
		return nil, err
	}
	var covered []string
	for _, f := range files {
		if CoveredBy(cfg, f.Path) != nil {
			covered = append(covered, f.Rel)
		}
	}
	if len(covered) == 0 {
		return nil, nil
	}
	attrs, err := repo.Attr("diff", covered)
	if err != nil {
		return nil, err
	}
	var missed []string
	for _, f := range covered {
		if attrs[f] != DriverName {
			missed = append(missed, f)
		}
	}
	return missed, nil
}

// installHook writes the pre-commit hook unless sv's is there already; a
// hook of someone else's is a *SetupError.
func (g *GitSetup) installHook(repo *gitrepo.Repo) error {
	path, err := repo.HookPath("pre-commit")
	if err != nil {
		return err
	}
	if b, err := os.ReadFile(path); err == nil {
		if bytes.Contains(b, []byte(hookMarker)) {
			return nil
		}
		return &SetupError{Err: fmt.Errorf("%s already exists and is not sv's", path),
			Hint: "add the line 'sv check --staged' to it, or use the pre-commit framework hook (id: sv-check)"}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := Write(path, []byte(hookScript), 0o755, false, WriteOptions{}); err != nil {
		return err
	}
	g.Hook = path
	return nil
}
