package secretfile

import (
	"errors"

	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/yamlwalk"
)

// FileError is an error about one file, named in front of the cause.
type FileError struct {
	File string
	Err  error
}

func (e *FileError) Error() string { return e.File + ": " + e.Err.Error() }
func (e *FileError) Unwrap() error { return e.Err }

func fileError(file string, err error) error { return &FileError{File: file, Err: err} }

// DecryptOptions are the caller's choices for Decrypt.
type DecryptOptions struct {
	// As is the format (--input-type); FormatAuto chooses by FormatOf.
	As Format
	// IgnoreMAC skips the MAC check (recovery); every value's own tag is
	// still checked.
	IgnoreMAC bool
	// Keys opens the data key. A *Keys is loaded first, so failing to
	// load identities is the error, not a missing key.
	Keys yamlwalk.KeySource
}

// Decrypt decrypts src, read from file, in its format. Errors are
// *FileError naming file (a *yamlwalk.MACError, *crypt.NoKeyError,
// yamlwalk.ErrNotEncrypted … inside); warnings are in the result, never
// printed.
func Decrypt(file string, src []byte, o DecryptOptions) (*yamlwalk.Decrypted, error) {
	keys := o.Keys
	if k, ok := keys.(*Keys); ok {
		kr, err := k.Keyring()
		if err != nil {
			return nil, fileError(file, err)
		}
		keys = SerialKeys{Keyring: kr}
	}
	dec, err := DecryptAs(file, src, o.As, yamlwalk.DecryptOptions{Keys: keys, IgnoreMAC: o.IgnoreMAC})
	if err != nil {
		return nil, fileError(file, err)
	}
	return dec, nil
}

// DecryptAs decrypts src, read from file, in format as (FormatAuto:
// FormatOf), without naming file in errors: the hook for callers that
// name it themselves (a tree's workers).
func DecryptAs(file string, src []byte, as Format, opt yamlwalk.DecryptOptions) (*yamlwalk.Decrypted, error) {
	return FormatOf(file, src, as).Decrypt(src, opt)
}

// DecryptFile reads file (Read) and decrypts it (Decrypt).
func DecryptFile(file string, o DecryptOptions) (*yamlwalk.Decrypted, error) {
	src, err := Read(file)
	if err != nil {
		return nil, err
	}
	return Decrypt(file, src, o)
}

// Textconv is git's textconv for a file of format f (src as stored):
// the plaintext for those who hold a key, the file as it is (its values
// are ENC strings already) for the others. note, if not empty, says why
// the file is shown as it is.
func Textconv(f Format, src []byte, keys *Keys) (text []byte, note string) {
	if !f.IsEncrypted(src) {
		return src, ""
	}
	kr, err := keys.Keyring()
	if err != nil {
		return src, "showing the encrypted file: cannot load keys: " + err.Error()
	}
	dec, err := f.Decrypt(src, yamlwalk.DecryptOptions{Keys: kr})
	if err != nil {
		var nk *crypt.NoKeyError
		if errors.As(err, &nk) {
			return src, ""
		}
		return src, "showing the raw file: " + err.Error()
	}
	return dec.Text, ""
}

// ValuePaths lists, without a key, the values of an encrypted file that
// are in plaintext although its rules want them encrypted (added or
// replaced by hand, or by someone without the key), and the values its
// rules leave in plaintext. Paths only, never values.
func ValuePaths(src []byte) (toEncrypt, clear []string) {
	info, err := Inspect("", src, yamlwalk.Rules{})
	if err != nil || info.Metadata == nil {
		return nil, nil
	}
	for _, l := range info.Leaves {
		switch {
		case l.Plaintext():
			toEncrypt = append(toEncrypt, l.Path)
		case !l.ShouldEncrypt && !l.Null && !l.Empty:
			clear = append(clear, l.Path)
		}
	}
	return toEncrypt, clear
}

// WithFile names file in front of err (a *FileError); nil stays nil.
func WithFile(file string, err error) error {
	if err == nil {
		return nil
	}
	return fileError(file, err)
}
