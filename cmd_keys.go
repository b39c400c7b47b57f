package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/internal/safetext"
	"github.com/sv-secrets/sv/secretfile"
	"github.com/sv-secrets/sv/sopsconfig"
	"github.com/urfave/cli/v2"
)

func updatekeysCommand() *cli.Command {
	return &cli.Command{
		Name:      "updatekeys",
		Usage:     "give encrypted files exactly the recipients their .sops.yaml rule names",
		ArgsUsage: "[PATH...]",
		Description: `For every encrypted file in PATH (files, or directories searched
recursively for .yaml, .yml, .json, .env and .ini files as sv check
searches them; default: the current directory),
finds the .sops.yaml creation rule that matches it and re-wraps the file's
data key for exactly the recipients that rule names now: people added to
the rule can then open the file, people removed from it no longer get the
data key. Values, mac and lastmodified stay byte-identical, so the git diff
is the sops block only.

A removed person may have kept a copy of the data key (or of the file):
run 'sv rotate' after updatekeys to re-encrypt every value under a new
data key.

Each file to change must be opened with one of your identities (its MAC is
verified). Files that cannot be opened are named at the end and left as
they were; the others are updated. --dry-run needs no key: it prints who
would be added and removed, per file.

On a terminal sv asks before changing anything; elsewhere pass -y.

Example:
   sv updatekeys --dry-run deploy/
   sv updatekeys -y deploy/prod deploy/staging/values.yaml`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "print the changes without making them"},
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation"},
			&cli.StringFlag{Name: "config", Usage: "use `FILE` instead of the nearest .sops.yaml"},
		},
		Action: updatekeysAction,
	}
}

func updatekeysAction(c *cli.Context) error {
	keys := newKeys()
	out := c.App.Writer
	var (
		plans    []*secretfile.KeyPlan
		upToDate int
		probs    = &fileProblems{verb: "update"}
	)
	err := secretfile.PlanKeysTree(c.Args().Slice(), c.String("config"), keys, func(k secretfile.KeyCheck) {
		if !probs.count(k.TreeFile) {
			return
		}
		p := k.Plan
		if p == nil {
			upToDate++
			fmt.Fprintf(out, "%s: up to date\n", k.Path)
			return
		}
		for _, r := range p.Removed {
			fmt.Fprintf(out, "%s: remove %s\n", p.File, crypt.ShortRecipient(r))
		}
		for _, r := range p.Added {
			fmt.Fprintf(out, "%s: add %s\n", p.File, crypt.ShortRecipient(r))
		}
		if p.Regroup {
			fmt.Fprintf(out, "%s: regroup keys (%d key group(s), threshold %d)\n", p.File, len(p.Groups), p.Threshold)
		}
		plans = append(plans, p)
	})
	if errors.Is(err, sopsconfig.ErrNotFound) {
		// Not the encrypt hint (--age, SOPS_AGE_RECIPIENTS): updatekeys
		// takes recipients from .sops.yaml only.
		return withHint(errors.New(err.Error()), "updatekeys gives each file the recipients of its .sops.yaml rule: create one with creation_rules, or name it with --config")
	}
	if err != nil {
		return err
	}
	if c.Bool("dry-run") {
		fmt.Fprintf(out, "%d file(s) would be updated, %d up to date\n", len(plans), upToDate)
		return probs.err()
	}
	if len(plans) > 0 && !c.Bool("yes") {
		if !isTerminalReader(c.App.Reader) {
			return &usageError{msg: fmt.Sprintf("updatekeys would change who can read %d file(s); pass -y to confirm", len(plans)), hint: "use --dry-run to see the changes without making them"}
		}
		fmt.Fprintf(c.App.ErrWriter, "sv: update the recipients of %d file(s)? [y/N] ", len(plans))
		a, _ := readTermLine(c.App.Reader)
		if a = strings.ToLower(strings.TrimSpace(a)); a != "y" && a != "yes" {
			return &exitError{code: exitFailure, err: errors.New("nothing changed")}
		}
	}
	updated := 0
	if len(plans) > 0 {
		if _, err := keys.Keyring(); err != nil {
			return err
		}
		secretfile.ApplyKeys(plans, keys, writeOptions(), func(p *secretfile.KeyPlan, err error) {
			if err != nil {
				probs.add(p.File, err)
				return
			}
			updated++
			fmt.Fprintf(c.App.ErrWriter, "sv: %s: recipients updated (%d added, %d removed)\n", p.File, len(p.Added), len(p.Removed))
		})
	}
	fmt.Fprintf(out, "%d file(s) updated, %d up to date\n", updated, upToDate)
	return probs.err()
}

