package parallel

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Results come back in job order whatever order the jobs finish in.
func TestOrderedOrder(t *testing.T) {
	for _, workers := range []int{0, 1, 2, 3, 8, 100} {
		t.Run(fmt.Sprint("workers=", workers), func(t *testing.T) {
			const n = 200
			var got []int
			Ordered(n, workers, func(i int) int {
				time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond)
				return i * i
			}, func(i, r int) {
				if i != len(got) {
					t.Fatalf("emit(%d) after %d results", i, len(got))
				}
				if r != i*i {
					t.Fatalf("emit(%d, %d)", i, r)
				}
				got = append(got, r)
			})
			if len(got) != n {
				t.Fatalf("%d results, want %d", len(got), n)
			}
		})
	}
}

// The output is what a serial loop prints, line for line.
func TestOrderedSameAsSerial(t *testing.T) {
	job := func(i int) string {
		if i%7 == 3 {
			time.Sleep(time.Millisecond) // finishes late
		}
		return fmt.Sprintf("file%d: ok\n", i)
	}
	var serial, par strings.Builder
	for i := 0; i < 50; i++ {
		serial.WriteString(job(i))
	}
	Ordered(50, 4, job, func(_ int, s string) { par.WriteString(s) })
	if serial.String() != par.String() {
		t.Fatalf("parallel output differs from serial:\n%s\nvs\n%s", par.String(), serial.String())
	}
}

// A job's error is its own result: every other job runs and is emitted.
func TestOrderedErrorIsolation(t *testing.T) {
	type res struct {
		v   int
		err error
	}
	var ran atomic.Int32
	errs, oks := 0, 0
	Ordered(30, 3, func(i int) res {
		ran.Add(1)
		if i%5 == 0 {
			return res{err: fmt.Errorf("file%d: broken", i)}
		}
		return res{v: i}
	}, func(i int, r res) {
		if r.err != nil {
			errs++
			if !strings.Contains(r.err.Error(), fmt.Sprintf("file%d:", i)) {
				t.Fatalf("error of job %d emitted as %d: %v", i, i, r.err)
			}
			return
		}
		if r.v != i {
			t.Fatalf("result %d emitted as %d", r.v, i)
		}
		oks++
	})
	if ran.Load() != 30 || errs != 6 || oks != 24 {
		t.Fatalf("ran %d, %d errors, %d ok", ran.Load(), errs, oks)
	}
}

// Never more than the window of results waits for a slow emit.
func TestOrderedBoundedWindow(t *testing.T) {
	var inflight, peak atomic.Int32
	Ordered(100, 4, func(i int) int {
		v := inflight.Add(1)
		for {
			p := peak.Load()
			if v <= p || peak.CompareAndSwap(p, v) {
				break
			}
		}
		return i
	}, func(i, _ int) {
		time.Sleep(100 * time.Microsecond)
		inflight.Add(-1)
	})
	if p := peak.Load(); p > 8 {
		t.Fatalf("%d results in flight, want at most 8", p)
	}
}

// A panicking job ends Ordered with a panic naming it, after the running
// jobs, with no emit for it or later jobs.
func TestOrderedPanic(t *testing.T) {
	var emitted []int
	defer func() {
		p := recover()
		if p == nil || !strings.Contains(fmt.Sprint(p), "job 5 panicked: boom") {
			t.Fatalf("recovered %v", p)
		}
		for _, i := range emitted {
			if i >= 5 {
				t.Fatalf("emitted %d after the panicking job", i)
			}
		}
	}()
	Ordered(50, 4, func(i int) int {
		if i == 5 {
			panic(errors.New("boom"))
		}
		return i
	}, func(i, _ int) { emitted = append(emitted, i) })
}

func TestMap(t *testing.T) {
	got := Map(10, 3, func(i int) string { return fmt.Sprint(i) })
	if strings.Join(got, ",") != "0,1,2,3,4,5,6,7,8,9" {
		t.Fatal(got)
	}
	if len(Map(0, 3, func(int) int { return 1 })) != 0 {
		t.Fatal("results for no jobs")
	}
}
