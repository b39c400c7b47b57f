package main

// Many files in one call: sv decrypt FILE... and sv exec-env FILE... -- CMD.
// Files are decrypted in parallel (internal/parallel), with the keyring
// loaded once and data keys opened one at a time (serialKeys); output,
// warnings and errors come in the order the files were named.

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/internal/parallel"
	"github.com/sv-secrets/sv/secretfile"
	"github.com/sv-secrets/sv/yamlwalk"
	"github.com/urfave/cli/v2"
)

// decrypted is one file's outcome in a multi-file command.
type decrypted struct {
	src []byte
	dec *yamlwalk.Decrypted
	err error
	// drift is the recipient-drift warning (warnRecipientDrift), made
	// by the worker: it reads the file's .sops.yaml.
	drift []byte
}

// decryptFiles reads and decrypts files in parallel with one keyring,
// calling emit for each in the order given. A file's failure is its own.
// Each file is read in its format (as, or by extension: see formatOf).
func decryptFiles(files []string, kr *crypt.Keyring, ignoreMAC bool, as secretfile.Format, emit func(i int, d decrypted)) {
	keys := secretfile.SerialKeys{Keyring: kr}
	parallel.Ordered(len(files), 0, func(i int) decrypted {
		src, err := secretfile.Read(files[i])
		if err != nil {
			// readInput names the file already; as a fileErr it is named once.
			return decrypted{err: secretfile.WithFile(files[i], errors.New(strings.TrimPrefix(err.Error(), files[i]+": ")))}
		}
		dec, err := secretfile.DecryptAs(files[i], src, as, yamlwalk.DecryptOptions{Keys: keys, IgnoreMAC: ignoreMAC})
		if err != nil {
			return decrypted{src: src, err: secretfile.WithFile(files[i], err)}
		}
		var drift bytes.Buffer
		warnRecipientDrift(&drift, files[i], dec.Metadata)
		return decrypted{src: src, dec: dec, drift: drift.Bytes()}
	}, emit)
}

// outputDir reports whether decrypt's --output names a directory to write
// each plaintext into: always with several files (but "-", standard output,
// as without --output), and with one file when it is an existing directory
// or ends with a path separator.
func outputDir(out string, files int) bool {
	if out == "" || out == "-" {
		return false
	}
	if files > 1 || strings.HasSuffix(out, "/") || strings.HasSuffix(out, string(filepath.Separator)) {
		return true
	}
	fi, err := os.Stat(out)
	return err == nil && fi.IsDir()
}

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
	if outputDir(out, len(files)) {
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
	kr, err := loadKeyring()
	if err != nil {
		return err
	}
	if targets != nil {
		if err := os.MkdirAll(out, 0o700); err != nil {
			return fmt.Errorf("%s: %w", out, secretfile.PathCause(err))
		}
	}
	probs := &fileProblems{verb: "decrypt", total: len(files)}
	stdout, stderr := c.App.Writer, c.App.ErrWriter
	first := true
	var lastByte byte = '\n'
	inPlace := c.Bool("in-place")
	decryptFiles(files, kr, c.Bool("ignore-mac"), as, func(i int, d decrypted) {
		file := files[i]
		if d.err == nil {
			d.dec.Text, _, d.err = convertOutput(c, file, secretfile.FormatOf(file, d.src, as), d.dec.Text)
		}
		if d.err != nil {
			probs.add(file, d.err)
			return
		}
		for _, w := range d.dec.Warnings {
			warnf(stderr, "%s: %s", file, w)
		}
		stderr.Write(d.drift)
		var err error
		switch {
		case inPlace:
			err = replaceFile(file, d.src, d.dec.Text)
		case targets != nil:
			err = writePlaintextTo(file, targets[i], d.dec.Text)
		default:
			text := d.dec.Text
			if !first && !startsDocument(text) {
				sep := "---\n"
				if lastByte != '\n' {
					sep = "\n" + sep
				}
				_, err = stdout.Write([]byte(sep))
			}
			if err == nil {
				_, err = stdout.Write(text)
			}
			if len(text) > 0 {
				lastByte = text[len(text)-1]
			}
			first = false
		}
		if err != nil {
			probs.add(file, err)
		}
	})
	return probs.err()
}

