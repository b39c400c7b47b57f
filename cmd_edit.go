package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/shlex"
	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/editor"
	"github.com/sv-secrets/sv/secretfile"
	"github.com/sv-secrets/sv/yamlwalk"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"
)

func editCommand() *cli.Command {
	return &cli.Command{
		Name:      "edit",
		Usage:     "edit an encrypted file in your editor",
		ArgsUsage: "FILE",
		Description: `Opens the plaintext of FILE in $SOPS_EDITOR, else $EDITOR, else vi (the
variable is split like a shell would, so EDITOR="code --wait" works). The
plaintext lives in a private temporary directory (mode 0700, on /dev/shm
where it exists) that is removed when the edit ends, however it ends
(including an error, SIGINT or SIGTERM).

When the editor exits, the text is re-encrypted under the file's data key:
values you did not change keep their exact ciphertext, so git diff shows
only the values you changed (plus the sops mac and lastmodified lines). If
nothing changed, the file is not touched. If the YAML is invalid, sv shows
the error and offers to reopen the editor (without a terminal it keeps the
original and fails). If the editor exits with a non-zero status (vi: :cq),
nothing is saved.

A FILE that does not exist is created: the editor starts empty and the
file is encrypted for the recipients of the .sops.yaml creation rule that
matches it (or --age).

Example:
   sv edit values.prod.yaml
   EDITOR="code --wait" sv edit values.prod.yaml
   sv edit --age age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p new.yaml`,
		Flags: append([]cli.Flag{
			&cli.StringSliceFlag{Name: "age", Aliases: []string{"a"}, Usage: "for a new file: encrypt to `RECIPIENT` (repeatable, or comma-separated)"},
			&cli.StringFlag{Name: "config", Usage: "use `FILE` instead of the nearest .sops.yaml"},
			&cli.BoolFlag{Name: "ignore-mac", Usage: "open the file even if its MAC does not verify (saving writes a new MAC)"},
			&cli.BoolFlag{Name: "encrypt-comments", Usage: "for a new file: encrypt comments too, as sops does"},
		}, ruleFlags...),
		Action: editAction,
	}
}

// editorCommand is the editor command line, split into words as sops
// splits it (github.com/google/shlex).
func editorCommand() ([]string, error) {
	for _, v := range []string{"SOPS_EDITOR", "EDITOR"} {
		if s := os.Getenv(v); strings.TrimSpace(s) != "" {
			argv, err := shlex.Split(s)
			if err != nil {
				return nil, fmt.Errorf("%s: cannot split it into words: %w", v, err)
			}
			if len(argv) == 0 {
				return nil, fmt.Errorf("%s is empty after splitting it like a shell", v)
			}
			return argv, nil
		}
	}
	return []string{"vi"}, nil
}

