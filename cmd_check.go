package main

// sv check: the guard that keeps plaintext secrets, stale recipients and
// broken MACs out of commits.

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/gitrepo"
	"github.com/sv-secrets/sv/internal/parallel"
	"github.com/sv-secrets/sv/internal/safetext"
	"github.com/sv-secrets/sv/secretfile"
	"github.com/sv-secrets/sv/sopsconfig"
	"github.com/sv-secrets/sv/yamlwalk"
	"github.com/urfave/cli/v2"
)

func checkCommand() *cli.Command {
	return &cli.Command{
		Name:      "check",
		Usage:     "fail if files that should be encrypted are not (pre-commit and CI guard)",
		ArgsUsage: "[PATH...]",
		Description: `Checks the files .sops.yaml creation rules cover, and every file that is
already encrypted, for:

   not-encrypted  a file a rule's path_regex covers has no sops metadata
   plaintext      an encrypted file holds a value its rules say must be
                  encrypted
   recipients     the file's age recipients, key groups or shamir_threshold
                  differ from its rule's (stale after a team change: run
                  'sv updatekeys FILE'); an ssh key's comment does not count
   mac            the MAC does not match the values (checked only when a key
                  that opens the file is available)
   invalid        the file is not YAML sv can read
   max-age        with --max-age or a rule's sv_max_age: a value has not
                  changed in git for longer than that (e.g. 90d; see sv log)

Without PATH it checks the repository's files as git sees them (tracked and
untracked, .gitignore honoured; outside a repository, the directory); a
PATH that is a directory is searched the same way. Only .yaml, .yml,
.json, .env and .ini files are considered, and files found by content
(a sops binary file under any name, a sops dotenv file named like
.env.production), not those in hidden directories (.git, .github, ...)
nor .sops.yaml/.sops.yml; a file named is always checked. updatekeys, rotate and status search the same way.
A rule without
path_regex sets recipients for any file but does not make every file one
that must be encrypted. --staged checks the versions staged for the next
commit (what the pre-commit hook uses).

Each problem is one line naming the file and the YAML path, never a value;
--json prints a report for tools. Exit status 1 when there are problems.

Example:
   sv check
   sv check --json charts/
   sv check --staged          # in .git/hooks/pre-commit
   sv check --max-age 90d     # values must have changed within 90 days`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print a JSON report"},
			&cli.BoolFlag{Name: "staged", Usage: "check the files staged for commit, as staged"},
			&cli.StringFlag{Name: "config", Usage: "use `FILE` instead of the nearest .sops.yaml"},
			&cli.StringFlag{Name: "max-age", Usage: "fail for values unchanged in git for longer than `AGE` (90d, 12w, 1y); a rule's sv_max_age overrides it"},
		},
		Action: checkAction,
	}
}

// checkProblem is one finding. It never holds a value.
type checkProblem struct {
	File    string   `json:"file"`
	Kind    string   `json:"kind"`
	Path    string   `json:"path,omitempty"`
	Line    int      `json:"line,omitempty"`
	Message string   `json:"message"`
	Paths   []string `json:"paths,omitempty"`
}

func (p checkProblem) String() string {
	loc := p.File
	if p.Line > 0 {
		loc += fmt.Sprintf(":%d", p.Line)
	}
	if p.Path != "" {
		loc += ": " + p.Path
	}
	return safetext.Terminal(loc + ": " + p.Message)
}

type checkReport struct {
	Checked    []string       `json:"checked"`
	MACChecked []string       `json:"mac_checked"`
	Problems   []checkProblem `json:"problems"`
}

// checkTarget is one file to check: its display name, absolute path (for
// rule matching) and how to read it.
type checkTarget struct {
	name, abs string
	explicit  bool
	read      func() ([]byte, error)
	// cfg is the .sops.yaml that applies to the file: --config or
	// SOPS_CONFIG, else the nearest one above the file (as staged, with
	// --staged). Nil when there is none.
	cfg *sopsconfig.Config
}