// writePlaintextTo writes a plaintext to target (mode 0600), refusing to
// write over the encrypted file itself.
func writePlaintextTo(file, target string, text []byte) error {
	if a, err := os.Stat(file); err == nil {
		if b, err := os.Stat(target); err == nil && os.SameFile(a, b) {
			return secretfile.WithFile(file, withHint(errors.New("--output would write the plaintext over the encrypted file"), "use --in-place to replace the file with its plaintext, or another directory"))
		}
	}
	return writeFile(target, text, 0o600, false)
}

// startsDocument reports whether a plaintext begins with a document start
// marker of its own ("---"), so no separator is added before it.
func startsDocument(text []byte) bool {
	rest, ok := bytes.CutPrefix(text, []byte("---"))
	return ok && (len(rest) == 0 || rest[0] == '\n' || rest[0] == '\r' || rest[0] == ' ' || rest[0] == '\t')
}

// filesAndCommand splits exec-env's FILE... -- CMD ARG...: everything before
// the first "--" is a file. Without "--", the first argument is the file and
// the rest the command (sv exec-env FILE CMD, as before several files).
func filesAndCommand(c *cli.Context) ([]string, []string, error) {
	args := c.Args().Slice()
	usage := &usageError{msg: c.Command.Name + " needs FILE... -- CMD [ARG...]", hint: "run 'sv " + c.Command.Name + " --help' for usage"}
	var files, cmd []string
	for i, a := range args {
		if a == "--" {
			files, cmd = args[:i], args[i+1:]
			break
		}
	}
	if files == nil && cmd == nil {
		if len(args) < 2 {
			return nil, nil, usage
		}
		files, cmd = args[:1], args[1:]
	}
	if len(files) == 0 || len(cmd) == 0 {
		return nil, nil, usage
	}
	return files, cmd, nil
}

// envFromFiles decrypts files and turns their values into environment
// variables: a later file's variable replaces an earlier file's of the same
// name (reported on stderr by name and path, never value). Any file that
// fails fails the whole call, after every file was tried, so nothing runs
// with half an environment.
func envFromFiles(c *cli.Context, files []string) ([]secretfile.EnvVar, error) {
	kr, err := loadKeyring()
	if err != nil {
		return nil, err
	}
	prefix, allowed := c.String("prefix"), c.StringSlice("allow-env")
	probs := &fileProblems{verb: "read", total: len(files)}
	var vars []secretfile.EnvVar
	from := map[string]int{} // name -> index in vars
	origin := map[string]string{}
	decryptFiles(files, kr, false, secretfile.FormatAuto, func(i int, d decrypted) {
		file := files[i]
		if d.err != nil {
			probs.add(file, d.err)
			return
		}
		for _, w := range d.dec.Warnings {
			warnf(c.App.ErrWriter, "%s: %s", file, w)
		}
		vs, err := secretfile.EnvVars(file, d.src, d.dec.Text, prefix)
		if err == nil {
			err = checkProtected(vs, allowed)
		}
		if err != nil {
			probs.add(file, secretfile.WithFile(file, err))
			return
		}
		for _, v := range vs {
			if j, ok := from[v.Name]; ok {
				notef(c.App.ErrWriter, "%s: %s (%s) overrides the value from %s (%s)", file, v.Name, v.Path, origin[v.Name], vars[j].Path)
				vars[j] = v
				origin[v.Name] = file
				continue
			}
			from[v.Name] = len(vars)
			origin[v.Name] = file
			vars = append(vars, v)
		}
	})
	if err := probs.err(); err != nil {
		if len(files) > 1 {
			return nil, fmt.Errorf("%w; nothing was run", err)
		}
		return nil, err
	}
	return vars, nil
}

// sameExitCode returns the exit code every error shares, or exitFailure.
func sameExitCode(errs []error) int {
	code := -1
	for _, e := range errs {
		c := exitCodeFor(e)
		if code >= 0 && c != code {
			return exitFailure
		}
		code = c
	}
	if code < 0 {
		return exitFailure
	}
	return code
}