func editAction(c *cli.Context) error {
	if c.NArg() != 1 {
		return &usageError{msg: "edit needs exactly one FILE", hint: "run 'sv edit --help' for usage"}
	}
	file := c.Args().First()
	argv, err := editorCommand()
	if err != nil {
		return err
	}
	stderr := c.App.ErrWriter
	var (
		src     []byte
		dec     *yamlwalk.Decrypted
		newFile bool
		create  yamlwalk.EncryptOptions
		start   []byte // the text the editor opens
	)
	src, err = os.ReadFile(file)
	switch {
	case err == nil:
		if !secretfile.IsEncrypted(file, src) {
			return withHint(secretfile.WithFile(file, yamlwalk.ErrNotEncrypted), "sv edit opens encrypted files; encrypt this one first with 'sv encrypt "+file+"'")
		}
		if dec, err = secretfile.Decrypt(file, src, secretfile.DecryptOptions{IgnoreMAC: c.Bool("ignore-mac"), Keys: newKeys()}); err != nil {
			return err
		}
		for _, w := range dec.Warnings {
			warnf(stderr, "%s: %s", file, w)
		}
		start = dec.Text
	case errors.Is(err, fs.ErrNotExist):
		newFile = true
		if fi, err := os.Stat(filepath.Dir(file)); err != nil || !fi.IsDir() {
			return fmt.Errorf("%s: the directory %s does not exist", file, filepath.Dir(file))
		}
		plan, err := secretfile.ResolveRule(file, ruleOptions(c, newKeys()))
		if err != nil {
			return err
		}
		create = yamlwalk.EncryptOptions{Rules: plan.Rules, KeyGroups: plan.KeyGroups, ShamirThreshold: plan.Threshold,
			EncryptComments: plan.EncryptComments || c.Bool("encrypt-comments")}
	default:
		return fmt.Errorf("%s: %w", file, secretfile.PathCause(err))
	}

	sess, err := editor.New(file, start)
	if err != nil {
		return err
	}
	defer sess.Close()
	for {
		if err := sess.Run(argv, c.App.Reader, c.App.Writer, stderr); err != nil {
			return withHint(secretfile.WithFile(file, err), unchangedHint(file, newFile))
		}
		edited, err := sess.Read()
		if err != nil {
			return withHint(secretfile.WithFile(file, err), unchangedHint(file, newFile))
		}
		if bytes.Equal(edited, start) || newFile && len(bytes.TrimSpace(edited)) == 0 {
			if newFile {
				fmt.Fprintf(stderr, "sv: %s: nothing written, file not created\n", file)
			} else {
				fmt.Fprintf(stderr, "sv: %s: no changes, file unchanged\n", file)
			}
			return nil
		}
		var res *yamlwalk.Result
		if newFile {
			create.Now = time.Now()
			res, err = secretfile.FormatOf(file, edited, secretfile.FormatAuto).Encrypt(edited, create)
		} else {
			res, err = secretfile.Reencrypt(file, src, edited, dec, yamlwalk.EncryptOptions{Now: time.Now(), EncryptComments: secretfile.CommentsEncrypted(src)})
		}
		if err != nil {
			if isContentError(err) && isTerminalReader(c.App.Reader) {
				reportError(stderr, secretfile.WithFile(file, err))
				if askReopen(c.App.Reader, stderr) {
					continue
				}
			}
			return withHint(secretfile.WithFile(file, err), unchangedHint(file, newFile))
		}
		reportResult(stderr, file, res)
		if newFile {
			if _, err := os.Lstat(file); err == nil {
				return withHint(fmt.Errorf("%s was created by someone else while you were editing; not overwritten", file), "your changes were not saved")
			}
			if err := secretfile.Create(file, res.Out, 0o644); err != nil {
				return withHint(err, "your changes were not saved")
			}
			fmt.Fprintf(stderr, "sv: %s: created, %d value(s) encrypted\n", file, res.Encrypted)
			return nil
		}
		n, err := writeEdited(file, src, yamlwalk.KeepMetadataText(src, res.Out))
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "sv: %s: saved, %d value(s) with new ciphertext\n", file, n)
		return nil
	}
}

func unchangedHint(file string, newFile bool) string {
	if newFile {
		return "your changes were not saved; " + file + " was not created"
	}
	return "your changes were not saved; " + file + " is unchanged"
}

// isContentError reports errors in what the user wrote (as opposed to keys
// or I/O), which another round in the editor can fix.
func isContentError(err error) bool {
	var (
		se *yamlwalk.SyntaxError
		ve *yamlwalk.ValueError
		me *yamlwalk.MetadataError
	)
	return errors.As(err, &se) || errors.As(err, &ve) || errors.As(err, &me) || errors.Is(err, yamlwalk.ErrEmpty)
}

