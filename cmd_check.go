package main

// sv check: the guard that keeps plaintext secrets, stale recipients and
// broken MACs out of commits (secretfile.Check); here are its flags, its
// output and its hints.

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/sv-secrets/sv/internal/safetext"
	"github.com/sv-secrets/sv/secretfile"
	"github.com/sv-secrets/sv/sopsconfig"
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

func checkAction(c *cli.Context) error {
	maxAge, err := sopsconfig.ParseAge(c.String("max-age"))
	if err != nil {
		return &usageError{msg: "--max-age: " + err.Error(), hint: "run 'sv check --help' for usage"}
	}
	if c.Bool("staged") && c.NArg() > 0 {
		return &usageError{msg: "--staged takes no PATH", hint: "run 'sv check --help' for usage"}
	}
	rep, err := secretfile.Check(secretfile.CheckOptions{
		Paths: c.Args().Slice(), Staged: c.Bool("staged"), Config: c.String("config"),
		MaxAge: maxAge, MaxAgeFlag: c.String("max-age"), Keys: newKeys(), OpenHistory: openHistory,
	})
	if err != nil {
		return err
	}
	shallowNote(c.App.ErrWriter, rep.Shallow)
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
	files := map[string]bool{}
	kinds := map[string]bool{}
	for _, p := range rep.Problems {
		loc := p.File
		if p.Line > 0 {
			loc += fmt.Sprintf(":%d", p.Line)
		}
		if p.Path != "" {
			loc += ": " + p.Path
		}
		fmt.Fprintln(c.App.Writer, safetext.Terminal(loc+": "+p.Message))
		files[p.File], kinds[p.Kind] = true, true
		kinds["shallow"] = kinds["shallow"] || p.Kind == "max-age" && strings.Contains(p.Message, "shallow clone")
	}
	if len(rep.Problems) == 0 {
		fmt.Fprintf(c.App.Writer, "sv check: %d file(s) OK", len(rep.Checked))
		if len(rep.MACChecked) < len(rep.Checked) {
			fmt.Fprintf(c.App.Writer, " (MAC verified for %d: no key for the others)", len(rep.MACChecked))
		}
		fmt.Fprintln(c.App.Writer)
		return nil
	}
	return withHint(fmt.Errorf("%d problem(s) in %d file(s)", len(rep.Problems), len(files)), checkHints(kinds)...)
}

// checkHints says how to fix the kinds of problems found.
func checkHints(kinds map[string]bool) []string {
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
		hints = append(hints, "'sv git setup' turns the cache off and deletes "+secretfile.TextconvNotesRef+"; then 'git gc --prune=now' drops the objects")
	}
	if kinds["max-age"] {
		hints = append(hints, "change the secret itself (e.g. 'sv set FILE PATH VALUE' or 'sv edit FILE') and commit; 'sv rotate' re-encrypts values without changing them, so it does not make them younger")
	}
	if kinds["shallow"] {
		hints = append(hints, "fetch the whole history with 'git fetch --unshallow' (in CI: check out with full depth, e.g. actions/checkout with fetch-depth: 0)")
	}
	return hints
}
