package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sv-secrets/sv/crypt"
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

func editAction(c *cli.Context) error {
	if c.NArg() != 1 {
		return &usageError{msg: "edit needs exactly one FILE", hint: "run 'sv edit --help' for usage"}
	}
	keys := newKeys()
	return editFile(c.App.Reader, c.App.Writer, c.App.ErrWriter, c.Args().First(), secretfile.EditOptions{IgnoreMAC: c.Bool("ignore-mac"), Keys: keys,
		Rule: ruleOptions(c, keys), EncryptComments: c.Bool("encrypt-comments"), Write: writeOptions()})
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
	res, err := secretfile.Set(file, path, value, changeOptions(c, typ))
	return reportChange(c.App.ErrWriter, file, res, err, "set "+path.String())
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
			res, err := secretfile.Unset(file, path, changeOptions(c, ""))
			return reportChange(c.App.ErrWriter, file, res, err, "removed "+path.String())
		},
	}
}

func changeOptions(c *cli.Context, typ string) secretfile.ChangeOptions {
	return secretfile.ChangeOptions{Type: typ, IgnoreMAC: c.Bool("ignore-mac"), Keys: newKeys(), Write: writeOptions()}
}

// reportChange says what set or unset did (done: what changed, by path),
// after the type note and the encryption's warnings.
func reportChange(w io.Writer, file string, res *secretfile.ChangeResult, err error, done string) error {
	if res != nil && res.Note != "" {
		fmt.Fprintf(w, "sv: %s: %s\n", file, res.Note)
	}
	if res != nil && res.Result != nil {
		reportResult(w, file, res.Result)
	}
	switch {
	case err != nil:
		return err
	case res.Unchanged:
		fmt.Fprintf(w, "sv: %s: value unchanged, file unchanged\n", file)
	default:
		fmt.Fprintf(w, "sv: %s: %s\n", file, done)
	}
	return nil
}