// interactive reports whether r is a terminal a question can be asked on.
func isTerminalReader(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// askReopen asks whether to go back to the editor; the default is yes.
func askReopen(r io.Reader, w io.Writer) bool {
	fmt.Fprint(w, "sv: press Enter to reopen the editor and fix it, or type n and Enter to discard your changes: ")
	line, err := readTermLine(r)
	if err != nil {
		fmt.Fprintln(w)
		return false
	}
	a := strings.ToLower(strings.TrimSpace(line))
	return a == "" || a == "y" || a == "yes"
}

// readLine reads one line byte by byte, so nothing after it is consumed
// from a terminal the editor reads next.
func readTermLine(r io.Reader) (string, error) {
	var b []byte
	one := make([]byte, 1)
	for {
		n, err := r.Read(one)
		if n == 1 {
			if one[0] == '\n' {
				return string(b), nil
			}
			b = append(b, one[0])
		}
		if err != nil {
			if err == io.EOF && len(b) > 0 {
				return string(b), nil
			}
			return string(b), err
		}
	}
}

func reportResult(w io.Writer, file string, res *yamlwalk.Result) {
	for _, warn := range res.Warnings {
		warnf(w, "%s: %s", file, warn)
	}
	if len(res.Respelled) > 0 {
		warnf(w, "%s: %d value(s) will be spelled differently after decryption (same value, different text): %s",
			file, len(res.Respelled), secretfile.ListPaths(res.Respelled, 5))
	}
}

// writeEdited replaces file (read as src) with out, unless the file
// changed on disk meanwhile. It returns how many values got new
// ciphertext.
func writeEdited(file string, src, out []byte) (int, error) {
	if err := replaceFile(file, src, out); err != nil {
		var ce *secretfile.ChangedError
		if errors.As(err, &ce) {
			return 0, withHint(fmt.Errorf("%s changed on disk while sv had it open; not overwritten", file), "your changes were not saved; run the command again")
		}
		return 0, err
	}
	return newCiphertexts(file, src, out), nil
}

// newCiphertexts counts the encrypted values of out whose ciphertext is not
// in src.
func newCiphertexts(file string, src, out []byte) int {
	old, err := secretfile.Inspect(file, src, yamlwalk.Rules{})
	if err != nil {
		return 0
	}
	seen := map[string]bool{}
	for _, l := range old.Leaves {
		if l.Encrypted {
			seen[l.Ciphertext] = true
		}
	}
	cur, err := secretfile.Inspect(file, out, yamlwalk.Rules{})
	if err != nil {
		return 0
	}
	n := 0
	for _, l := range cur.Leaves {
		if l.Encrypted && !seen[l.Ciphertext] {
			n++
		}
	}
	return n
}

func setCommand() *cli.Command {
	return &cli.Command{
		Name:      "set",
		Usage:     "set one value of an encrypted file",
		ArgsUsage: "FILE PATH VALUE|-",
		Description: `Sets the value at PATH (dotted, db.password or hosts[0].name, or sops's
["db"]["password"]) to VALUE, creating missing mapping keys. Only that
value gets new ciphertext; every other byte of the file stays as it was
apart from the sops mac and lastmodified. Setting a value to what it
already is leaves the file untouched.

With VALUE "-" the value is read from standard input: use that for
secrets, since command-line arguments are visible to other users in ps
and end up in shell history. On a terminal sv asks for the value without
echoing it. A value read from a pipe or file loses its final newline if
it is its only one (so "echo secret |" works); multi-line input is kept
as it is.

Without --type, a value that replaces an int, float or bool keeps that
type if it reads as one (sv says so on standard error); other values are
strings. --type json takes a typed JSON value, as sops set does: 5432 is
an int, 0.5 a float, true a bool, '"5432"' a string.

Example:
   printf %s "$DB_PASSWORD" | sv set values.prod.yaml db.password -
   sv set values.prod.yaml db.port 5432        # stays an int
   sv set --type json values.prod.yaml db.port '"5432"'  # now a string
   sv set values.prod.yaml '["ingress"]["host"]' app.example.com`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "type", Aliases: []string{"t"}, Usage: "type of VALUE: `str`, int, float, bool, or json (a JSON string, number or boolean; default: the type of the value it replaces, else str)"},
			&cli.BoolFlag{Name: "ignore-mac", Usage: "change the file even if its MAC does not verify (writes a new MAC)"},
		},
		Action: setAction,
	}
}

func setAction(c *cli.Context) error {
	if c.NArg() != 3 {
		return &usageError{msg: "set needs FILE, PATH and VALUE (or - to read it from standard input)", hint: "run 'sv set --help' for usage"}
	}
	file, pathArg, value := c.Args().Get(0), c.Args().Get(1), c.Args().Get(2)
	path, err := yamlwalk.ParseValuePath(pathArg)
	if err != nil {
		return &usageError{msg: err.Error(), hint: "write paths like db.password, hosts[0].name or [\"db\"][\"password\"]"}
	}
	typ := c.String("type")
	switch typ {
	case "", crypt.TypeStr, crypt.TypeInt, crypt.TypeFloat, crypt.TypeBool, "json":
	default:
		return &usageError{msg: fmt.Sprintf("unknown --type %q (want str, int, float, bool or json)", typ)}
	}
	if value == "-" {
		if f, ok := c.App.Reader.(*os.File); ok && isTerminalReader(f) {
			// Typed by hand: one line, not echoed.
			fmt.Fprintf(c.App.ErrWriter, "sv: value for %s (not shown; end with Enter): ", path)
			b, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(c.App.ErrWriter)
			if err != nil {
				return fmt.Errorf("reading the value from the terminal: %w", err)
			}
			value = string(b)
		} else {
			b, err := io.ReadAll(c.App.Reader)
			if err != nil {
				return fmt.Errorf("reading the value from standard input: %w", err)
			}
			value = trimSingleNewline(string(b))
		}
	}
	if typ == "json" {
		if typ, value, err = jsonScalar(value); err != nil {
			return &usageError{msg: err.Error()}
		}
	}
	noted := false
	return changeValue(c, file, func(text []byte) ([]byte, error) {
		t := typ
		if t == "" {
			var note string
			if t, note = setType(text, path, value); note != "" && !noted {
				noted = true
				fmt.Fprintf(c.App.ErrWriter, "sv: %s: %s\n", file, note)
			}
		}
		return secretfile.SetValue(file, text, path, t, value)
	}, "set "+path.String())
}

