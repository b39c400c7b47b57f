package secretfile

// sv check: the guard that keeps plaintext secrets, stale recipients and
// broken MACs out of commits.

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sv-secrets/sv/audit"
	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/gitrepo"
	"github.com/sv-secrets/sv/internal/parallel"
	"github.com/sv-secrets/sv/sopsconfig"
	"github.com/sv-secrets/sv/yamlwalk"
)

// Problem is one finding of Check. It never holds a value. As JSON it is
// one of sv check --json's problems.
type Problem struct {
	File string `json:"file"`
	// Kind is not-encrypted, plaintext, recipients, mac, invalid,
	// max-age or textconv-cache.
	Kind    string   `json:"kind"`
	Path    string   `json:"path,omitempty"`
	Line    int      `json:"line,omitempty"`
	Message string   `json:"message"`
	Paths   []string `json:"paths,omitempty"`
}

// CheckReport is what Check found; as JSON, sv check --json's report.
type CheckReport struct {
	// Checked are the files looked at; MACChecked those whose MAC was
	// verified (a key opened them).
	Checked    []string  `json:"checked"`
	MACChecked []string  `json:"mac_checked"`
	Problems   []Problem `json:"problems"`
	// Shallow is the horizon of a shallow clone whose history the value
	// ages were read from (audit.History.Shallow), for the caller to note.
	Shallow []audit.Commit `json:"-"`
}

// CheckOptions are the caller's choices for Check.
type CheckOptions struct {
	// Paths are the files and directories to check (Walk, Tree); none
	// means the current directory.
	Paths []string
	// Staged checks the files staged for the next commit, as staged
	// (Staged), instead of Paths; a .sops.yaml staged is read as staged.
	Staged bool
	// Config (--config) is the .sops.yaml for every file; without it (and
	// without SOPS_CONFIG: sopsconfig.Named) each file has the nearest one
	// above it.
	Config string
	// MaxAge is the longest a value may go unchanged in git (0: no limit),
	// MaxAgeFlag how it was given, for messages; a rule's sv_max_age
	// overrides it.
	MaxAge     time.Duration
	MaxAgeFlag string
	// Keys verify MACs where they open the file (nil: none); they are
	// loaded once the files to check are known.
	Keys *Keys
	// OpenHistory opens the git history, only when value ages are needed.
	OpenHistory func() (*audit.History, error)
}

// checkTarget is one file to check: its display name, absolute path (for
// rule matching) and how to read it.
type checkTarget struct {
	name, abs string
	explicit  bool
	read      func() ([]byte, error)
	// cfg is the .sops.yaml that applies to the file. Nil when there is
	// none.
	cfg *sopsconfig.Config
}