func rotateCommand() *cli.Command {
	return &cli.Command{
		Name:      "rotate",
		Usage:     "re-encrypt files under a new data key",
		ArgsUsage: "[PATH...]",
		Description: `For every encrypted file in PATH (files, or directories searched
recursively for .yaml, .yml, .json, .env and .ini files as sv check
searches them; default: the current directory),
decrypts it (verifying every value and the MAC), generates a new data key
and encrypts every value under it, for the file's recipients adjusted by
--add-age and --rm-age. Someone who kept the old data key can read none of
the new ciphertexts. Keys, comments and layout stay as they were; every
value line changes, as does the sops block.

Run it after removing someone with 'sv updatekeys', and on a schedule.
Rotating the data key does not change the secrets themselves: if a removed
person could read them, change the passwords and tokens too (sv set).

Example:
   sv rotate deploy/prod
   sv rotate --rm-age age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p values.prod.yaml`,
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "add-age", Usage: "also encrypt to `RECIPIENT` (repeatable, or comma-separated; added to the first key group)"},
			&cli.StringSliceFlag{Name: "rm-age", Usage: "stop encrypting to `RECIPIENT` (repeatable, or comma-separated)"},
		},
		Action: rotateAction,
	}
}

func splitRecipients(values []string) []string {
	var out []string
	for _, v := range values {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

func rotateAction(c *cli.Context) error {
	add, rm := splitRecipients(c.StringSlice("add-age")), splitRecipients(c.StringSlice("rm-age"))
	keys := newKeys()
	for _, a := range add {
		if _, err := keys.ParseRecipients([]string{a}); err != nil {
			return &usageError{msg: "--add-age: " + err.Error()}
		}
	}
	if _, err := keys.Keyring(); err != nil {
		return err
	}
	opt := secretfile.RotateOptions{Add: add, Remove: rm, Keys: keys, Write: writeOptions()}
	probs := &fileProblems{verb: "rotate"}
	removed := map[string]bool{}
	stderr := c.App.ErrWriter
	err := secretfile.RotateTree(c.Args().Slice(), opt, func(x secretfile.RotatedFile) {
		if x.Skipped {
			return
		}
		probs.total++
		file, r, err := x.Path, x.Rotation, x.Err
		if r != nil {
			for _, rc := range r.Removed {
				removed[rc] = true
			}
			if t := r.Trusted; t != nil && t.Rule == nil {
				warnf(stderr, "%s: no .sops.yaml rule covers it, so its recipients cannot be checked: the new data key goes to the recipients the file lists (anyone can add one to the sops block)", file)
			} else if t != nil {
				for _, d := range t.Dropped {
					warnf(stderr, "%s: dropping recipient %s: neither %s nor --add-age names it (it does not get the new data key)", file, crypt.ShortRecipient(d), t.Rule)
				}
			}
			if r.Result != nil {
				reportResult(stderr, file, r.Result)
			}
		}
		var ue *secretfile.UntrustedError
		if errors.As(err, &ue) {
			err = withHint(err, "add the recipients to .sops.yaml (then 'sv updatekeys') or pass them with --add-age")
		}
		if err != nil {
			probs.add(file, err)
			return
		}
		var parts []string
		for _, g := range r.Groups {
			parts = append(parts, shortRecipientList(g))
		}
		fmt.Fprintf(stderr, "sv: %s: new data key for %s\n", file, strings.Join(parts, " | "))
		fmt.Fprintf(stderr, "sv: %s: rotated, %d value(s) re-encrypted under a new data key\n", file, r.Result.Encrypted)
	})
	if err != nil {
		return err
	}
	for _, r := range rm {
		if !removed[r] && probs.total > 0 {
			warnf(stderr, "--rm-age %s: not a recipient of any of the files", r)
		}
	}
	if probs.total == 0 {
		return errors.New("no encrypted files found")
	}
	return probs.err()
}

func statusCommand() *cli.Command {
	return &cli.Command{
		Name:      "status",
		Usage:     "show who can read which file, and what is not encrypted",
		ArgsUsage: "[PATH...]",
		Description: `For every file in PATH (files, or directories searched recursively for
.yaml, .yml, .json, .env and .ini files that are encrypted or that a
.sops.yaml rule with a path_regex covers, as sv check searches them;
default: the current directory)
prints the creation
rule that matches it, the recipients the file is encrypted to, whether all
its values are encrypted, and whether its recipients are the ones the rule
names (if not, run 'sv updatekeys'). Needs no key. --ages adds, per
value, the date of the commit that last changed it (read from git history,
as sv log does; a data-key rotation does not count as a change).

Example:
   sv status deploy/
   sv status --ages deploy/prod/values.enc.yaml
   sv status --json deploy/ | jq '.[] | select(.recipients_match | not)'`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print a JSON array, one object per file"},
			&cli.BoolFlag{Name: "ages", Usage: "show when each value last changed, from git history (JSON: values)"},
			&cli.StringFlag{Name: "config", Usage: "use `FILE` instead of the nearest .sops.yaml"},
		},
		Action: statusAction,
	}
}

func statusAction(c *cli.Context) error {
	all, err := secretfile.Status(c.Args().Slice(), c.String("config"))
	if err != nil {
		return err
	}
	if c.Bool("ages") {
		h, err := openHistory()
		if err != nil {
			return err
		}
		horizon, err := h.Shallow()
		if err != nil {
			return err
		}
		shallowNote(c.App.ErrWriter, horizon)
		if err := secretfile.ValueAges(h, all); err != nil {
			return err
		}
	}
	if c.Bool("json") {
		if all == nil {
			all = []secretfile.FileStatus{}
		}
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(all)
	}
	if len(all) == 0 {
		fmt.Fprintln(c.App.ErrWriter, "sv: no encrypted files, and none that a .sops.yaml rule with a path_regex covers")
		return nil
	}
	for i, st := range all {
		if i > 0 {
			fmt.Fprintln(c.App.Writer)
		}
		printStatus(c.App.Writer, st)
	}
	return nil
}

func printStatus(w io.Writer, st secretfile.FileStatus) {
	fmt.Fprintln(w, safetext.Terminal(st.File))
	row := func(k, v string) { fmt.Fprintf(w, "  %-12s%s\n", k+":", safetext.Terminal(v)) }
	if st.Error != "" {
		row("error", st.Error)
	}
	if st.Rule != "" {
		row("rule", st.Rule)
		row("rule keys", shortRecipientList(st.RuleRecipients))
	} else {
		row("rule", "none matches")
	}
	switch {
	case !st.Encrypted:
		row("encrypted", "no (no sops metadata): run 'sv encrypt "+st.File+"'")
		return
	case st.FullyEncrypted:
		row("encrypted", fmt.Sprintf("yes, %d value(s)", st.EncryptedValues))
	default:
		row("encrypted", fmt.Sprintf("NO: %d value(s) in plaintext: %s", len(st.PlaintextValues), secretfile.ListPaths(st.PlaintextValues, 5)))
	}
	groups := ""
	if st.KeyGroups > 1 {
		groups = fmt.Sprintf(" (%d key groups)", st.KeyGroups)
	}
	row("recipients", shortRecipientList(st.Recipients)+groups)
	switch {
	case st.Rule == "":
	case len(st.RuleRecipients) == 0:
		row("matches", "not compared: the rule names no age recipients")
	case st.RecipientsMatch:
		row("matches", "yes")
	default:
		var why []string
		if len(st.Missing) > 0 {
			why = append(why, "rule adds "+shortRecipientList(st.Missing))
		}
		if len(st.Extra) > 0 {
			why = append(why, "rule removed "+shortRecipientList(st.Extra))
		}
		why = append(why, secretfile.GroupChanges(st.Diff)...)
		row("matches", "NO: "+strings.Join(why, "; ")+": run 'sv updatekeys "+st.File+"'")
	}
	if st.Values == nil {
		return
	}
	fmt.Fprintln(w, "  last changed:")
	width := 0
	for _, v := range st.Values {
		width = max(width, len(v.Place()))
	}
	for _, v := range st.Values {
		fmt.Fprintf(w, "    %-*s  %s\n", width, v.Place(), describeAge(v, time.Now()))
	}
}

// describeAge says when a value last changed, e.g.
// "2026-01-05 (12 days ago, commit 1a2b3c4)".
func describeAge(v secretfile.ValueAge, now time.Time) string {
	changed, _ := time.Parse(time.RFC3339, v.Changed)
	var s string
	switch {
	case v.Uncommitted:
		return "not committed yet"
	case v.Unknown:
		return "unknown (no commit in the history has its current ciphertext)"
	case v.BeforeHorizon:
		s = fmt.Sprintf("before %s (where the shallow clone's history starts)", changed.Format("2006-01-02"))
	default:
		s = fmt.Sprintf("%s (%s, commit %s)", changed.Format("2006-01-02"), secretfile.DaysAgo(now.Sub(changed)), v.Commit[:min(7, len(v.Commit))])
	}
	if rot, err := time.Parse(time.RFC3339, v.Rotated); err == nil {
		s += fmt.Sprintf("; data key rotated %s", rot.Format("2006-01-02"))
	}
	return s
}

// shortRecipientList joins recipients, shortening the long ones
// (post-quantum keys are about 2,000 characters).
func shortRecipientList(rs []string) string {
	if len(rs) == 0 {
		return "none"
	}
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = crypt.ShortRecipient(r)
	}
	return strings.Join(out, ", ")
}