func checkAction(c *cli.Context) error {
	var cfg *sopsconfig.Config
	fixed := c.String("config") != "" || os.Getenv("SOPS_CONFIG") != ""
	if fixed {
		var err error
		if cfg, err = secretfile.LoadConfig(c.String("config"), true); err != nil {
			return err
		}
	}
	targets, configs, err := checkTargets(c)
	if err != nil {
		return err
	}
	for i := range targets {
		if fixed {
			targets[i].cfg = cfg
		} else if targets[i].cfg, err = configs.forFile(targets[i].abs); err != nil {
			return err
		}
	}
	kr, err := loadKeyring()
	if err != nil {
		return err
	}
	rep := &checkReport{Checked: []string{}, MACChecked: []string{}, Problems: []checkProblem{}}
	// Files are checked in parallel, each into its own report, merged in
	// the order of the files: the output is the serial one. A failure to
	// run at all is the first such failure, in that order.
	type checked struct {
		rep checkReport
		err error
	}
	var runErr error
	parallel.Ordered(len(targets), 0, func(i int) checked {
		var r checked
		r.err = checkFile(&r.rep, targets[i].cfg, kr, targets[i])
		return r
	}, func(_ int, r checked) {
		if runErr != nil {
			return
		}
		if runErr = r.err; runErr != nil {
			return
		}
		rep.Checked = append(rep.Checked, r.rep.Checked...)
		rep.MACChecked = append(rep.MACChecked, r.rep.MACChecked...)
		rep.Problems = append(rep.Problems, r.rep.Problems...)
	})
	if runErr != nil {
		return runErr
	}
	if p, ok := textconvNotesProblem(); ok {
		rep.Problems = append(rep.Problems, p)
	}
	if err := checkMaxAge(c, rep, cfg, targets); err != nil {
		return err
	}
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
		if len(rep.Problems) > 0 {
			return &exitError{code: 1}
		}
		return nil
	}
	for _, p := range rep.Problems {
		fmt.Fprintln(c.App.Writer, p)
	}
	if len(rep.Problems) == 0 {
		fmt.Fprintf(c.App.Writer, "sv check: %d file(s) OK", len(rep.Checked))
		if len(rep.MACChecked) < len(rep.Checked) {
			fmt.Fprintf(c.App.Writer, " (MAC verified for %d: no key for the others)", len(rep.MACChecked))
		}
		fmt.Fprintln(c.App.Writer)
		return nil
	}
	return withHint(fmt.Errorf("%d problem(s) in %d file(s)", len(rep.Problems), countFiles(rep.Problems)), checkHints(rep.Problems)...)
}

func countFiles(ps []checkProblem) int {
	seen := map[string]bool{}
	for _, p := range ps {
		seen[p.File] = true
	}
	return len(seen)
}

func checkHints(ps []checkProblem) []string {
	kinds := map[string]bool{}
	for _, p := range ps {
		kinds[p.Kind] = true
	}
	var hints []string
	if kinds["not-encrypted"] || kinds["plaintext"] {
		hints = append(hints, "encrypt with 'sv encrypt FILE' (values already encrypted keep their ciphertext)")
	}
	if kinds["recipients"] {
		hints = append(hints, "re-wrap the data key for the rule's recipients with 'sv updatekeys FILE' (or 'sops updatekeys FILE'), then 'sv rotate FILE' if someone was removed")
	}
	if kinds["mac"] {
		hints = append(hints, "a MAC mismatch means the file was edited without sv or sops; check its history before trusting it")
	}
	if kinds["textconv-cache"] {
		hints = append(hints, "'sv git setup' turns the cache off and deletes "+textconvNotesRef+"; then 'git gc --prune=now' drops the objects")
	}
	return append(hints, maxAgeHints(ps)...)
}

// checkTargets lists the files to look at, and where their .sops.yaml
// files are to be read from.
func checkTargets(c *cli.Context) ([]checkTarget, *configFinder, error) {
	configs := &configFinder{cache: map[string]*sopsconfig.Config{}}
	if c.Bool("staged") {
		if c.NArg() > 0 {
			return nil, nil, &usageError{msg: "--staged takes no PATH", hint: "run 'sv check --help' for usage"}
		}
		st, err := secretfile.Staged(".")
		if err != nil {
			return nil, nil, err
		}
		repo, files := st.Repo, st.Files
		configs.repo, configs.staged = repo, map[string]bool{}
		for _, f := range st.Configs {
			if path.Base(f) == sopsconfig.FileName {
				configs.staged[f] = true
			}
		}
		var out []checkTarget
		for _, f := range files {
			out = append(out, checkTarget{name: f, abs: filepath.Join(repo.Root, f), read: func() ([]byte, error) { return repo.StagedBlob(f) }})
		}
		return out, configs, nil
	}
	fileTarget := func(name string, explicit bool) checkTarget {
		abs, _ := filepath.Abs(name)
		return checkTarget{name: name, abs: abs, explicit: explicit, read: func() ([]byte, error) { return secretfile.Read(name) }}
	}
	files, err := secretfile.Walk(c.Args().Slice(), secretfile.Tree)
	if err != nil {
		return nil, nil, err
	}
	var out []checkTarget
	for _, f := range files {
		out = append(out, fileTarget(f.Path, f.Explicit))
	}
	return out, configs, nil
}

