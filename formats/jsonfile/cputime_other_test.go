//go:build !unix

package jsonfile

import "time"

func cpuTime() time.Duration { return 0 }
