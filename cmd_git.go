package main

// git integration: the diff driver (textconv), the merge driver, and
// `sv git setup` that wires both into a repository.

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/gitattr"
	"github.com/sv-secrets/sv/gitmerge"
	"github.com/sv-secrets/sv/gitrepo"
	"github.com/sv-secrets/sv/secretfile"
	"github.com/sv-secrets/sv/sopsconfig"
	"github.com/sv-secrets/sv/yamlwalk"
	"github.com/urfave/cli/v2"
)

// The git configuration sv git setup writes. The driver name "sv" is what
// .gitattributes refers to (diff=sv merge=sv).
const (
	driverName       = "sv"
	textconvCmd      = "sv textconv"
	mergeDriverCmd   = "sv merge-driver %O %A %B %P"
	mergeDriverLabel = "sv: merge SOPS-encrypted YAML values"
	hookMarker       = "# installed by 'sv git setup --hook'"
	attrsHeader      = "# sv: readable diffs and value-level merges of encrypted files (sv git setup)"
)

func textconvCommand() *cli.Command {
	return &cli.Command{
		Name:      "textconv",
		Usage:     "print an encrypted file for git diff (git's diff.sv.textconv)",
		ArgsUsage: "FILE",
		Description: `Prints FILE the way git diff should show it. With a key that opens it, the
decrypted file: the original plaintext text, comments and all. Without one
(or with --mask), the file with each encrypted value replaced by a marker
derived from its ciphertext, e.g. <encrypted 7f3a9c12>, and the sops block
folded onto one line: a value that did not change keeps its marker, so the
diff shows exactly which values changed, and nothing about them.

It never breaks a diff: if anything fails it prints the file as it is and
one note on standard error, and exits 0. Files that are not encrypted are
printed as they are. 'sv git setup' configures git to use it.

Example:
   git config diff.sv.textconv 'sv textconv'
   echo 'values.prod.yaml diff=sv' >> .gitattributes
   git diff values.prod.yaml`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "mask", Usage: "show markers instead of values even if a key is available"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return &usageError{msg: "textconv needs exactly one FILE", hint: "run 'sv textconv --help' for usage"}
			}
			file := c.Args().First()
			out, note := textconv(file, c.Bool("mask"))
			if note != "" {
				notef(c.App.ErrWriter, "%s: %s", file, note)
			}
			_, err := c.App.Writer.Write(out)
			if err != nil {
				// A closed pipe (git stopped reading) is not worth a message.
				return &exitError{code: 0}
			}
			return nil
		},
	}
}

// textconv returns what git diff should show for file and, when something
// went wrong, a note saying so. It never fails: the fallback is the file's
// own bytes.
func textconv(file string, mask bool) (out []byte, note string) {
	src, err := os.ReadFile(file)
	if err != nil {
		return nil, "cannot read the file: " + secretfile.PathCause(err).Error()
	}
	if f := secretfile.FormatOf(file, src, secretfile.FormatAuto); f != secretfile.FormatYAML {
		return secretfile.Textconv(f, src, newKeys())
	}
	if !yamlwalk.IsEncrypted(src) {
		return src, ""
	}
	masked := func(why string) ([]byte, string) {
		m, err := yamlwalk.Mask(src)
		if err != nil {
			return src, "showing the raw file: " + err.Error()
		}
		return m, why
	}
	if mask {
		return masked("")
	}
	kr, err := loadKeyring()
	if err != nil {
		return masked("showing encrypted values as markers: cannot load keys: " + err.Error())
	}
	dec, err := yamlwalk.Decrypt(src, yamlwalk.DecryptOptions{Keys: kr})
	if err != nil {
		var nk *crypt.NoKeyError
		if errors.As(err, &nk) {
			return masked("") // the normal case for reviewers without the key
		}
		return src, "showing the raw file: " + err.Error()
	}
	return dec.Text, ""
}

