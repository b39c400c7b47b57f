//go:build !linux

package atomicfile

import "os"

func replace(dir, base string, data []byte, mode os.FileMode, old os.FileInfo) error {
	return replaceNamed(dir, base, data, mode, old)
}