// Check checks the files of o for problems: every file a rule's path_regex
// covers must be encrypted, every encrypted one must hold no value in
// plaintext its rules select, be encrypted to its rule's recipients
// (CompareRule), have a MAC that verifies (where o.Keys open it), and
// values younger than the max age. Problems are in the report; an error
// means the check could not run (a broken .sops.yaml, a file that cannot
// be read, git failing).
func Check(o CheckOptions) (*CheckReport, error) {
	configs, err := NewConfigs(o.Config)
	if err != nil {
		return nil, err
	}
	targets, err := checkTargets(o, configs)
	if err != nil {
		return nil, err
	}
	for i := range targets {
		if targets[i].cfg, err = configs.For(targets[i].abs); err != nil {
			return nil, err
		}
	}
	var kr *crypt.Keyring
	if o.Keys != nil {
		if kr, err = o.Keys.Keyring(); err != nil {
			return nil, err
		}
	}
	rep := &CheckReport{Checked: []string{}, MACChecked: []string{}, Problems: []Problem{}}
	// Files are checked in parallel, each into its own report, merged in
	// the order of the files: the output is the serial one. A failure to
	// run at all is the first such failure, in that order.
	type checked struct {
		rep CheckReport
		err error
	}
	var runErr error
	parallel.Ordered(len(targets), 0, func(i int) checked {
		var r checked
		r.err = checkFile(&r.rep, kr, targets[i])
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
		return nil, runErr
	}
	if p, ok := textconvNotesProblem(); ok {
		rep.Problems = append(rep.Problems, p)
	}
	if err := checkMaxAge(rep, o, targets); err != nil {
		return nil, err
	}
	return rep, nil
}

// checkTargets lists the files to look at; with o.Staged, configs read a
// .sops.yaml staged as staged.
func checkTargets(o CheckOptions, configs *Configs) ([]checkTarget, error) {
	var out []checkTarget
	if o.Staged {
		st, err := Staged(".")
		if err != nil {
			return nil, err
		}
		repo := st.Repo
		configs.readStaged(st)
		for _, f := range st.Files {
			out = append(out, checkTarget{name: f, abs: filepath.Join(repo.Root, f), read: func() ([]byte, error) { return repo.StagedBlob(f) }})
		}
		return out, nil
	}
	files, err := Walk(o.Paths, Tree)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		name := f.Path
		abs, _ := filepath.Abs(name)
		out = append(out, checkTarget{name: name, abs: abs, explicit: f.Explicit, read: func() ([]byte, error) { return Read(name) }})
	}
	return out, nil
}

// TextconvNotesRef is where git caches textconv output when
// diff.sv.cachetextconv is on: decrypted text in the object database.
const TextconvNotesRef = "refs/notes/textconv/sv"

// textconvNotesProblem reports a textconv cache of decrypted text in the
// current repository.
func textconvNotesProblem() (Problem, bool) {
	repo, err := gitrepo.Open(".")
	if err != nil {
		return Problem{}, false
	}
	out, err := repo.Git(nil, "for-each-ref", "--format=%(refname)", TextconvNotesRef)
	if err != nil || strings.TrimSpace(string(out)) == "" {
		return Problem{}, false
	}
	return Problem{File: TextconvNotesRef, Kind: "textconv-cache",
		Message: "git has cached decrypted text of encrypted files here (diff.sv.cachetextconv was on)"}, true
}

// CoveredBy returns the rule of cfg that makes file one that must be
// encrypted: the first matching rule, if it has a path_regex. cfg may be
// nil.
func CoveredBy(cfg *sopsconfig.Config, file string) *sopsconfig.Rule {
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
func checkFile(rep *CheckReport, kr *crypt.Keyring, t checkTarget) error {
	if IsConfig(t.name) || !IsCheckedName(t.name) && !t.explicit {
		return nil
	}
	src, err := t.read()
	if err != nil {
		return err
	}
	encrypted := IsEncrypted(t.name, src)
	covered := CoveredBy(t.cfg, t.abs)
	if covered == nil && !encrypted || !IsCheckedName(t.name) && !encrypted {
		return nil
	}
	add := func(p Problem) {
		p.File = t.name
		rep.Problems = append(rep.Problems, p)
	}
	rep.Checked = append(rep.Checked, t.name)
	info, err := Inspect(t.name, src, Selection(covered))
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
			msg += fmt.Sprintf(" (%d value(s) in plaintext: %s)", len(paths), ListPaths(paths, 5))
		}
		add(Problem{Kind: "not-encrypted", Message: msg, Paths: paths})
		return nil
	}
	for _, l := range plain {
		add(Problem{Kind: "plaintext", Path: l.Path, Line: l.Line, Message: "value is in plaintext although the file's rules say it must be encrypted"})
	}
	var rule *sopsconfig.Rule
	if t.cfg != nil {
		rule, _ = t.cfg.Match(t.abs)
	}
	if rule != nil {
		if d := CompareRule(rule, info.Metadata); !d.Match() {
			add(Problem{Kind: "recipients", Message: DescribeRuleDiff(rule, d)})
		}
	}
	if kr == nil || kr.Empty() {
		return nil
	}
	_, err = DecryptAs(t.name, src, FormatAuto, yamlwalk.DecryptOptions{Keys: SerialKeys{Keyring: kr}})
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
		add(Problem{Kind: "mac", Message: err.Error()})
	case errors.As(err, &ve):
		if !errors.Is(err, yamlwalk.ErrNotPlain) { // already reported as plaintext
			add(Problem{Kind: "invalid", Path: ve.Path, Line: ve.Line, Message: ve.Err.Error()})
		}
	default:
		add(invalidProblem(err))
	}
	return nil
}

