package main

// The terminal side shared by commands: reading an answer, and the
// warnings of an encryption before it is written.

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sv-secrets/sv/secretfile"
	"github.com/sv-secrets/sv/yamlwalk"
	"golang.org/x/term"
)

// isTerminalReader reports whether r is a terminal a question can be
// asked on.
func isTerminalReader(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// readTermLine reads one line byte by byte, so nothing after it is
// consumed from a terminal the editor reads next.
func readTermLine(r io.Reader) (string, error) {
	var b []byte
	one := make([]byte, 1)
	for {
		n, err := r.Read(one)
		if n == 1 {
			if one[0] == '\n' {
				return string(b), nil
			}
			b = append(b, one[0])
		}
		if err != nil {
			if err == io.EOF && len(b) > 0 {
				return string(b), nil
			}
			return string(b), err
		}
	}
}

// reportEncrypted says what writing an encryption of file did: values
// that were in plaintext in an encrypted file (paths only), and the count.
func reportEncrypted(w io.Writer, file string, res *secretfile.EncryptResult) {
	if len(res.Added) > 0 {
		warnf(w, "%s: %d value(s) were in plaintext in the encrypted file and are now encrypted and covered by its MAC: %s (if you did not add them, someone without the key did: git log -p %s)",
			file, len(res.Added), strings.Join(res.Added, ", "), file)
	}
	fmt.Fprintf(w, "sv: %s: encrypted %d value(s)\n", file, res.Encrypted)
}

// reportResult warns about what an encryption of file noticed: its
// warnings, and values whose text changes (paths only).
func reportResult(w io.Writer, file string, res *yamlwalk.Result) {
	for _, warn := range res.Warnings {
		warnf(w, "%s: %s", file, warn)
	}
	if len(res.Respelled) > 0 {
		warnf(w, "%s: %d value(s) will be spelled differently after decryption (same value, different text): %s",
			file, len(res.Respelled), secretfile.ListPaths(res.Respelled, 5))
	}
}
