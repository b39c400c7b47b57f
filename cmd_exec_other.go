//go:build !unix

package main

import "errors"

func startFIFO(path string, text []byte) error {
	return errors.New("--fifo needs named pipes, which this system does not have")
}
