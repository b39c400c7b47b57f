//go:build unix

// Command measure runs a command several times and prints the median wall
// time and the median CPU time (user+sys) in milliseconds, and the largest
// peak resident set size in MiB, as "WALL_MS CPU_MS MAX_RSS_MIB". CPU time
// is the steadier figure on a busy machine. The command's output is
// discarded; a failing run aborts with its stderr.
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
	var times, cpus []float64
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
		cpus = append(cpus, float64((cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime()).Microseconds())/1000)
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru.Maxrss > maxRSS {
			maxRSS = ru.Maxrss // KiB on Linux
		}
	}
	sort.Float64s(times)
	sort.Float64s(cpus)
	fmt.Printf("%.1f %.1f %.1f\n", times[len(times)/2], cpus[len(cpus)/2], float64(maxRSS)/1024)
}