// invalidProblem reports a file sv cannot read, with the line and path
// split out where the error has them.
func invalidProblem(err error) Problem {
	var se *yamlwalk.SyntaxError
	if errors.As(err, &se) {
		return Problem{Kind: "invalid", Line: se.Line, Path: se.Path, Message: se.Msg}
	}
	return Problem{Kind: "invalid", Message: err.Error()}
}

// DescribeRuleDiff says how a file's age recipients, key groups and
// Shamir threshold differ from those of rule (d: CompareRule), for sv
// check's problem and the warnings of the commands that write a file.
func DescribeRuleDiff(rule *sopsconfig.Rule, d RuleDiff) string {
	if d.GroupsA != d.GroupsB {
		return fmt.Sprintf("the file has %d key group(s), %s has %d", d.GroupsA, rule, d.GroupsB)
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
	parts = append(parts, GroupChanges(d)...)
	return fmt.Sprintf("recipients differ from %s: %s", rule, strings.Join(parts, "; "))
}

// GroupChanges words how the key groups of d differ beyond recipients
// added or removed: another number of groups, recipients in other groups,
// another threshold.
func GroupChanges(d RuleDiff) []string {
	if d.GroupsA != d.GroupsB {
		return []string{fmt.Sprintf("the file has %d key group(s), the rule %d", d.GroupsA, d.GroupsB)}
	}
	var parts []string
	if d.GroupsChanged {
		parts = append(parts, "recipients in other key groups")
	}
	if d.ThresholdChanged {
		parts = append(parts, fmt.Sprintf("%d of %d key groups needed, the rule says %d (shamir_threshold)", d.ThresholdA, d.GroupsA, d.ThresholdB))
	}
	return parts
}

// checkMaxAge adds a max-age problem for every value of the checked
// encrypted files that has not changed within its limit: the rule's
// sv_max_age if it sets one, else o.MaxAge.
func checkMaxAge(rep *CheckReport, o CheckOptions, targets []checkTarget) error {
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
		limit, by := o.MaxAge, "--max-age "+o.MaxAgeFlag
		if t.cfg != nil {
			if r, err := t.cfg.Match(t.abs); err == nil && r.MaxAge != "" {
				limit, by = r.MaxAgeLimit, fmt.Sprintf("sv_max_age %s of %s", r.MaxAge, r)
			}
		}
		if limit > 0 {
			todo = append(todo, limited{t, limit, by})
		}
	}
	if len(todo) == 0 {
		return nil
	}
	h, err := o.OpenHistory()
	if err != nil {
		return fmt.Errorf("value ages need git history: %w", err)
	}
	if rep.Shallow, err = h.Shallow(); err != nil {
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
				msg = fmt.Sprintf("last changed %s (%s, commit %s), longer than %s allows", when, DaysAgo(now.Sub(a.Changed)), a.Commit[:min(7, len(a.Commit))], l.by)
				if !a.Rotated.IsZero() {
					msg += fmt.Sprintf(" (the data key rotation of %s kept the value)", a.Rotated.Format("2006-01-02"))
				}
			}
			if msg != "" {
				rep.Problems = append(rep.Problems, Problem{File: l.t.name, Kind: "max-age", Path: agePath(a.Path, a.Doc), Message: msg})
			}
		}
	}
	return nil
}
