//go:build !unix

package atomicfile

import (
	"os"
	"time"
)

func lockDir(string, time.Duration) (func(), bool, error) { return func() {}, false, nil }

func readOnly(_ string, fi os.FileInfo) bool { return fi.Mode().Perm()&0o222 == 0 }

func mustWriteInPlace(os.FileInfo) bool { return false }

func keepOwner(*os.File, os.FileInfo) error { return nil }

func dupFile(int) (*os.File, error) { return nil, os.ErrInvalid }

func removeOnSignal(name string) func() { return func() {} }

func dirWritable(string) bool { return true }
