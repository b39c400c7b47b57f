package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/internal/parallel"
	"github.com/sv-secrets/sv/internal/safetext"
	"github.com/sv-secrets/sv/secretfile"
	"github.com/sv-secrets/sv/sopsconfig"
	"github.com/sv-secrets/sv/yamlwalk"
	"github.com/urfave/cli/v2"
)

// keyFile is one file a key command works on.
type keyFile struct {
	path string
	// explicit is true for files named on the command line (as opposed to
	// found in a directory): problems with them are errors, not skips.
	explicit bool
}

// collectFiles expands the command line: files as given, directories
// searched as sv check searches them (secretfile.Walk: git's view in a
// work tree, skipping hidden directories and .sops.yaml in either
// spelling; files that are not encrypted are skipped later). No paths
// means the current directory.
func collectFiles(paths []string) ([]keyFile, error) {
	files, err := secretfile.Walk(paths, secretfile.Tree)
	if err != nil {
		return nil, err
	}
	out := make([]keyFile, 0, len(files))
	for _, f := range files {
		out = append(out, keyFile{path: f.Path, explicit: f.Explicit})
	}
	return out, nil
}

func flattenRecipients(groups [][]string) []string {
	var out []string
	for _, g := range groups {
		for _, r := range g {
			if !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	return out
}

// fileProblems collects per-file failures of a command that goes on with
// the other files, and turns them into one error at the end.
type fileProblems struct {
	verb   string // "update", "rotate"
	total  int
	lines  []string
	noKey  *crypt.NoKeyError
	failed []string
	errs   []error
}

// treeFile is one file of the tree as read by readTreeFile, possibly on
// another goroutine; fileProblems.count records it in order.
type treeFile struct {
	src     []byte
	counted bool // read, or named explicitly: it counts as one of the files
	err     error
}

// readTreeFile reads a file of the tree: an unencrypted file found in a
// directory is not counted; one named explicitly is an error.
func readTreeFile(f keyFile) treeFile {
	src, err := secretfile.Read(f.path)
	if err != nil {
		return treeFile{counted: true, err: err}
	}
	if !secretfile.IsEncrypted(f.path, src) {
		if f.explicit {
			return treeFile{counted: true, err: yamlwalk.ErrNotEncrypted}
		}
		return treeFile{}
	}
	return treeFile{src: src, counted: true}
}

// count records a file readTreeFile read, returning its text and whether
// the command goes on with it.
func (p *fileProblems) count(f keyFile, t treeFile) ([]byte, bool) {
	if t.counted {
		p.total++
	}
	if t.err != nil {
		p.add(f.path, t.err)
	}
	return t.src, t.counted && t.err == nil
}

func (p *fileProblems) add(file string, err error) {
	p.failed = append(p.failed, file)
	p.errs = append(p.errs, err)
	var nk *crypt.NoKeyError
	if errors.As(err, &nk) {
		p.noKey = nk
	}
	msg := err.Error()
	if fe, ok := err.(*secretfile.FileError); ok && fe.File == file {
		msg = fe.Err.Error()
	}
	p.lines = append(p.lines, file+": "+strings.TrimSuffix(msg, "."))
}

func (p *fileProblems) err() error {
	if len(p.failed) == 0 {
		return nil
	}
	if p.total == 1 {
		// One file: its own error, with its own hints and exit code.
		if _, ok := p.errs[0].(*secretfile.FileError); ok {
			return p.errs[0]
		}
		return secretfile.WithFile(p.failed[0], p.errs[0])
	}
	hints := append([]string{}, p.lines...)
	if p.noKey != nil {
		hints = append(hints, "looked for identities in: "+strings.Join(p.noKey.Places, ", "))
	}
	err := withHint(fmt.Errorf("could not %s %d of %d file(s): %s", p.verb, len(p.failed), p.total, secretfile.ListPaths(p.failed, 5)), hints...)
	if code := sameExitCode(p.errs); code != exitFailure {
		// Every file failed the same way (no key: 128, MAC: 51): say so.
		return &exitError{code: code, err: err}
	}
	return err
}

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

// keyPlan is what updatekeys will do to one file.
type keyPlan struct {
	file     string
	src      []byte
	meta     *yamlwalk.Metadata
	info     *yamlwalk.Info // src inspected, to compare the rewrite with
	spans    [][2]int       // where info's shrunk ciphertexts are in src (see keysInspect)
	target   [][]crypt.Recipient
	thresh   int
	add, rm  []string
	relayout bool // the key groups or the threshold change
}

func updatekeysAction(c *cli.Context) error {
	files, err := collectFiles(c.Args().Slice())
	if err != nil {
		return err
	}
	cfg, err := secretfile.LoadConfig(c.String("config"), false)
	if err != nil {
		return err
	}
	if cfg == nil {
		return sopsconfig.ErrNotFound
	}
	out := c.App.Writer
	var (
		plans    []*keyPlan
		upToDate int
		probs    = &fileProblems{verb: "update"}
	)
	// Files are read and planned in parallel, reported in order.
	type planned struct {
		read treeFile
		plan *keyPlan
		err  error
	}
	parallel.Ordered(len(files), 0, func(i int) planned {
		t := readTreeFile(files[i])
		if !t.counted || t.err != nil {
			return planned{read: t}
		}
		plan, err := planKeys(cfg, files[i].path, t.src)
		return planned{read: t, plan: plan, err: err}
	}, func(i int, r planned) {
		f := files[i]
		if _, ok := probs.count(f, r.read); !ok {
			return
		}
		plan, err := r.plan, r.err
		if err != nil {
			probs.add(f.path, err)
			return
		}
		if plan == nil {
			upToDate++
			fmt.Fprintf(out, "%s: up to date\n", f.path)
			return
		}
		for _, r := range plan.rm {
			fmt.Fprintf(out, "%s: remove %s\n", f.path, crypt.ShortRecipient(r))
		}
		for _, r := range plan.add {
			fmt.Fprintf(out, "%s: add %s\n", f.path, crypt.ShortRecipient(r))
		}
		if plan.relayout {
			fmt.Fprintf(out, "%s: regroup keys (%d key group(s), threshold %d)\n", f.path, len(plan.target), plan.thresh)
		}
		plans = append(plans, plan)
	})
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
		kr, err := loadKeyring()
		if err != nil {
			return err
		}
		// Applied in parallel (data keys opened and wrapped one at a time),
		// reported in order.
		keys := secretfile.SerialKeys{Keyring: kr}
		parallel.Ordered(len(plans), 0, func(i int) error {
			return applyKeys(plans[i], keys)
		}, func(i int, err error) {
			p := plans[i]
			if err != nil {
				probs.add(p.file, err)
				return
			}
			updated++
			fmt.Fprintf(c.App.ErrWriter, "sv: %s: recipients updated (%d added, %d removed)\n", p.file, len(p.add), len(p.rm))
		})
	}
	fmt.Fprintf(out, "%d file(s) updated, %d up to date\n", updated, upToDate)
	return probs.err()
}

// planKeys compares a file's recipients with its rule's; nil means the file
// is up to date.
func planKeys(cfg *sopsconfig.Config, file string, src []byte) (*keyPlan, error) {
	info, spans, err := keysInspect(file, src)
	if err != nil {
		return nil, err
	}
	meta := info.Metadata
	if meta == nil {
		return nil, yamlwalk.ErrNotEncrypted
	}
	for _, g := range meta.KeyGroups {
		if g.Other > 0 {
			return nil, errors.New("the file also has pgp, kms or vault keys, which sv does not handle: use sops updatekeys")
		}
	}
	rule, err := cfg.Match(file)
	if err != nil {
		return nil, err
	}
	target, err := secretfile.RuleRecipients(cfg, rule, newKeys())
	if err != nil {
		return nil, err
	}
	d := secretfile.CompareRule(rule, meta)
	if d.Match() {
		return nil, nil
	}
	return &keyPlan{
		file: file, src: src, meta: meta, info: info, spans: spans, target: target, thresh: d.RuleThreshold,
		add: d.Added, rm: d.Removed, relayout: d.GroupsChanged || d.ThresholdChanged,
	}, nil
}

// applyKeys opens the file's data key and writes it back wrapped for the
// plan's recipients, values untouched.
func applyKeys(p *keyPlan, keys yamlwalk.KeySource) error {
	if f := secretfile.FormatOf(p.file, p.src, secretfile.FormatAuto); f != secretfile.FormatYAML {
		out, err := secretfile.ReplaceKeys(f, p.src, p.meta, p.target, p.thresh, keys)
		if err != nil {
			return err
		}
		return replaceFile(p.file, p.src, out)
	}
	dec, err := yamlwalk.Decrypt(p.src, yamlwalk.DecryptOptions{Keys: keys})
	if err != nil {
		return err
	}
	groups, err := secretfile.WrapKeyGroups(dec.Key, p.target, p.thresh)
	if err != nil {
		return err
	}
	// The metadata as decryption read it: the plan's may hold shrunk
	// ciphertexts (keysInspect), the real MAC is the decrypted file's.
	m := *dec.Metadata
	m.KeyGroups, m.Grouped, m.ShamirThreshold = groups, len(groups) > 1, p.thresh
	out, err := yamlwalk.ReplaceMetadata(p.src, &m)
	if err != nil {
		return err
	}
	if err := sameValuesAndMAC(p.info, p.src, p.spans, out); err != nil {
		return err
	}
	return replaceFile(p.file, p.src, out)
}

// sameValuesAndMAC checks that out holds exactly the values and
// ciphertexts, mac and lastmodified of src, which a inspected (with its
// ciphertexts shrunk, at spans, when spans is not nil: then out is
// inspected shrunk too, and every ciphertext compared byte for byte).
func sameValuesAndMAC(a *yamlwalk.Info, src []byte, spans [][2]int, out []byte) error {
	text := out
	if spans != nil {
		t, outSpans, ok := yamlwalk.ShrinkCiphertexts(out)
		if !ok || len(outSpans) != len(spans) {
			return errors.New("the rewritten file changed values (please report this)")
		}
		for i, sp := range spans {
			if !bytes.Equal(src[sp[0]:sp[1]], out[outSpans[i][0]:outSpans[i][1]]) {
				return errors.New("the rewritten file changed values (please report this)")
			}
		}
		text = t
	}
	b, err := yamlwalk.Inspect(text, yamlwalk.Rules{})
	if err != nil {
		return fmt.Errorf("the rewritten file does not parse (please report this): %w", err)
	}
	if len(a.Leaves) != len(b.Leaves) {
		return errors.New("the rewritten file lost values (please report this)")
	}
	for i := range a.Leaves {
		if a.Leaves[i].Path != b.Leaves[i].Path || a.Leaves[i].Ciphertext != b.Leaves[i].Ciphertext {
			return errors.New("the rewritten file changed values (please report this)")
		}
	}
	if b.Metadata.MAC != a.Metadata.MAC || b.Metadata.LastModified != a.Metadata.LastModified {
		return errors.New("the rewritten file changed its mac (please report this)")
	}
	return nil
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
	files, err := collectFiles(c.Args().Slice())
	if err != nil {
		return err
	}
	add, rm := splitRecipients(c.StringSlice("add-age")), splitRecipients(c.StringSlice("rm-age"))
	ui := keyEnv().PluginUI
	for _, a := range add {
		if _, err := crypt.ParseRecipient(a, ui); err != nil {
			return &usageError{msg: "--add-age: " + err.Error()}
		}
	}
	kr, err := loadKeyring()
	if err != nil {
		return err
	}
	probs := &fileProblems{verb: "rotate"}
	removed := map[string]bool{}
	rotated := 0
	// Files are rotated in parallel (data keys opened and wrapped one at a
	// time); messages come in the order of the files.
	type rotation struct {
		read    treeFile
		res     *yamlwalk.Result
		err     error
		msgs    bytes.Buffer
		removed map[string]bool
	}
	keys := secretfile.SerialKeys{Keyring: kr}
	parallel.Ordered(len(files), 0, func(i int) *rotation {
		r := &rotation{read: readTreeFile(files[i]), removed: map[string]bool{}}
		if r.read.counted && r.read.err == nil {
			r.res, r.err = rotateFile(&r.msgs, files[i].path, r.read.src, keys, add, rm, r.removed)
		}
		return r
	}, func(i int, r *rotation) {
		f := files[i]
		if _, ok := probs.count(f, r.read); !ok {
			return
		}
		for k := range r.removed {
			removed[k] = true
		}
		c.App.ErrWriter.Write(r.msgs.Bytes())
		if r.err != nil {
			probs.add(f.path, r.err)
			return
		}
		rotated++
		fmt.Fprintf(c.App.ErrWriter, "sv: %s: rotated, %d value(s) re-encrypted under a new data key\n", f.path, r.res.Encrypted)
	})
	for _, r := range rm {
		if !removed[r] && probs.total > 0 {
			warnf(c.App.ErrWriter, "--rm-age %s: not a recipient of any of the files", r)
		}
	}
	if probs.total == 0 {
		return errors.New("no encrypted files found")
	}
	return probs.err()
}

// rotateFile rotates one file, writing its warnings to w and marking in
// removed the --rm-age recipients it had.
func rotateFile(w io.Writer, file string, src []byte, keys yamlwalk.KeySource, add, rm []string, removed map[string]bool) (*yamlwalk.Result, error) {
	dec, err := secretfile.DecryptAs(file, src, secretfile.FormatAuto, yamlwalk.DecryptOptions{Keys: keys, IgnoreMAC: false})
	if err != nil {
		return nil, err
	}
	meta := dec.Metadata
	groups := secretfile.FileRecipients(meta)
	for _, g := range meta.KeyGroups {
		if g.Other > 0 {
			return nil, errors.New("the file also has pgp, kms or vault keys, which sv does not handle: use sops rotate")
		}
	}
	for i := range groups {
		groups[i] = slices.DeleteFunc(groups[i], func(r string) bool {
			if slices.Contains(rm, r) {
				removed[r] = true
				return true
			}
			return false
		})
	}
	for _, a := range add {
		if !slices.Contains(flattenRecipients(groups), a) {
			groups[0] = append(groups[0], a)
		}
	}
	if groups, err = trustedRecipients(w, file, groups, add); err != nil {
		return nil, err
	}
	ui := keyEnv().PluginUI
	var (
		parsed [][]crypt.Recipient
		all    []crypt.Recipient
	)
	for i, g := range groups {
		if len(g) == 0 {
			if len(groups) == 1 {
				return nil, errors.New("removing those recipients would leave the file with none")
			}
			return nil, fmt.Errorf("removing those recipients would leave key group %d empty", i+1)
		}
		rs, err := crypt.ParseRecipients(g, ui)
		if err != nil {
			return nil, err
		}
		parsed = append(parsed, rs)
		all = append(all, rs...)
	}
	if err := crypt.CheckMix(all); err != nil {
		return nil, err
	}
	thresh := 0
	if len(parsed) > 1 {
		thresh = meta.ShamirThreshold
	}
	if f := secretfile.FormatOf(file, src, secretfile.FormatAuto); f != secretfile.FormatYAML {
		res, err := secretfile.Rotate(f, src, dec, parsed, thresh)
		if err != nil {
			return nil, err
		}
		reportResult(w, file, res)
		if err := replaceFile(file, src, res.Out); err != nil {
			return nil, err
		}
		listRecipients(w, file, groups)
		return res, nil
	}
	// The new data key is made here rather than inside Encrypt so the
	// result can be checked with it: no second unwrap (a second touch of a
	// hardware key), and a check even when the caller removed themselves.
	key, err := crypt.NewDataKey()
	if err != nil {
		return nil, err
	}
	wrapped, err := secretfile.WrapKeyGroups(key, parsed, thresh)
	if err != nil {
		return nil, err
	}
	fresh := dec.WithKey(key, &yamlwalk.Metadata{
		KeyGroups: wrapped, Grouped: len(wrapped) > 1, ShamirThreshold: thresh, Rules: meta.Rules, Version: yamlwalk.FormatVersion,
	})
	res, err := yamlwalk.Reencrypt(dec.Text, fresh, yamlwalk.EncryptOptions{Now: time.Now(), EncryptComments: secretfile.CommentsEncrypted(src)})
	if err != nil {
		return nil, err
	}
	back, err := yamlwalk.Decrypt(res.Out, yamlwalk.DecryptOptions{Keys: secretfile.FixedKey(key)})
	if err != nil {
		return nil, fmt.Errorf("the re-encrypted file does not decrypt; nothing written (please report this): %w", err)
	}
	if !bytes.Equal(back.Text, dec.Text) {
		return nil, errors.New("the re-encrypted file would not decrypt to the same text; nothing written (please report this)")
	}
	reportResult(w, file, res)
	if err := replaceFile(file, src, res.Out); err != nil {
		return nil, err
	}
	listRecipients(w, file, groups)
	return res, nil
}

// keysInspect inspects a file for updatekeys. A YAML file is inspected
// with its ciphertexts shrunk to placeholders (yamlwalk.ShrinkCiphertexts,
// as decryption parses it: a third less work for the plan, which needs
// only the sops block's recipients); spans says where the real ciphertexts
// are, for sameValuesAndMAC. Its Metadata.MAC is then a placeholder:
// nothing may write it back.
func keysInspect(file string, src []byte) (*yamlwalk.Info, [][2]int, error) {
	if secretfile.FormatOf(file, src, secretfile.FormatAuto) == secretfile.FormatYAML {
		if text, spans, ok := yamlwalk.ShrinkCiphertexts(src); ok && spans != nil {
			info, err := yamlwalk.Inspect(text, yamlwalk.Rules{})
			return info, spans, err
		}
	}
	info, err := secretfile.Inspect(file, src, yamlwalk.Rules{})
	return info, nil, err
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

// fileStatus is one file in sv status --json.
type fileStatus struct {
	File string `json:"file"`
	// Encrypted is true when the file has sops metadata.
	Encrypted bool `json:"encrypted"`
	// FullyEncrypted is true when every value the file's rules select is
	// encrypted.
	FullyEncrypted  bool     `json:"fully_encrypted"`
	EncryptedValues int      `json:"encrypted_values"`
	PlaintextValues []string `json:"plaintext_values"`
	Recipients      []string `json:"recipients"`
	KeyGroups       int      `json:"key_groups,omitempty"`
	Rule            string   `json:"rule,omitempty"`
	RuleRecipients  []string `json:"rule_recipients"`
	// RecipientsMatch is true when the file is encrypted to exactly the
	// rule's recipients (in the rule's key groups).
	RecipientsMatch bool     `json:"recipients_match"`
	Missing         []string `json:"missing_recipients"`
	Extra           []string `json:"extra_recipients"`
	Error           string   `json:"error,omitempty"`
	// Values are the values' ages, with --ages (see cmd_log.go).
	Values []valueAge `json:"values,omitempty"`
}

func statusAction(c *cli.Context) error {
	files, err := collectFiles(c.Args().Slice())
	if err != nil {
		return err
	}
	cfg, err := secretfile.LoadConfig(c.String("config"), false)
	if err != nil {
		return err
	}
	var all []fileStatus
	type found struct {
		st fileStatus
		ok bool
	}
	parallel.Ordered(len(files), 0, func(i int) found {
		st, ok := statusOf(cfg, files[i])
		return found{st, ok}
	}, func(_ int, r found) {
		if r.ok {
			all = append(all, r.st)
		}
	})
	if c.Bool("ages") {
		if err := addValueAges(c.App.ErrWriter, all); err != nil {
			return err
		}
	}
	if c.Bool("json") {
		if all == nil {
			all = []fileStatus{}
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
		printValueAges(c.App.Writer, st)
	}
	return nil
}

// statusOf describes one file; ok is false for a found file that is
// neither encrypted nor covered by a specific rule.
func statusOf(cfg *sopsconfig.Config, f keyFile) (fileStatus, bool) {
	st := fileStatus{File: f.path, PlaintextValues: []string{}, Recipients: []string{}, RuleRecipients: []string{}, Missing: []string{}, Extra: []string{}}
	src, err := os.ReadFile(f.path)
	if err != nil {
		st.Error = secretfile.PathCause(err).Error()
		return st, true
	}
	var rule *sopsconfig.Rule
	var ruleErr error
	if cfg != nil {
		rule, ruleErr = cfg.Match(f.path)
	} else {
		ruleErr = sopsconfig.ErrNotFound
	}
	encrypted := secretfile.IsEncrypted(f.path, src)
	if !encrypted && !f.explicit && (rule == nil || rule.PathRegex == "") {
		return st, false
	}
	var rules yamlwalk.Rules
	if rule != nil {
		rules = yamlwalk.Rules{
			UnencryptedSuffix: rule.UnencryptedSuffix, EncryptedSuffix: rule.EncryptedSuffix,
			UnencryptedRegex: rule.UnencryptedRegex, EncryptedRegex: rule.EncryptedRegex,
			UnencryptedCommentRegex: rule.UnencryptedCommentRegex, EncryptedCommentRegex: rule.EncryptedCommentRegex,
			MACOnlyEncrypted: rule.MACOnlyEncrypted,
		}
	}
	info, err := secretfile.Inspect(f.path, src, rules)
	if err != nil {
		st.Error = err.Error()
		return st, true
	}
	st.Encrypted = info.Metadata != nil
	for _, l := range info.Leaves {
		if l.Encrypted {
			st.EncryptedValues++
		}
		if l.Plaintext() {
			st.PlaintextValues = append(st.PlaintextValues, l.Path)
		}
	}
	st.FullyEncrypted = st.Encrypted && len(st.PlaintextValues) == 0
	var cur [][]string
	if st.Encrypted {
		cur = secretfile.FileRecipients(info.Metadata)
		st.Recipients = flattenRecipients(cur)
		st.KeyGroups = len(cur)
	}
	if ruleErr != nil {
		st.Rule = ""
		var nr *sopsconfig.ErrNoRule
		if st.Error == "" && !errors.Is(ruleErr, sopsconfig.ErrNotFound) && !errors.As(ruleErr, &nr) {
			st.Error = ruleErr.Error()
		}
		return st, true
	}
	st.Rule = rule.String()
	st.RuleRecipients = flattenRecipients(rule.KeyGroups)
	if st.Encrypted {
		d := secretfile.CompareRule(rule, info.Metadata)
		st.RecipientsMatch = d.Match()
		st.Missing = append(st.Missing, d.Added...)
		st.Extra = append(st.Extra, d.Removed...)
	}
	return st, true
}

func printStatus(w io.Writer, st fileStatus) {
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
		if len(why) == 0 {
			why = append(why, "key groups differ")
		}
		row("matches", "NO: "+strings.Join(why, "; ")+": run 'sv updatekeys "+st.File+"'")
	}
}

// shortList joins recipients, shortening the long ones (post-quantum keys
// are about 2,000 characters).
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