func mergeDriverCommand() *cli.Command {
	return &cli.Command{
		Name:      "merge-driver",
		Usage:     "merge encrypted files value by value (git's merge.sv.driver)",
		ArgsUsage: "BASE OURS THEIRS [PATH]",
		Description: `Git's merge driver for SOPS-encrypted YAML (git passes %O %A %B %P). It
decrypts the three versions, merges them in memory value by value (a value
changed on one side takes that side; the same change on both sides is
fine; added and removed keys, list items and comments merge like lines),
and writes the result to OURS encrypted with ours' data key: unchanged
values keep their exact ciphertext, values taken from theirs keep theirs',
and the file gets one new MAC. If only theirs changed the recipients or
rotated the data key, the result uses theirs' keys instead, so a merge
never undoes a revocation.

A real conflict (both sides changed one value differently, or overlapping
structural changes) exits 1 naming the YAML paths and leaves OURS as it
was: encrypted, never with plaintext conflict markers. Without a key it
exits 1 with a hint, and git reports a normal conflict. Files that are not
encrypted on either side are merged by 'git merge-file' as git would.
Plaintext never touches the disk.

Example:
   git config merge.sv.driver 'sv merge-driver %O %A %B %P'
   echo 'values.prod.yaml merge=sv' >> .gitattributes`,
		Action: mergeDriverAction,
	}
}

func mergeDriverAction(c *cli.Context) error {
	if c.NArg() < 3 || c.NArg() > 4 {
		return &usageError{msg: "merge-driver needs BASE OURS THEIRS [PATH]", hint: "git passes them: merge.sv.driver = sv merge-driver %O %A %B %P"}
	}
	args := c.Args().Slice()
	oursFile := args[1]
	name := oursFile
	if len(args) == 4 {
		name = args[3]
	}
	var src [3][]byte
	for i, f := range args[:3] {
		b, err := secretfile.Read(f)
		if err != nil {
			return mergeFailed(err)
		}
		src[i] = b
	}
	if !secretfile.IsEncrypted(name, src[1]) && !secretfile.IsEncrypted(name, src[2]) {
		return gitMergeFile(c, args[0], oursFile, args[2], name)
	}
	out, err := mergeEncrypted(name, src[0], src[1], src[2], time.Now())
	if err != nil {
		return mergeFailed(err)
	}
	return writeFile(oursFile, out, 0o644, true)
}

// mergeFailed makes every driver failure exit 1, which git reads as "not
// merged" (git treats some other codes, e.g. 127, as a broken driver).
func mergeFailed(err error) error {
	hints := []string{"git keeps ours' encrypted version and marks the file as conflicted"}
	var mc *secretfile.ConflictError
	if errors.As(err, &mc) {
		hints = append(hints, "settle it with a key: keep one side with 'git checkout --ours FILE' or '--theirs FILE', change values with 'sv edit FILE' or 'sv set', then 'git add FILE'")
	}
	return &exitError{code: 1, err: withHint(err, hints...)}
}

// gitMergeFile merges plaintext files the way git's own text driver does.
func gitMergeFile(c *cli.Context, base, ours, theirs, name string) error {
	cmd := exec.Command("git", "merge-file", "-L", name, "-L", "base", "-L", "theirs", ours, base, theirs)
	cmd.Stdout, cmd.Stderr = c.App.ErrWriter, c.App.ErrWriter
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() > 0 && ee.ExitCode() < 128 {
		return &exitError{code: 1} // conflicts, markers written as git would
	}
	if err != nil {
		return fmt.Errorf("git merge-file: %w", err)
	}
	return nil
}

