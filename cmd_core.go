package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"filippo.io/age"
	"github.com/sv-secrets/sv/secretfile"
	"github.com/urfave/cli/v2"
)

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
	keys := newKeys()
	for _, file := range files {
		if err := encryptFile(c, file, keys); err != nil {
			return err
		}
	}
	return nil
}

func encryptFile(c *cli.Context, file string, keys *secretfile.Keys) error {
	res, err := encryptInput(c, file, keys)
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
	if err := replaceFile(file, res.Src, res.Out); err != nil {
		return err
	}
	reportEncrypted(c.App.ErrWriter, file, res)
	return nil
}

// encryptInput is secretfile.Encrypt with sv encrypt's flags, for sv
// encrypt and helm secrets encrypt to write; it prints the warnings.
func encryptInput(c *cli.Context, file string, keys *secretfile.Keys) (*secretfile.EncryptResult, error) {
	o := secretfile.EncryptOptions{IgnoreMAC: c.Bool("ignore-mac"), EncryptComments: c.Bool("encrypt-comments"),
		Rule: ruleOptions(c, keys), Keys: keys}
	var err error
	if o.As, err = typeOverride(c); err != nil {
		return nil, err
	}
	if o.Output, err = secretfile.ParseFormat(c.String("output-type")); err != nil {
		return nil, err
	}
	res, err := secretfile.Encrypt(file, o)
	if res != nil && res.RecipientsIgnored {
		warnf(c.App.ErrWriter, "%s is already encrypted: new values use its existing recipients, --age is ignored (change recipients with 'sv updatekeys')", file)
	}
	if err != nil {
		if res != nil {
			return nil, explainIntegrity(err, "encrypt", file, res.Src)
		}
		return nil, err
	}
	for _, w := range res.Warnings {
		warnf(c.App.ErrWriter, "%s: %s", file, w)
	}
	if len(res.Respelled) > 0 {
		warnf(c.App.ErrWriter, "%s: %d value(s) will be spelled differently after decryption (same value, different text): %s",
			file, len(res.Respelled), secretfile.ListPaths(res.Respelled, 5))
	}
	return res, nil
}

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
			&cli.StringFlag{Name: "output-type", Usage: "write `TYPE`: yaml, json, dotenv, ini or binary, converting as sops does (default: the input's type)"},
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
	if c.NArg() > 1 || secretfile.OutputDir(c.String("output"), 1) {
		return decryptManyAction(c)
	}
	if c.Bool("in-place") && c.String("extract") != "" {
		return &usageError{msg: "--extract and --in-place cannot be used together"}
	}
	src, err := secretfile.Read(file)
	if err != nil {
		return err
	}
	as, err := typeOverride(c)
	if err != nil {
		return err
	}
	format := secretfile.FormatOf(file, src, as)
	if _, err := secretfile.ParseFormat(c.String("output-type")); err != nil {
		return err
	}
	dec, err := secretfile.Decrypt(file, src, secretfile.DecryptOptions{As: format, IgnoreMAC: c.Bool("ignore-mac"), Keys: newKeys()})
	if err != nil {
		return explainIntegrity(err, "decrypt", file, src)
	}
	for _, w := range dec.Warnings {
		warnf(c.App.ErrWriter, "%s: %s", file, w)
	}
	warnRecipientDrift(c.App.ErrWriter, file, dec.Metadata)
	text, format, err := convertOutput(c, file, format, dec.Text)
	if err != nil {
		return err
	}
	if p := c.String("extract"); p != "" {
		if text, err = secretfile.Extract(format, text, p); err != nil {
			return secretfile.WithFile(file, err)
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
				if err := secretfile.CreateKeyFile(out, []byte(text)); err != nil {
					var ce *secretfile.ChangedError
					if errors.As(err, &ce) {
						return withHint(fmt.Errorf("%s already exists", out), "sv keygen never overwrites a key file; choose another name")
					}
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

// decryptManyAction is sv decrypt with several files, or with -o DIR
// (secretfile.DecryptEach decrypts them in parallel; output, warnings and
// errors come in the order the files were named):
// plaintexts to standard output as YAML documents (separated by "---"),
// into a directory (-o DIR, mode 0600 files named like the inputs) or in
// place (-i). Every file is tried; the ones that fail are named at the end
// and make the exit status non-zero.
func decryptManyAction(c *cli.Context) error {
	files := c.Args().Slice()
	if c.String("extract") != "" {
		return &usageError{msg: "--extract takes exactly one FILE", hint: "run 'sv decrypt --help' for usage"}
	}
	out := c.String("output")
	var targets []string
	if secretfile.OutputDir(out, len(files)) {
		seen := map[string]string{}
		for _, f := range files {
			t := filepath.Join(out, filepath.Base(f))
			if prev, ok := seen[t]; ok {
				return &usageError{msg: fmt.Sprintf("%s and %s would both be written to %s", prev, f, t), hint: "decrypt them in separate calls, to different directories"}
			}
			seen[t] = f
			targets = append(targets, t)
		}
	}
	as, err := typeOverride(c)
	if err != nil {
		return err
	}
	keys := newKeys()
	if _, err := keys.Keyring(); err != nil {
		return err
	}
	if targets != nil {
		if err := secretfile.MakePlaintextDir(out); err != nil {
			return err
		}
	}
	probs := &fileProblems{verb: "decrypt", total: len(files)}
	stdout, stderr := c.App.Writer, c.App.ErrWriter
	first := true
	var last byte = '\n'
	err = secretfile.DecryptEach(files, secretfile.ManyOptions{As: as, IgnoreMAC: c.Bool("ignore-mac"), Keys: keys, Drift: true}, func(i int, d secretfile.Opened) {
		file := files[i]
		err := d.Err
		var (
			text   []byte
			format secretfile.Format
		)
		if err == nil {
			text, format, err = convertOutput(c, file, secretfile.FormatOf(file, d.Src, as), d.Text)
		}
		if err != nil {
			probs.add(file, err)
			return
		}
		for _, w := range d.Warnings {
			warnf(stderr, "%s: %s", file, w)
		}
		if d.Drifted {
			warnRecipientDrift(stderr, file, d.Metadata)
		}
		switch {
		case c.Bool("in-place"):
			err = replaceFile(file, d.Src, text)
		case targets != nil:
			err = secretfile.WritePlaintext(file, targets[i], text, writeOptions())
			if errors.Is(err, secretfile.ErrOverEncrypted) {
				err = secretfile.WithFile(file, withHint(secretfile.ErrOverEncrypted, "use --in-place to replace the file with its plaintext, or another directory"))
			}
		default:
			// One YAML stream (JSON is YAML too), unless --output-type
			// asks for another format: JSON texts then follow each other
			// as a stream (jq reads it), the others as they are.
			yamlStream := format == secretfile.FormatYAML || c.String("output-type") == ""
			if sep := secretfile.DocumentSeparator(first, last, text); sep != "" && yamlStream {
				_, err = io.WriteString(stdout, sep)
			}
			if err == nil {
				_, err = stdout.Write(text)
			}
			if len(text) > 0 {
				last = text[len(text)-1]
			}
			first = false
		}
		if err != nil {
			probs.add(file, err)
		}
	})
	if err != nil {
		return err
	}
	return probs.err()
}
