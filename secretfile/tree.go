package secretfile

import "github.com/sv-secrets/sv/yamlwalk"

// TreeFile is one file Walk found, read for a command that works on the
// encrypted files of a tree (updatekeys, rotate).
type TreeFile struct {
	File
	Src []byte
	// Skipped: the file was found in a directory and is not encrypted, so
	// it is not one of the command's files (Src is nil).
	Skipped bool
	// Err is why the file cannot be worked on: it cannot be read, or it
	// was named and is not encrypted (yamlwalk.ErrNotEncrypted).
	Err error
}

// ReadTreeFile reads f for a tree command: an unencrypted file found in a
// directory is Skipped; one named is an error.
func ReadTreeFile(f File) TreeFile {
	t := TreeFile{File: f}
	src, err := Read(f.Path)
	switch {
	case err != nil:
		t.Err = err
	case !IsEncrypted(f.Path, src):
		if f.Explicit {
			t.Err = yamlwalk.ErrNotEncrypted
		} else {
			t.Skipped = true
		}
	default:
		t.Src = src
	}
	return t
}
