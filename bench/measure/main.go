// Command measure runs a command several times and prints the median wall
// time in milliseconds and the largest peak resident set size in MiB, as
// "MEDIAN_MS MAX_RSS_MIB". The command's output is discarded; a failing run
// aborts with its stderr.
package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: measure RUNS COMMAND [ARGS...]")
		os.Exit(2)
	}
	runs, err := strconv.Atoi(os.Args[1])
	if err != nil || runs < 1 {
		fmt.Fprintln(os.Stderr, "measure: RUNS must be a positive number")
		os.Exit(2)
	}
	var times []float64
	var maxRSS int64
	for i := 0; i < runs; i++ {
		cmd := exec.Command(os.Args[2], os.Args[3:]...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		start := time.Now()
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "measure: %s failed: %v\n%s", os.Args[2], err, stderr.Bytes())
			os.Exit(1)
		}
		times = append(times, float64(time.Since(start).Microseconds())/1000)
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru.Maxrss > maxRSS {
			maxRSS = ru.Maxrss // KiB on Linux
		}
	}
	sort.Float64s(times)
	fmt.Printf("%.1f %.1f\n", times[len(times)/2], float64(maxRSS)/1024)
}
