// Command genvalues writes a generated values file with about N leaves to
// standard output, for bench/compare.sh.
package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/sv-secrets/sv/internal/benchgen"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: genvalues N")
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[1])
	if err != nil || n <= 0 {
		fmt.Fprintln(os.Stderr, "genvalues: N must be a positive number")
		os.Exit(2)
	}
	os.Stdout.Write(benchgen.Values(n))
}
