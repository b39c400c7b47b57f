package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/sopsconfig"
	"github.com/sv-secrets/sv/yamlwalk"
	"github.com/urfave/cli/v2"
)

var ruleFlags = []cli.Flag{
	&cli.StringFlag{Name: "unencrypted-suffix", Usage: "leave values whose key (or an ancestor's) ends with `SUFFIX` in plaintext (default _unencrypted)"},
	&cli.StringFlag{Name: "encrypted-suffix", Usage: "encrypt only values whose key (or an ancestor's) ends with `SUFFIX`"},
	&cli.StringFlag{Name: "unencrypted-regex", Usage: "leave values whose key (or an ancestor's) matches `REGEX` in plaintext"},
	&cli.StringFlag{Name: "encrypted-regex", Usage: "encrypt only values whose key (or an ancestor's) matches `REGEX`"},
	&cli.StringFlag{Name: "unencrypted-comment-regex", Usage: "leave values after a comment matching `REGEX` in plaintext"},
	&cli.StringFlag{Name: "encrypted-comment-regex", Usage: "encrypt only values after a comment matching `REGEX`"},
	&cli.BoolFlag{Name: "mac-only-encrypted", Usage: "compute the MAC over encrypted values only, so plaintext values can be edited freely"},
}

func encryptCommand() *cli.Command {
	return &cli.Command{
		Name:      "encrypt",
		Usage:     "encrypt the values of YAML, JSON, dotenv and INI files (or whole binary files) in place",
		ArgsUsage: "FILE...",
		Description: `Encrypts every leaf value the rules select, in place, leaving keys,
comments, blank lines, indentation and order untouched.

Recipients come from --age, else SOPS_AGE_RECIPIENTS, else the first
creation rule of the nearest .sops.yaml whose path_regex matches the file.

On a file that is already encrypted, only values still in plaintext are
encrypted, under the file's existing data key (an identity must be able to
open it); existing ciphertexts stay byte-identical. A file with nothing to
encrypt is not rewritten.

The format comes from the extension as with sops (.yaml/.yml, .json, .env,
.ini; any other file is binary, unless it is a YAML mapping, which stays
YAML) or from --input-type. See docs/formats.md.

Example:
   sv encrypt --age age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p values.prod.yaml`,
		Flags: append([]cli.Flag{
			&cli.StringSliceFlag{Name: "age", Aliases: []string{"a"}, Usage: "encrypt to `RECIPIENT` (repeatable, or comma-separated)"},
			&cli.StringFlag{Name: "config", Usage: "use `FILE` instead of the nearest .sops.yaml"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the result to `FILE` instead of in place (one input only)"},
			&cli.BoolFlag{Name: "ignore-mac", Usage: "add values to an encrypted file even if its MAC does not verify"},
			&cli.BoolFlag{Name: "encrypt-comments", Usage: "encrypt comments too, as sops does (default: comments stay readable; also sv_encrypt_comments: true in a creation rule)"},
		}, append(ruleFlags, typeFlags...)...),
		Action: encryptAction,
	}
}

func encryptAction(c *cli.Context) error {
	files := c.Args().Slice()
	if len(files) == 0 {
		return &usageError{msg: "encrypt needs at least one FILE", hint: "run 'sv encrypt --help' for usage"}
	}
	if c.String("output") != "" && len(files) != 1 {
		return &usageError{msg: "--output takes exactly one input FILE"}
	}
	var kr *crypt.Keyring
	keys := lazyKeys{load: func() (*crypt.Keyring, error) {
		if kr == nil {
			var err error
			kr, err = loadKeyring()
			return kr, err
		}
		return kr, nil
	}}
	for _, file := range files {
		if err := encryptFile(c, file, keys); err != nil {
			return err
		}
	}
	return nil
}

// lazyKeys loads the keyring only when a file needs it.
type lazyKeys struct {
	load func() (*crypt.Keyring, error)
}

func (l lazyKeys) DataKey(groups []crypt.KeyGroup, threshold int) ([]byte, error) {
	kr, err := l.load()
	if err != nil {
		return nil, err
	}
	return kr.DataKey(groups, threshold)
}

func encryptFile(c *cli.Context, file string, keys yamlwalk.KeySource) error {
	src, res, added, err := encryptInput(c, file, keys)
	if err != nil {
		return err
	}
	out := c.String("output")
	if !res.Changed {
		if out == "" {
			fmt.Fprintf(c.App.ErrWriter, "sv: %s: nothing to encrypt, file unchanged\n", file)
			return nil
		}
	}
	if out != "" {
		return writeOutput(c.App.Writer, out, res.Out, 0o644, true)
	}
	if err := replaceFile(file, src, res.Out); err != nil {
		return err
	}
	if len(added) > 0 {
		warnf(c.App.ErrWriter, "%s: %d value(s) were in plaintext in the encrypted file and are now encrypted and covered by its MAC: %s (if you did not add them, someone without the key did: git log -p %s)",
			file, len(added), strings.Join(added, ", "), file)
	}
	fmt.Fprintf(c.App.ErrWriter, "sv: %s: encrypted %d value(s)\n", file, res.Encrypted)
	return nil
}

// encryptInput encrypts file as sv encrypt does, for sv encrypt and helm
// secrets encrypt to write: its format; recipients, selection and
// sv_encrypt_comments from flags or its creation rule (--encrypt-comments
// too); values still in plaintext in an encrypted file added under its
// data key (returned as added). Warnings are printed; src is what was
// read.
func encryptInput(c *cli.Context, file string, keys yamlwalk.KeySource) (src []byte, res *yamlwalk.Result, added []string, err error) {
	if src, err = readInput(file); err != nil {
		return nil, nil, nil, err
	}
	as, err := typeOverride(c)
	if err != nil {
		return nil, nil, nil, err
	}
	format := formatOf(file, src, as)
	if err := checkOutputType(c, format); err != nil {
		return nil, nil, nil, err
	}
	opt := yamlwalk.EncryptOptions{Keys: keys, IgnoreMAC: c.Bool("ignore-mac"), Now: time.Now()}
	if encryptedAs(format, src) {
		added, _ = valuePaths(src)
		if c.IsSet("age") {
			warnf(c.App.ErrWriter, "%s is already encrypted: new values use its existing recipients, --age is ignored (change recipients with 'sv updatekeys')", file)
		}
		opt.EncryptComments = c.Bool("encrypt-comments")
	} else {
		rule, groups, threshold, comments, err := creationRuleFull(c, file)
		if err != nil {
			return nil, nil, nil, err
		}
		opt.Rules, opt.KeyGroups, opt.ShamirThreshold = rule, groups, threshold
		opt.EncryptComments = comments || c.Bool("encrypt-comments")
	}
	if res, err = encryptFormat(format, src, opt); err != nil {
		return nil, nil, nil, fileError(file, explainIntegrity(err, "encrypt", file, src))
	}
	for _, w := range res.Warnings {
		warnf(c.App.ErrWriter, "%s: %s", file, w)
	}
	if len(res.Respelled) > 0 {
		warnf(c.App.ErrWriter, "%s: %d value(s) will be spelled differently after decryption (same value, different text): %s",
			file, len(res.Respelled), listPaths(res.Respelled, 5))
	}
	return src, res, added, nil
}

func listPaths(paths []string, max int) string {
	if len(paths) <= max {
		return strings.Join(paths, ", ")
	}
	return strings.Join(paths[:max], ", ") + fmt.Sprintf(" and %d more", len(paths)-max)
}

// creationRuleFull resolves recipients and selection rules for a new file:
// flags first, then SOPS_AGE_RECIPIENTS, then .sops.yaml. Selection flags
// override the rule's. It also says whether the rule asks for comments to
// be encrypted (sv_encrypt_comments).
func creationRuleFull(c *cli.Context, file string) (rules yamlwalk.Rules, _ [][]crypt.Recipient, threshold int, encryptComments bool, _ error) {
	var groups [][]string
	flagRecipients := c.StringSlice("age")
	envRecipients := os.Getenv("SOPS_AGE_RECIPIENTS")
	needConfig := len(flagRecipients) == 0 && envRecipients == ""
	cfgPath, err := sopsconfig.Find(".", c.String("config"))
	if err != nil && (needConfig || !errors.Is(err, sopsconfig.ErrNotFound)) {
		return rules, nil, 0, false, err
	}
	if err == nil {
		cfg, err := sopsconfig.Load(cfgPath)
		if err != nil {
			return rules, nil, 0, false, err
		}
		rule, err := cfg.Match(file)
		if err != nil && needConfig {
			return rules, nil, 0, false, err
		}
		if rule != nil {
			rules = yamlwalk.Rules{
				UnencryptedSuffix: rule.UnencryptedSuffix, EncryptedSuffix: rule.EncryptedSuffix,
				UnencryptedRegex: rule.UnencryptedRegex, EncryptedRegex: rule.EncryptedRegex,
				UnencryptedCommentRegex: rule.UnencryptedCommentRegex, EncryptedCommentRegex: rule.EncryptedCommentRegex,
				MACOnlyEncrypted: rule.MACOnlyEncrypted,
			}
			groups, threshold, encryptComments = rule.KeyGroups, rule.ShamirThreshold, rule.EncryptComments
			if needConfig && len(rule.Recipients()) == 0 {
				return rules, nil, 0, false, fmt.Errorf("%s in %s names no age recipients", rule, cfgPath)
			}
		}
	}
	switch {
	case len(flagRecipients) > 0:
		groups, threshold = [][]string{flagRecipients}, 0
	case envRecipients != "":
		groups, threshold = [][]string{{envRecipients}}, 0
	}
	if overrideRules(c, &rules) {
		// A selection flag replaces the rule's selection entirely.
	}
	var parsed [][]crypt.Recipient
	var all []crypt.Recipient
	for _, g := range groups {
		rs, err := crypt.ParseRecipients(g, keyEnv().PluginUI)
		if err != nil {
			return rules, nil, 0, false, err
		}
		parsed = append(parsed, rs)
		all = append(all, rs...)
	}
	if err := crypt.CheckMix(all); err != nil {
		return rules, nil, 0, false, err
	}
	if len(all) == 0 {
		return rules, nil, 0, false, errors.New("no recipients to encrypt to")
	}
	return rules, parsed, threshold, encryptComments, nil
}

func overrideRules(c *cli.Context, r *yamlwalk.Rules) bool {
	names := []string{"unencrypted-suffix", "encrypted-suffix", "unencrypted-regex", "encrypted-regex", "unencrypted-comment-regex", "encrypted-comment-regex"}
	set := false
	for _, n := range names {
		if c.IsSet(n) {
			set = true
		}
	}
	if set {
		mac := r.MACOnlyEncrypted
		*r = yamlwalk.Rules{
			UnencryptedSuffix: c.String("unencrypted-suffix"), EncryptedSuffix: c.String("encrypted-suffix"),
			UnencryptedRegex: c.String("unencrypted-regex"), EncryptedRegex: c.String("encrypted-regex"),
			UnencryptedCommentRegex: c.String("unencrypted-comment-regex"), EncryptedCommentRegex: c.String("encrypted-comment-regex"),
			MACOnlyEncrypted: mac,
		}
	}
	if c.IsSet("mac-only-encrypted") {
		r.MACOnlyEncrypted = c.Bool("mac-only-encrypted")
		set = true
	}
	return set
}

// fileError prefixes err with the file name.
func fileError(file string, err error) error {
	return &fileErr{file: file, err: err}
}

type fileErr struct {
	file string
	err  error
}

func (e *fileErr) Error() string { return e.file + ": " + e.err.Error() }
func (e *fileErr) Unwrap() error { return e.err }

func decryptCommand() *cli.Command {
	return &cli.Command{
		Name:      "decrypt",
		Usage:     "print the plaintext of encrypted files",
		ArgsUsage: "FILE...",
		Description: `Decrypts FILE and prints the plaintext, exactly as it was before
encryption, to standard output. Every value's tag and the file's MAC are
verified first; nothing is printed if any check fails.

With several files (decrypted in parallel, identities loaded once) the
plaintexts follow each other in the order given, as YAML documents
separated by "---" (ready for 'kubectl apply -f -'); -o DIR writes each
one to DIR/NAME instead (mode 0600, DIR created if missing), and
--in-place replaces each file. A file that fails is named at the end and
does not stop the others; the exit status is then non-zero.

Identities come from SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD,
SOPS_AGE_SSH_PRIVATE_KEY_FILE, ~/.ssh/id_ed25519, ~/.ssh/id_rsa and
~/.config/sops/age/keys.txt, as with sops.

Example:
   SOPS_AGE_KEY_FILE=key.txt sv decrypt values.prod.yaml
   sv decrypt -o values.plain.yaml values.prod.yaml
   sv decrypt --extract db.password values.prod.yaml
   sv decrypt deploy/prod/*.yaml | kubectl apply -f -
   sv decrypt -o /dev/shm/plain deploy/prod/*.yaml`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the plaintext to `FILE` (mode 0600) instead of standard output; with several files (or an existing directory) a directory to write each one into"},
			&cli.BoolFlag{Name: "in-place", Aliases: []string{"i"}, Usage: "replace each FILE with its plaintext"},
			&cli.BoolFlag{Name: "ignore-mac", Usage: "do not check the MAC (recovery only; every value's own tag is still checked)"},
			&cli.StringFlag{Name: "extract", Usage: "print only the value at `PATH`: db.password, hosts[0] or sops's [\"db\"][\"password\"] (a string without a final line break, a mapping or list as YAML; in a JSON file as JSON)"},
			&cli.StringFlag{Name: "input-type", Usage: "read the file as `TYPE`: yaml, json, dotenv, ini or binary (default: by extension, as sops)"},
			&cli.StringFlag{Name: "output-type", Usage: "write `TYPE`; sv does not convert, so it must be the input's type"},
		},
		Action: decryptAction,
	}
}