// configFinder finds the .sops.yaml that applies to a file: the nearest
// one in the file's directory or above (a monorepo keeps one per chart).
// With --staged, a .sops.yaml inside the repository is read as staged.
type configFinder struct {
	repo   *gitrepo.Repo   // --staged only
	staged map[string]bool // repo-relative paths of .sops.yaml in the index
	cache  map[string]*sopsconfig.Config
}

func (f *configFinder) forFile(abs string) (*sopsconfig.Config, error) {
	dir := filepath.Dir(abs)
	if cfg, ok := f.cache[dir]; ok {
		return cfg, nil
	}
	cfg, err := f.find(dir)
	if err != nil {
		return nil, err
	}
	f.cache[dir] = cfg
	return cfg, nil
}

func (f *configFinder) find(dir string) (*sopsconfig.Config, error) {
	from := dir
	if f.repo != nil {
		root := f.repo.Root
		for d := dir; ; d = filepath.Dir(d) {
			rel, err := filepath.Rel(root, d)
			if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				break
			}
			p := path.Join(filepath.ToSlash(rel), sopsconfig.FileName)
			if f.staged[p] {
				b, err := f.repo.StagedBlob(p)
				if err != nil {
					return nil, err
				}
				cfg, err := sopsconfig.Parse(b)
				if err != nil {
					return nil, fmt.Errorf("%s (staged): %w", p, err)
				}
				cfg.Path, cfg.Dir = filepath.Join(root, filepath.FromSlash(p)), d
				return cfg, nil
			}
			if d == root {
				from = filepath.Dir(root)
				break
			}
		}
	}
	return secretfile.ConfigFrom(from)
}

// textconvNotesRef is where git caches textconv output when
// diff.sv.cachetextconv is on: decrypted text in the object database.
const textconvNotesRef = "refs/notes/textconv/sv"

// textconvNotesProblem reports a textconv cache of decrypted text in the
// current repository.
func textconvNotesProblem() (checkProblem, bool) {
	repo, err := gitrepo.Open(".")
	if err != nil {
		return checkProblem{}, false
	}
	out, err := repo.Git(nil, "for-each-ref", "--format=%(refname)", textconvNotesRef)
	if err != nil || strings.TrimSpace(string(out)) == "" {
		return checkProblem{}, false
	}
	return checkProblem{File: textconvNotesRef, Kind: "textconv-cache",
		Message: "git has cached decrypted text of encrypted files here (diff.sv.cachetextconv was on)"}, true
}

func isYAMLName(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".yaml" || ext == ".yml"
}

func isSopsConfig(name string) bool { return secretfile.IsConfig(name) }

// coveredBy returns the rule that makes file one that must be encrypted:
// the first matching rule, if it has a path_regex.
func coveredBy(cfg *sopsconfig.Config, file string) *sopsconfig.Rule {
	if cfg == nil {
		return nil
	}
	r, err := cfg.Match(file)
	if err != nil || r.PathRegex == "" {
		return nil
	}
	return r
}

