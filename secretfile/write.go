package secretfile

// Every file sv writes goes through internal/atomicfile: symlinks are
// written through to their target, devices, FIFOs and /dev/stdout are
// written into, mode and owner stay, read-only files are refused, hard
// links stay joined, no named temporary file outlives the process, and
// writers of one file are serialised.

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sv-secrets/sv/internal/atomicfile"
)

// WriteOptions are the caller's choices for a write.
type WriteOptions struct {
	// Force writes read-only files too (--force); without it they are
	// refused with *atomicfile.ReadOnlyError.
	Force bool
}

// Write writes data to path: with mode for a new file, and for an
// existing one too unless keepMode.
func Write(path string, data []byte, mode os.FileMode, keepMode bool, o WriteOptions) error {
	return atomicfile.Write(path, data, atomicfile.Options{Mode: mode, KeepMode: keepMode, Force: o.Force})
}

// Replace writes data over file, which the caller read as src and
// computed data from: under the write lock it checks that the file still
// holds src, and fails with *ChangedError if someone else changed it
// meanwhile (so their update is not lost). The file keeps its mode.
func Replace(file string, src, data []byte, o WriteOptions) error {
	return atomicfile.Write(file, data, atomicfile.Options{Mode: 0o644, KeepMode: true, Force: o.Force,
		Check: func(cur []byte, exists bool) error {
			if !exists || !bytes.Equal(cur, src) {
				return &ChangedError{File: file}
			}
			return nil
		}})
}

// Create writes a new file with mode, failing with *ChangedError (Created)
// if one appeared meanwhile.
func Create(file string, data []byte, mode os.FileMode) error {
	return atomicfile.Write(file, data, atomicfile.Options{Mode: mode,
		Check: func(_ []byte, exists bool) error {
			if exists {
				return &ChangedError{File: file, Created: true}
			}
			return nil
		}})
}

// ChangedError: the file changed on disk between being read and being
// written (or, Created, appeared); nothing was written.
type ChangedError struct {
	File    string
	Created bool
}

func (e *ChangedError) Error() string {
	if e.Created {
		return e.File + " was created by someone else meanwhile; not overwritten"
	}
	return e.File + " changed on disk while sv was working on it; not overwritten"
}

// Read reads a file named by the user, with errors that name it the way
// the user typed it ("PATH: no such file").
func Read(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("%s: no such file", path)
		}
		return nil, fmt.Errorf("%s: %w", path, PathCause(err))
	}
	return b, nil
}

// PathCause is the cause of an *os.PathError without the path and
// operation (for messages that name the file already); other errors as
// they are.
func PathCause(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// CreateKeyFile writes a new identity file with mode 0600, creating
// missing parent directories private to the user (0700), as age-keygen
// users expect of ~/.config/sops/age. An existing file is never
// overwritten (*ChangedError with Created).
func CreateKeyFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return Create(path, data, 0o600)
}
