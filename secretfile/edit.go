package secretfile

// sv edit's file side: open an encrypted file (or a new one) for an
// editor, and encrypt and write what the editor left. Running the editor
// and asking the user are the caller's.

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/sv-secrets/sv/yamlwalk"
)

// EditOptions are the caller's choices for OpenEdit.
type EditOptions struct {
	// IgnoreMAC opens a file whose MAC does not verify (saving writes a
	// new MAC).
	IgnoreMAC bool
	// Keys opens the data key.
	Keys yamlwalk.KeySource
	// Rule resolves recipients and selection for a new file; the rule's
	// sv_encrypt_comments or EncryptComments encrypts its comments.
	Rule            RuleOptions
	EncryptComments bool
	// Write are the choices for writing the file back.
	Write WriteOptions
}

// Edit is a file opened for editing: an encrypted file, or a new one
// (New) that is created when saved.
type Edit struct {
	File string
	New  bool
	// Text is the plaintext to edit (empty for a new file).
	Text []byte
	// Warnings are the decryption's (paths only, never values).
	Warnings []string

	src    []byte
	dec    *yamlwalk.Decrypted
	create yamlwalk.EncryptOptions
	o      EditOptions
}

// EditResult is what Save did.
type EditResult struct {
	// Unchanged: the text is the one opened (or, for a new file, blank);
	// nothing was written.
	Unchanged bool
	// Result is the encryption: Warnings, Respelled paths, Encrypted.
	*yamlwalk.Result
	// NewCiphertexts counts the values written with new ciphertext: those
	// changed in an existing file, every encrypted value of a new one.
	NewCiphertexts int
}

// OpenEdit opens file for editing: an encrypted file is decrypted (a file
// that is not encrypted is yamlwalk.ErrNotEncrypted, named); a file that
// does not exist, in a directory that does, gets the recipients and
// selection of ResolveRule.
func OpenEdit(file string, o EditOptions) (*Edit, error) {
	e := &Edit{File: file, o: o}
	src, err := os.ReadFile(file)
	switch {
	case err == nil:
		if !IsEncrypted(file, src) {
			return nil, fileError(file, yamlwalk.ErrNotEncrypted)
		}
		if e.dec, err = Decrypt(file, src, DecryptOptions{IgnoreMAC: o.IgnoreMAC, Keys: o.Keys}); err != nil {
			return nil, err
		}
		e.src, e.Text, e.Warnings = src, e.dec.Text, e.dec.Warnings
	case errors.Is(err, fs.ErrNotExist):
		e.New = true
		if fi, err := os.Stat(filepath.Dir(file)); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("%s: the directory %s does not exist", file, filepath.Dir(file))
		}
		plan, err := ResolveRule(file, o.Rule)
		if err != nil {
			return nil, err
		}
		e.create = yamlwalk.EncryptOptions{Rules: plan.Rules, KeyGroups: plan.KeyGroups, ShamirThreshold: plan.Threshold,
			EncryptComments: plan.EncryptComments || o.EncryptComments}
	default:
		return nil, fmt.Errorf("%s: %w", file, PathCause(err))
	}
	return e, nil
}

// Save encrypts edited, the text the editor left, and writes it: a new
// file with Create, an existing one under its data key (values not changed
// keep their ciphertext, the sops: block its text, encrypted comments stay
// encrypted) with Replace. The result is nil if encrypting failed (see
// IsContentError for errors another round in the editor can fix); with a
// result, an error is the write's (*ChangedError when the file changed or,
// for a new one, appeared meanwhile).
func (e *Edit) Save(edited []byte) (*EditResult, error) {
	if bytes.Equal(edited, e.Text) || e.New && len(bytes.TrimSpace(edited)) == 0 {
		return &EditResult{Unchanged: true}, nil
	}
	var (
		res *yamlwalk.Result
		err error
	)
	if e.New {
		e.create.Now = time.Now()
		res, err = FormatOf(e.File, edited, FormatAuto).Encrypt(edited, e.create)
	} else {
		res, err = Reencrypt(e.File, e.src, edited, e.dec, yamlwalk.EncryptOptions{Now: time.Now(), EncryptComments: CommentsEncrypted(e.src)})
	}
	if err != nil {
		return nil, fileError(e.File, err)
	}
	r := &EditResult{Result: res}
	if e.New {
		// Not even a dangling symlink: Create would write through it.
		if _, err := os.Lstat(e.File); err == nil {
			return r, &ChangedError{File: e.File, Created: true}
		}
		r.NewCiphertexts = res.Encrypted
		return r, Create(e.File, res.Out, 0o644)
	}
	out := yamlwalk.KeepMetadataText(e.src, res.Out)
	if err := Replace(e.File, e.src, out, e.o.Write); err != nil {
		return r, err
	}
	r.NewCiphertexts = NewCiphertexts(e.File, e.src, out)
	return r, nil
}

// IsContentError reports errors in what the user wrote (as opposed to
// keys or I/O), which another round in the editor can fix.
func IsContentError(err error) bool {
	var (
		se *yamlwalk.SyntaxError
		ve *yamlwalk.ValueError
		me *yamlwalk.MetadataError
	)
	return errors.As(err, &se) || errors.As(err, &ve) || errors.As(err, &me) || errors.Is(err, yamlwalk.ErrEmpty)
}

// NewCiphertexts counts the encrypted values of out whose ciphertext is
// not in src (both versions of file): the values a change re-encrypted.
func NewCiphertexts(file string, src, out []byte) int {
	old, err := Inspect(file, src, yamlwalk.Rules{})
	if err != nil {
		return 0
	}
	seen := map[string]bool{}
	for _, l := range old.Leaves {
		if l.Encrypted {
			seen[l.Ciphertext] = true
		}
	}
	cur, err := Inspect(file, out, yamlwalk.Rules{})
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
