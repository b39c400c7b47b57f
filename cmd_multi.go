package main

// sv decrypt with several files (or -o DIR): secretfile.DecryptEach
// decrypts them in parallel; output, warnings and errors come in the order
// the files were named.

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/sv-secrets/sv/secretfile"
	"github.com/urfave/cli/v2"
)

// decryptManyAction is sv decrypt with several files, or with -o DIR:
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
		var text []byte
		if err == nil {
			text, _, err = convertOutput(c, file, secretfile.FormatOf(file, d.Src, as), d.Text)
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
			if sep := secretfile.DocumentSeparator(first, last, text); sep != "" {
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
