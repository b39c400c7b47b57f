package secretfile

// exec-file's plaintext: handed to another program in a private directory
// (internal/privdir), as a file or through a named pipe.

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/sv-secrets/sv/internal/privdir"
)

// PlainFile is a plaintext at Path, in a private directory of its own
// until Remove.
type PlainFile struct {
	Path string
	dir  *privdir.Dir
}

// NewPlainFile puts text in a new private directory (mode 0700, in RAM
// where the system has it) as name: a file of mode 0600, or with fifo a
// named pipe (mode 0600) that serves text, in the background, to the first
// reader that opens it and then loses its name, like a shell's <(…). The
// directory is named after the process (prefix sv-exec-), so one left by a
// SIGKILL is removed by the next call.
func NewPlainFile(name string, text []byte, fifo bool) (*PlainFile, error) {
	dir, err := privdir.New("sv-exec-")
	if err != nil {
		return nil, err
	}
	p := &PlainFile{Path: filepath.Join(dir.Path(), filepath.Base(name)), dir: dir}
	if fifo {
		err = serveFIFO(p.Path, text)
	} else {
		err = writeNew(p.Path, text)
	}
	if err != nil {
		dir.Remove()
		return nil, err
	}
	return p, nil
}

// Remove removes the directory, the plaintext overwritten first.
func (p *PlainFile) Remove() error { return p.dir.Remove() }

// writeNew writes text to a new file of mode 0600 at path.
func writeNew(path string, text []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(text)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing the plaintext file: %w", err)
	}
	return nil
}
