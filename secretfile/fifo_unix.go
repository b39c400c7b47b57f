//go:build unix

package secretfile

import (
	"fmt"
	"os"
	"syscall"
)

// serveFIFO makes a named pipe at path (mode 0600) and serves text to the
// first reader that opens it, in the background.
func serveFIFO(path string, text []byte) error {
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		return fmt.Errorf("creating a named pipe: %w", err)
	}
	go func() {
		// Waits for a reader, removes the pipe's name (so a second open
		// fails at once instead of waiting forever, as with a shell's
		// <(…)), and writes text. If no reader comes, the open never
		// returns, which is fine for a process that exits when the
		// command does.
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		os.Remove(path)
		f.Write(text)
		f.Close()
	}()
	return nil
}
