package main

// The editor session of sv edit and helm secrets edit: the terminal side
// of an edit (the editor, the question whether to reopen it); opening and
// saving are secretfile's (OpenEdit, Save).

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/google/shlex"
	"github.com/sv-secrets/sv/editor"
	"github.com/sv-secrets/sv/secretfile"
	"github.com/sv-secrets/sv/yamlwalk"
)

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

// editFile is the editor session of sv edit and helm secrets edit: file
// (o: secretfile.OpenEdit's options) opened in the user's editor on a
// private copy of its plaintext, saved when the editor exits, the editor
// reopened after a mistake when stdin is a terminal to ask on.
func editFile(stdin io.Reader, stdout, stderr io.Writer, file string, o secretfile.EditOptions) error {
	argv, err := editorCommand()
	if err != nil {
		return err
	}
	ed, err := secretfile.OpenEdit(file, o)
	if errors.Is(err, yamlwalk.ErrNotEncrypted) {
		return withHint(err, "sv edit opens encrypted files; encrypt this one first with 'sv encrypt "+file+"'")
	}
	if err != nil {
		return err
	}
	for _, w := range ed.Warnings {
		warnf(stderr, "%s: %s", file, w)
	}
	unchanged := "your changes were not saved; " + file + " is unchanged"
	if ed.New {
		unchanged = "your changes were not saved; " + file + " was not created"
	}
	sess, err := editor.New(file, ed.Text)
	if err != nil {
		return err
	}
	defer sess.Close()
	for {
		if err := sess.Run(argv, stdin, stdout, stderr); err != nil {
			return withHint(secretfile.WithFile(file, err), unchanged)
		}
		edited, err := sess.Read()
		if err != nil {
			return withHint(secretfile.WithFile(file, err), unchanged)
		}
		res, err := ed.Save(edited)
		if res == nil {
			if secretfile.IsContentError(err) && isTerminalReader(stdin) {
				reportError(stderr, err)
				if askReopen(stdin, stderr) {
					continue
				}
			}
			return withHint(err, unchanged)
		}
		switch {
		case res.Unchanged && ed.New:
			fmt.Fprintf(stderr, "sv: %s: nothing written, file not created\n", file)
			return nil
		case res.Unchanged:
			fmt.Fprintf(stderr, "sv: %s: no changes, file unchanged\n", file)
			return nil
		}
		reportResult(stderr, file, res.Result)
		var ce *secretfile.ChangedError
		switch {
		case errors.As(err, &ce) && ce.Created:
			return withHint(fmt.Errorf("%s was created by someone else while you were editing; not overwritten", file), "your changes were not saved")
		case errors.As(err, &ce):
			return withHint(fmt.Errorf("%s changed on disk while sv had it open; not overwritten", file), "your changes were not saved; run the command again")
		case err != nil && ed.New:
			return withHint(err, "your changes were not saved")
		case err != nil:
			return err
		case ed.New:
			fmt.Fprintf(stderr, "sv: %s: created, %d value(s) encrypted\n", file, res.NewCiphertexts)
		default:
			fmt.Fprintf(stderr, "sv: %s: saved, %d value(s) with new ciphertext\n", file, res.NewCiphertexts)
		}
		return nil
	}
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