func decryptAction(c *cli.Context) error {
	if c.NArg() == 0 {
		return &usageError{msg: "decrypt needs at least one FILE", hint: "run 'sv decrypt --help' for usage"}
	}
	file := c.Args().First()
	if c.Bool("in-place") && c.String("output") != "" {
		return &usageError{msg: "--in-place and --output cannot be used together"}
	}
	if c.NArg() > 1 || outputDir(c.String("output"), 1) {
		return decryptManyAction(c)
	}
	if c.Bool("in-place") && c.String("extract") != "" {
		return &usageError{msg: "--extract and --in-place cannot be used together"}
	}
	src, err := readInput(file)
	if err != nil {
		return err
	}
	as, err := typeOverride(c)
	if err != nil {
		return err
	}
	format := formatOf(file, src, as)
	if err := checkOutputType(c, format); err != nil {
		return err
	}
	dec, err := decryptBytesAs(file, src, c.Bool("ignore-mac"), format)
	if err != nil {
		return explainIntegrity(err, "decrypt", file, src)
	}
	for _, w := range dec.Warnings {
		warnf(c.App.ErrWriter, "%s: %s", file, w)
	}
	warnRecipientDrift(c.App.ErrWriter, file, dec.Metadata)
	text := dec.Text
	if p := c.String("extract"); p != "" {
		if text, err = extractFormat(format, text, p); err != nil {
			return fileError(file, err)
		}
	}
	switch {
	case c.Bool("in-place"):
		return replaceFile(file, src, text)
	case c.String("output") != "":
		return writeOutput(c.App.Writer, c.String("output"), text, 0o600, false)
	}
	_, err = c.App.Writer.Write(text)
	return err
}

