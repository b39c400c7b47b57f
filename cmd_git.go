package main

// git integration: the diff driver (textconv), the merge driver, and
// `sv git setup` that wires both into a repository.

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sv-secrets/sv/secretfile"
	"github.com/urfave/cli/v2"
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
			out, note := secretfile.TextconvFile(file, c.Bool("mask"), newKeys())
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
	name := args[1]
	if len(args) == 4 {
		name = args[3]
	}
	out, err := secretfile.MergeFiles(args[0], args[1], args[2], name, time.Now(), newKeys())
	if errors.Is(err, secretfile.ErrNotEncryptedMerge) {
		conflict, err := secretfile.MergeText(args[0], args[1], args[2], name, c.App.ErrWriter)
		if conflict {
			return &exitError{code: 1} // conflicts, markers written as git would
		}
		return err
	}
	if err != nil {
		// Exit 1, which git reads as "not merged" (git treats some other
		// codes, e.g. 127, as a broken driver).
		hints := []string{"git keeps ours' encrypted version and marks the file as conflicted"}
		var mc *secretfile.ConflictError
		if errors.As(err, &mc) {
			hints = append(hints, "settle it with a key: keep one side with 'git checkout --ours FILE' or '--theirs FILE', change values with 'sv edit FILE' or 'sv set', then 'git add FILE'")
		}
		return &exitError{code: 1, err: withHint(err, hints...)}
	}
	return writeFile(args[1], out, 0o644, true)
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
	g, err := secretfile.SetupGit(secretfile.GitSetupOptions{Global: c.Bool("global"), Patterns: c.StringSlice("pattern"),
		Hook: c.Bool("hook"), Config: c.String("config")})
	out, scope := c.App.Writer, strings.TrimPrefix(string(g.Scope), "--")
	for _, kv := range g.Config {
		fmt.Fprintf(out, "set git config %s %s = %s\n", scope, kv[0], kv[1])
	}
	if g.CacheOff {
		fmt.Fprintf(out, "set git config %s diff.%s.cachetextconv = false (a cache would store decrypted text in git notes)\n", scope, secretfile.DriverName)
	}
	if g.CacheDeleted {
		fmt.Fprintf(out, "deleted %s (git's cache of decrypted text); run 'git gc --prune=now' to drop its objects\n", secretfile.TextconvNotesRef)
	}
	for _, r := range g.Unusable {
		warnf(c.App.ErrWriter, "%s has no .gitattributes pattern equivalent; pass --pattern for those files", r.String())
	}
	for _, l := range g.Attributes {
		fmt.Fprintf(out, "added to .gitattributes: %s\n", l)
	}
	if len(g.Uncovered) > 0 {
		warnf(c.App.ErrWriter, "%d file(s) covered by .sops.yaml rules do not get the drivers: %s; add them with --pattern",
			len(g.Uncovered), secretfile.ListPaths(g.Uncovered, 5))
	}
	if g.Hook != "" {
		fmt.Fprintf(out, "installed pre-commit hook %s (runs 'sv check --staged')\n", g.Hook)
	}
	var se *secretfile.SetupError
	switch {
	case errors.As(err, &se) && se.Usage:
		return &usageError{msg: se.Error(), hint: se.Hint}
	case errors.As(err, &se):
		return withHint(se.Err, se.Hint)
	case err != nil:
		return err
	case !g.Changed():
		fmt.Fprintln(out, "git setup: nothing to change")
	}
	return nil
}