// checkFile adds t's problems to rep. Only a failure to run at all (not a
// problem with the file) is returned as an error.
func checkFile(rep *checkReport, cfg *sopsconfig.Config, kr *crypt.Keyring, t checkTarget) error {
	if isSopsConfig(t.name) || !secretfile.IsCheckedName(t.name) && !t.explicit {
		return nil
	}
	src, err := t.read()
	if err != nil {
		return err
	}
	encrypted := secretfile.IsEncrypted(t.name, src)
	covered := coveredBy(cfg, t.abs)
	if covered == nil && !encrypted || !secretfile.IsCheckedName(t.name) && !encrypted {
		return nil
	}
	add := func(p checkProblem) {
		p.File = t.name
		rep.Problems = append(rep.Problems, p)
	}
	rep.Checked = append(rep.Checked, t.name)
	info, err := secretfile.Inspect(t.name, src, secretfile.Selection(covered))
	if err != nil {
		if errors.Is(err, yamlwalk.ErrEmpty) {
			return nil // nothing to protect
		}
		add(invalidProblem(err))
		return nil
	}
	var plain []yamlwalk.LeafInfo
	for _, l := range info.Leaves {
		if l.Plaintext() {
			plain = append(plain, l)
		}
	}
	if info.Metadata == nil {
		var paths []string
		for _, l := range plain {
			paths = append(paths, l.Path)
		}
		msg := fmt.Sprintf("not encrypted, although %s covers it", covered)
		if len(paths) > 0 {
			msg += fmt.Sprintf(" (%d value(s) in plaintext: %s)", len(paths), secretfile.ListPaths(paths, 5))
		}
		add(checkProblem{Kind: "not-encrypted", Message: msg, Paths: paths})
		return nil
	}
	for _, l := range plain {
		add(checkProblem{Kind: "plaintext", Path: l.Path, Line: l.Line, Message: "value is in plaintext although the file's rules say it must be encrypted"})
	}
	var rule *sopsconfig.Rule
	if cfg != nil {
		rule, _ = cfg.Match(t.abs)
	}
	if rule != nil && len(rule.Recipients()) > 0 {
		if msg := recipientDiff(rule, info.Metadata); msg != "" {
			add(checkProblem{Kind: "recipients", Message: msg})
		}
	}
	if kr.Empty() {
		return nil
	}
	_, err = secretfile.DecryptAs(t.name, src, secretfile.FormatAuto, yamlwalk.DecryptOptions{Keys: secretfile.SerialKeys{Keyring: kr}, IgnoreMAC: false})
	var (
		nk  *crypt.NoKeyError
		mac *yamlwalk.MACError
		ve  *yamlwalk.ValueError
	)
	switch {
	case err == nil:
		rep.MACChecked = append(rep.MACChecked, t.name)
	case errors.As(err, &nk):
		// Not ours to open: nothing more to verify.
	case errors.As(err, &mac):
		rep.MACChecked = append(rep.MACChecked, t.name)
		add(checkProblem{Kind: "mac", Message: err.Error()})
	case errors.As(err, &ve):
		if !errors.Is(err, yamlwalk.ErrNotPlain) { // already reported as plaintext
			add(checkProblem{Kind: "invalid", Path: ve.Path, Line: ve.Line, Message: ve.Err.Error()})
		}
	default:
		add(invalidProblem(err))
	}
	return nil
}

// invalidProblem reports a file sv cannot read, with the line and path
// split out where the error has them.
func invalidProblem(err error) checkProblem {
	var se *yamlwalk.SyntaxError
	if errors.As(err, &se) {
		return checkProblem{Kind: "invalid", Line: se.Line, Path: se.Path, Message: se.Msg}
	}
	return checkProblem{Kind: "invalid", Message: err.Error()}
}

// recipientDiff describes how a file's age recipients, key groups and
// Shamir threshold differ from its rule's ("" when they agree).
func recipientDiff(rule *sopsconfig.Rule, m *yamlwalk.Metadata) string {
	d := secretfile.CompareRule(rule, m)
	if d.Match() {
		return ""
	}
	if d.FileGroups != d.RuleGroups {
		return fmt.Sprintf("the file has %d key group(s), %s has %d", d.FileGroups, rule, d.RuleGroups)
	}
	short := func(rs []string) string {
		out := make([]string, len(rs))
		for i, r := range rs {
			out[i] = crypt.ShortRecipient(r)
		}
		slices.Sort(out)
		return strings.Join(out, ", ")
	}
	var parts []string
	if len(d.Added) > 0 {
		parts = append(parts, "not encrypted to "+short(d.Added))
	}
	if len(d.Removed) > 0 {
		parts = append(parts, "still encrypted to "+short(d.Removed))
	}
	if d.GroupsChanged {
		parts = append(parts, "recipients in other key groups")
	}
	if d.ThresholdChanged {
		parts = append(parts, fmt.Sprintf("%d of %d key groups needed, the rule says %d (shamir_threshold)", d.FileThreshold, d.FileGroups, d.RuleThreshold))
	}
	return fmt.Sprintf("recipients differ from %s: %s", rule, strings.Join(parts, "; "))
}