// decryptPath reads and decrypts one file with the process's identities.
func decryptPath(file string, ignoreMAC bool) (*yamlwalk.Decrypted, error) {
	src, err := readInput(file)
	if err != nil {
		return nil, err
	}
	return decryptBytes(file, src, ignoreMAC)
}

// decryptBytes decrypts src (read from file, which names it in errors),
// in the format its name and content say (see formats.go).
func decryptBytes(file string, src []byte, ignoreMAC bool) (*yamlwalk.Decrypted, error) {
	return decryptBytesAs(file, src, ignoreMAC, formatAuto)
}

// decryptBytesAs is decryptBytes with --input-type.
func decryptBytesAs(file string, src []byte, ignoreMAC bool, as fileFormat) (*yamlwalk.Decrypted, error) {
	kr, err := loadKeyring()
	if err != nil {
		return nil, fileError(file, err)
	}
	dec, err := decryptFile(file, src, kr, ignoreMAC, as)
	if err != nil {
		return nil, fileError(file, err)
	}
	return dec, nil
}

func keygenCommand() *cli.Command {
	return &cli.Command{
		Name:  "keygen",
		Usage: "generate an age identity",
		Description: `Generates a new age identity and prints it (or writes it to -o FILE with
mode 0600, creating missing directories with mode 0700; an existing file
is never overwritten). The recipient (public
key) is printed on standard error, like age-keygen.

Example:
   sv keygen -o ~/.config/sops/age/keys.txt
   sv keygen --pq -o prod.key`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the identity to `FILE`"},
			&cli.BoolFlag{Name: "pq", Usage: "generate a post-quantum hybrid identity (age1pq1… recipient)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return &usageError{msg: "keygen takes no arguments", hint: "run 'sv keygen --help' for usage"}
			}
			var (
				idStr, recip string
			)
			if c.Bool("pq") {
				id, err := age.GenerateHybridIdentity()
				if err != nil {
					return err
				}
				idStr, recip = id.String(), id.Recipient().String()
			} else {
				id, err := age.GenerateX25519Identity()
				if err != nil {
					return err
				}
				idStr, recip = id.String(), id.Recipient().String()
			}
			text := fmt.Sprintf("# created: %s\n# public key: %s\n%s\n", time.Now().UTC().Format(time.RFC3339), recip, idStr)
			if out := c.String("output"); out != "" {
				// Create missing parent directories private to the user, like
				// age-keygen users expect of ~/.config/sops/age.
				if err := os.MkdirAll(filepath.Dir(out), 0o700); err != nil {
					return err
				}
				f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
				if err != nil {
					if os.IsExist(err) {
						return withHint(fmt.Errorf("%s already exists", out), "sv keygen never overwrites a key file; choose another name")
					}
					return err
				}
				if _, err := f.WriteString(text); err != nil {
					f.Close()
					return err
				}
				if err := f.Close(); err != nil {
					return err
				}
			} else {
				fmt.Fprint(c.App.Writer, text)
			}
			fmt.Fprintf(c.App.ErrWriter, "Public key: %s\n", recip)
			return nil
		},
	}
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print sv's version",
		Description: `Prints sv's version, the SOPS format version its files carry, and the
version its Helm plugins report (helm-secrets 4.x compatible, with sv's
version as build metadata). 'sv --version' and 'sv -v' print the same.

Example:
   sv version`,
		Action: func(c *cli.Context) error {
			printVersion(c.App.Writer)
			return nil
		},
	}
}