// trimSingleNewline drops the final line break of a one-line value.
func trimSingleNewline(s string) string {
	t := strings.TrimSuffix(s, "\n")
	t = strings.TrimSuffix(t, "\r")
	if strings.ContainsAny(t, "\n") {
		return s
	}
	return t
}

func unsetCommand() *cli.Command {
	return &cli.Command{
		Name:      "unset",
		Usage:     "remove one value from an encrypted file",
		ArgsUsage: "FILE PATH",
		Description: `Removes the value at PATH (a mapping key with everything under it, or a
sequence item) from FILE. Every other value keeps its exact ciphertext;
the sops mac and lastmodified are rewritten. A mapping left empty becomes
{}.

Example:
   sv unset values.prod.yaml db.oldPassword
   sv unset values.prod.yaml '["ingress"]["tls"]'`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "ignore-mac", Usage: "change the file even if its MAC does not verify (writes a new MAC)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 2 {
				return &usageError{msg: "unset needs FILE and PATH", hint: "run 'sv unset --help' for usage"}
			}
			file := c.Args().Get(0)
			path, err := yamlwalk.ParseValuePath(c.Args().Get(1))
			if err != nil {
				return &usageError{msg: err.Error(), hint: "write paths like db.password, hosts[0].name or [\"db\"][\"password\"]"}
			}
			return changeValue(c, file, func(text []byte) ([]byte, error) {
				return secretfile.DeleteValue(file, text, path)
			}, "removed "+path.String())
		},
	}
}

// changeValue decrypts file, applies change to its plaintext text, and
// writes the result re-encrypted under the same data key. If another
// process changes the file in the meantime, the change is made again on
// top of theirs (a few times), so neither update is lost.
func changeValue(c *cli.Context, file string, change func([]byte) ([]byte, error), done string) error {
	var err error
	for range 5 {
		err = changeValueOnce(c, file, change, done)
		var ce *secretfile.ChangedError
		if !errors.As(err, &ce) {
			return err
		}
	}
	return err
}

func changeValueOnce(c *cli.Context, file string, change func([]byte) ([]byte, error), done string) error {
	src, err := secretfile.Read(file)
	if err != nil {
		return err
	}
	if !secretfile.IsEncrypted(file, src) {
		return secretfile.WithFile(file, yamlwalk.ErrNotEncrypted)
	}
	dec, err := secretfile.Decrypt(file, src, secretfile.DecryptOptions{IgnoreMAC: c.Bool("ignore-mac"), Keys: newKeys()})
	if err != nil {
		return err
	}
	text, err := change(dec.Text)
	if err != nil {
		return secretfile.WithFile(file, err)
	}
	if bytes.Equal(text, dec.Text) {
		fmt.Fprintf(c.App.ErrWriter, "sv: %s: value unchanged, file unchanged\n", file)
		return nil
	}
	res, err := secretfile.Reencrypt(file, src, text, dec, yamlwalk.EncryptOptions{Now: time.Now(), EncryptComments: secretfile.CommentsEncrypted(src)})
	if err != nil {
		return secretfile.WithFile(file, err)
	}
	reportResult(c.App.ErrWriter, file, res)
	if err := replaceFile(file, src, yamlwalk.KeepMetadataText(src, res.Out)); err != nil {
		return err
	}
	fmt.Fprintf(c.App.ErrWriter, "sv: %s: %s\n", file, done)
	return nil
}
