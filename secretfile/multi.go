package secretfile

// Many files in one call: sv decrypt FILE... and sv exec-env FILE... --
// CMD. Files are decrypted in parallel (internal/parallel), with the
// identities loaded once and data keys opened one at a time (SerialKeys);
// results come in the order the files were named.

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sv-secrets/sv/internal/parallel"
	"github.com/sv-secrets/sv/yamlwalk"
)

// ManyOptions are the caller's choices for DecryptEach.
type ManyOptions struct {
	// As is the format of every file (--input-type); FormatAuto chooses
	// each file's by FormatOf.
	As        Format
	IgnoreMAC bool
	// Keys are loaded once, before the first file.
	Keys *Keys
	// Drift compares each file's recipients with its rule (Opened.Drifted).
	Drift bool
}

// Opened is one file of DecryptEach: read (Src) and decrypted, or Err, an
// error naming the file (*FileError).
type Opened struct {
	Src []byte
	*yamlwalk.Decrypted
	Err error
	// Drifted (with ManyOptions.Drift): the file's recipients differ
	// from those of the rule that covers it (see Drift).
	Drifted bool
}

// DecryptEach reads and decrypts files in parallel, calling emit for each
// in the order given. A file's failure is its own (Opened.Err); the error
// returned is failing to load the identities, before any file is read.
func DecryptEach(files []string, o ManyOptions, emit func(i int, f Opened)) error {
	kr, err := o.Keys.Keyring()
	if err != nil {
		return err
	}
	keys := SerialKeys{Keyring: kr}
	parallel.Ordered(len(files), 0, func(i int) Opened {
		src, err := Read(files[i])
		if err != nil {
			// Read names the file already; as a *FileError it is named once.
			return Opened{Err: fileError(files[i], errors.New(strings.TrimPrefix(err.Error(), files[i]+": ")))}
		}
		dec, err := DecryptAs(files[i], src, o.As, yamlwalk.DecryptOptions{Keys: keys, IgnoreMAC: o.IgnoreMAC})
		if err != nil {
			return Opened{Src: src, Err: fileError(files[i], err)}
		}
		f := Opened{Src: src, Decrypted: dec}
		if o.Drift {
			// Here, in the worker: it reads the file's .sops.yaml.
			rule, d, err := Drift(files[i], dec.Metadata)
			f.Drifted = err == nil && rule != nil && !d.Match()
		}
		return f
	}, emit)
	return nil
}

// OutputDir reports whether decrypt's --output out names a directory to
// write each plaintext into: always with several files (but "-", standard
// output, as without --output), and with one file when it is an existing
// directory or ends with a path separator.
func OutputDir(out string, files int) bool {
	if out == "" || out == "-" {
		return false
	}
	if files > 1 || strings.HasSuffix(out, "/") || strings.HasSuffix(out, string(filepath.Separator)) {
		return true
	}
	fi, err := os.Stat(out)
	return err == nil && fi.IsDir()
}

// MakePlaintextDir makes the directory plaintexts are written into (mode
// 0700 for what it creates), before any is decrypted.
func MakePlaintextDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("%s: %w", dir, PathCause(err))
	}
	return nil
}

// ErrOverEncrypted: writing a plaintext to its target would replace the
// encrypted file it came from.
var ErrOverEncrypted = errors.New("--output would write the plaintext over the encrypted file")

// WritePlaintext writes file's plaintext text to target (mode 0600),
// refusing (ErrOverEncrypted, named) to write over file itself.
func WritePlaintext(file, target string, text []byte, o WriteOptions) error {
	if a, err := os.Stat(file); err == nil {
		if b, err := os.Stat(target); err == nil && os.SameFile(a, b) {
			return fileError(file, ErrOverEncrypted)
		}
	}
	return Write(target, text, 0o600, false, o)
}

// DocumentSeparator is what goes between plaintexts written one after the
// other as one YAML stream: nothing before the first (first) or before one
// that starts with its own "---"; else "---", after a line break if the
// previous one (ending in last) did not end with one.
func DocumentSeparator(first bool, last byte, text []byte) string {
	rest, ok := bytes.CutPrefix(text, []byte("---"))
	if first || ok && (len(rest) == 0 || rest[0] == '\n' || rest[0] == '\r' || rest[0] == ' ' || rest[0] == '\t') {
		return ""
	}
	if last != '\n' {
		return "\n---\n"
	}
	return "---\n"
}