// mergeEncrypted merges three versions of which at least ours or theirs is
// encrypted, and returns the encrypted result. A side that is not encrypted
// (e.g. the commit that first encrypted the file) takes part as plaintext.
func mergeEncrypted(name string, base, ours, theirs []byte, now time.Time) ([]byte, error) {
	if f := secretfile.FormatOf(name, ours, secretfile.FormatAuto); f != secretfile.FormatYAML {
		return secretfile.Merge(name, f, base, ours, theirs, now, newKeys())
	}
	kr, err := loadKeyring()
	if err != nil {
		return nil, secretfile.WithFile(name, err)
	}
	sides := [3]string{"base", "ours", "theirs"}
	var dec [3]*yamlwalk.Decrypted
	var text [3][]byte
	src := [3][]byte{base, ours, theirs}
	for _, i := range []int{1, 2, 0} { // ours first: its error is the one to see
		b := src[i]
		if !yamlwalk.IsEncrypted(b) {
			text[i] = b
			continue
		}
		d, err := yamlwalk.Decrypt(b, yamlwalk.DecryptOptions{Keys: kr})
		if err != nil {
			return nil, secretfile.WithFile(name+" ("+sides[i]+")", err)
		}
		dec[i], text[i] = d, d.Text
	}
	prev, err := secretfile.MergeKeys(dec[0], dec[1], dec[2])
	if err != nil {
		return nil, secretfile.WithFile(name, err)
	}
	res, err := gitmerge.Merge(text[0], text[1], text[2])
	if err != nil {
		return nil, secretfile.WithFile(name, err)
	}
	if len(res.Conflicts) > 0 {
		return nil, &secretfile.ConflictError{File: name, Paths: res.Paths()}
	}
	for _, d := range dec[1:] {
		if d != nil && d != prev {
			prev.ReuseCiphertexts(d)
		}
	}
	keySide := src[1]
	for i, d := range dec {
		if d != nil && d == prev {
			keySide = src[i]
		}
	}
	// As sv edit and sv set do: comments stay encrypted if they were, and
	// the sops: block keeps the text of the side whose keys the file gets.
	out, err := yamlwalk.Reencrypt(res.Text, prev, yamlwalk.EncryptOptions{Now: now, EncryptComments: secretfile.CommentsEncrypted(keySide)})
	if err != nil {
		return nil, secretfile.WithFile(name, err)
	}
	return yamlwalk.KeepMetadataText(keySide, out.Out), nil
}

func gitCommand() *cli.Command {
	return &cli.Command{
		Name:  "git",
		Usage: "set up git for encrypted files (diff and merge drivers, pre-commit hook)",
		Description: `Git integration: 'sv git setup' configures readable diffs (sv textconv),
value-level merges (sv merge-driver) and optionally a pre-commit hook
(sv check --staged) for the files .sops.yaml rules cover.

Example:
   sv git setup --hook`,
		Subcommands: []*cli.Command{
			{
				Name:  "setup",
				Usage: "configure the diff and merge drivers and the .gitattributes lines",
				Description: `Adds '<pattern> diff=sv merge=sv' lines to the repository's .gitattributes
for the files the .sops.yaml creation rules cover (patterns derived from
each rule's path_regex, or given with --pattern), and sets the git
configuration that defines the drivers:

   diff.sv.textconv = sv textconv
   merge.sv.name    = sv: merge SOPS-encrypted YAML values
   merge.sv.driver  = sv merge-driver %O %A %B %P

in the repository's .git/config, or with --global in ~/.gitconfig (then
every clone that has the .gitattributes lines uses them). Commit
.gitattributes; each person runs 'sv git setup' (or --global) once.

It is idempotent and prints what it changed. It then checks with git
check-attr that every file a rule covers gets the drivers, and names any
that do not. --hook also installs a plain git pre-commit hook that runs
'sv check --staged'.

Example:
   sv git setup
   sv git setup --global --pattern 'values.*.yaml' --hook`,
				Flags: []cli.Flag{
					&cli.BoolFlag{Name: "global", Usage: "write the driver configuration to the global git config"},
					&cli.StringSliceFlag{Name: "pattern", Usage: "add .gitattributes lines for `GLOB` instead of deriving them from .sops.yaml (repeatable)"},
					&cli.BoolFlag{Name: "hook", Usage: "install a pre-commit hook that runs 'sv check --staged'"},
					&cli.StringFlag{Name: "config", Usage: "use `FILE` instead of the nearest .sops.yaml"},
				},
				Action: gitSetupAction,
			},
		},
	}
}

