package yamlwalk

import (
	"errors"
	"fmt"
)

// ValueError is a problem with one value; it names the path, never the value.
type ValueError struct {
	Path string
	Line int
	Err  error
}

func (e *ValueError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s (line %d): %v", e.Path, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Path, e.Err)
}

func (e *ValueError) Unwrap() error { return e.Err }

// MACError means the file's MAC does not match its values: a value was
// changed, added, removed or moved outside sv or sops.
type MACError struct{ Missing bool }

func (e *MACError) Error() string {
	if e.Missing {
		return "MAC mismatch: the file has no MAC"
	}
	return "MAC mismatch: the file's values were changed, added or removed without re-encrypting it (or it was tampered with)"
}

// ErrNotEncrypted is returned when a file has no sops metadata.
var ErrNotEncrypted = errors.New("file is not encrypted (it has no sops metadata)")

// ErrNotPlain means a value that the file's rules say must be encrypted is
// in plaintext.
var ErrNotPlain = errors.New("value is in plaintext although the file's rules say it must be encrypted")

// ErrUnfaithful means sv could not write a file that decrypts to exactly the
// input's values; nothing is written. It indicates a file shape sv does not
// handle yet.
type ErrUnfaithful struct{ Err error }

func (e *ErrUnfaithful) Error() string {
	return "cannot encrypt this file faithfully (the result would not decrypt to the same values): " + e.Err.Error()
}

func (e *ErrUnfaithful) Unwrap() error { return e.Err }
