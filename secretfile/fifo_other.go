//go:build !unix

package secretfile

import "errors"

func serveFIFO(path string, text []byte) error {
	return errors.New("--fifo needs named pipes, which this system does not have")
}