func gitSetupAction(c *cli.Context) error {
	if c.NArg() > 0 {
		return &usageError{msg: "git setup takes no arguments", hint: "run 'sv git setup --help' for usage"}
	}
	out := c.App.Writer
	repo, err := gitrepo.Open(".")
	if err != nil {
		if !errors.Is(err, gitrepo.ErrNotRepo) || !c.Bool("global") {
			return withHint(err, "run it inside your repository, or pass --global to configure only the drivers")
		}
		repo = nil
	}
	scope := gitrepo.Local
	if c.Bool("global") {
		scope = gitrepo.Global
	}
	changed := 0
	for _, kv := range [][2]string{
		{"diff." + driverName + ".textconv", textconvCmd},
		{"merge." + driverName + ".name", mergeDriverLabel},
		{"merge." + driverName + ".driver", mergeDriverCmd},
	} {
		cur, set, err := repo.ConfigGet(scope, kv[0])
		if err != nil {
			return err
		}
		if set && cur == kv[1] {
			continue
		}
		if err := repo.ConfigSet(scope, kv[0], kv[1]); err != nil {
			return err
		}
		changed++
		fmt.Fprintf(out, "set git config %s %s = %s\n", strings.TrimPrefix(string(scope), "--"), kv[0], kv[1])
	}
	// A cached textconv is stored in git notes: plaintext in the object
	// database. Make sure it is off wherever sv's driver is configured.
	if v, set, err := repo.ConfigGet(scope, "diff."+driverName+".cachetextconv"); err == nil && set && v != "false" {
		if err := repo.ConfigSet(scope, "diff."+driverName+".cachetextconv", "false"); err != nil {
			return err
		}
		changed++
		fmt.Fprintf(out, "set git config %s diff.%s.cachetextconv = false (a cache would store decrypted text in git notes)\n", strings.TrimPrefix(string(scope), "--"), driverName)
	}
	if repo != nil {
		// A cache made while it was on stays: delete it.
		refs, err := repo.Git(nil, "for-each-ref", "--format=%(refname)", textconvNotesRef)
		if err == nil && strings.TrimSpace(string(refs)) != "" {
			if _, err := repo.Git(nil, "update-ref", "-d", textconvNotesRef); err != nil {
				return err
			}
			changed++
			fmt.Fprintf(out, "deleted %s (git's cache of decrypted text); run 'git gc --prune=now' to drop its objects\n", textconvNotesRef)
		}
	}
	var hookErr error
	if repo != nil {
		n, err := setupAttributes(c, repo)
		if err != nil {
			return err
		}
		changed += n
		if c.Bool("hook") {
			n, hookErr = installHook(c, repo)
			changed += n
		}
	} else if c.Bool("hook") || len(c.StringSlice("pattern")) > 0 {
		return &usageError{msg: "--hook and --pattern need a repository", hint: "run it inside your repository"}
	}
	if hookErr != nil {
		return hookErr
	}
	if changed == 0 {
		fmt.Fprintln(out, "git setup: nothing to change")
	}
	return nil
}

