//go:build unix

package helmplugin

import (
	"os"
	"syscall"
)

// openNoBlock opens path for reading without blocking on a FIFO (which
// would wait for a writer); the caller then refuses anything but a
// regular file.
func openNoBlock(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}