// setupAttributes adds the .gitattributes lines and checks the result.
func setupAttributes(c *cli.Context, repo *gitrepo.Repo) (int, error) {
	cfg, err := secretfile.LoadConfig(c.String("config"), len(c.StringSlice("pattern")) == 0)
	if errors.Is(err, sopsconfig.ErrNotFound) {
		return 0, withHint(err, "pass --pattern GLOB for the encrypted files, e.g. --pattern '*.enc.yaml'")
	}
	if err != nil {
		return 0, err
	}
	patterns := c.StringSlice("pattern")
	if len(patterns) == 0 {
		rel, err := filepath.Rel(repo.Root, cfg.Dir)
		if err != nil || strings.HasPrefix(rel, "..") {
			return 0, withHint(fmt.Errorf("%s is outside the repository", cfg.Path), "pass --pattern GLOB for the encrypted files")
		}
		var unusable []string
		for _, r := range cfg.Rules {
			if r.PathRegex == "" {
				continue
			}
			globs, ok := gitattr.Globs(r.PathRegex)
			if !ok {
				unusable = append(unusable, r.String()+" has no .gitattributes pattern equivalent")
				continue
			}
			for _, g := range globs {
				patterns = append(patterns, gitattr.Prefix(filepath.ToSlash(rel), g))
			}
		}
		for _, u := range unusable {
			warnf(c.App.ErrWriter, "%s; pass --pattern for those files", u)
		}
		if len(patterns) == 0 {
			return 0, withHint(fmt.Errorf("no creation rule in %s has a path_regex that can be written as a .gitattributes pattern", cfg.Path),
				"pass --pattern GLOB for the encrypted files, e.g. --pattern '*.enc.yaml'")
		}
	}
	var lines []gitattr.Line
	for _, p := range patterns {
		if strings.ContainsAny(p, " \t\n") {
			return 0, &usageError{msg: fmt.Sprintf("pattern %q contains whitespace, which .gitattributes cannot hold unquoted", p)}
		}
		lines = append(lines, gitattr.Line{Pattern: p, Attrs: []string{"diff=" + driverName, "merge=" + driverName}})
	}
	attrFile := filepath.Join(repo.Root, ".gitattributes")
	old, err := os.ReadFile(attrFile)
	if err != nil && !os.IsNotExist(err) {
		return 0, err
	}
	text, added := gitattr.Add(string(old), attrsHeader, lines)
	if len(added) > 0 {
		if err := writeFile(attrFile, []byte(text), 0o644, true); err != nil {
			return 0, err
		}
		for _, l := range added {
			fmt.Fprintf(c.App.Writer, "added to .gitattributes: %s\n", l)
		}
	}
	if cfg != nil {
		if err := reportUncovered(c, repo, cfg); err != nil {
			return len(added), err
		}
	}
	return len(added), nil
}

// reportUncovered warns about files a rule covers that the attributes miss.
func reportUncovered(c *cli.Context, repo *gitrepo.Repo, cfg *sopsconfig.Config) error {
	files, err := secretfile.Walk([]string{repo.Root}, secretfile.Tree)
	if err != nil {
		return err
	}
	var covered []string
	for _, f := range files {
		if coveredBy(cfg, f.Path) != nil {
			covered = append(covered, f.Rel)
		}
	}
	if len(covered) == 0 {
		return nil
	}
	attrs, err := repo.Attr("diff", covered)
	if err != nil {
		return err
	}
	var missed []string
	for _, f := range covered {
		if attrs[f] != driverName {
			missed = append(missed, f)
		}
	}
	if len(missed) > 0 {
		warnf(c.App.ErrWriter, "%d file(s) covered by .sops.yaml rules do not get the drivers: %s; add them with --pattern",
			len(missed), secretfile.ListPaths(missed, 5))
	}
	return nil
}

const hookScript = `#!/bin/sh
` + hookMarker + `
# Refuses commits that would add plaintext secrets to files .sops.yaml rules
# cover (or stale recipients, or a broken MAC when a key is at hand).
exec sv check --staged
`

// installHook writes the pre-commit hook unless one is there already.
func installHook(c *cli.Context, repo *gitrepo.Repo) (int, error) {
	path, err := repo.HookPath("pre-commit")
	if err != nil {
		return 0, err
	}
	if b, err := os.ReadFile(path); err == nil {
		if bytes.Contains(b, []byte(hookMarker)) {
			return 0, nil
		}
		return 0, withHint(fmt.Errorf("%s already exists and is not sv's", path),
			"add the line 'sv check --staged' to it, or use the pre-commit framework hook (id: sv-check)")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return 0, err
	}
	if err := writeFile(path, []byte(hookScript), 0o755, false); err != nil {
		return 0, err
	}
	fmt.Fprintf(c.App.Writer, "installed pre-commit hook %s (runs 'sv check --staged')\n", path)
	return 1, nil
}
