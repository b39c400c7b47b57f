// Package parallel runs independent jobs on several goroutines and hands
// their results back in the order of the jobs, so a command that works on
// many files prints exactly what it would print working on them one by one.
package parallel

import (
	"fmt"
	"runtime"
	"sync"
)

// Workers is the number of goroutines Ordered uses when asked for 0 or
// fewer: GOMAXPROCS, the cores the process may use.
func Workers() int { return runtime.GOMAXPROCS(0) }

// outcome is one job's result, or its panic.
type outcome[T any] struct {
	i        int
	r        T
	panicked bool
	panic    any
}

// Ordered calls job(i) for every i in [0, n) on up to workers goroutines
// (Workers() if workers <= 0) and emit(i, result) on the calling goroutine
// in increasing order of i, each as soon as its result and all earlier ones
// are ready. A job's result (including any error it carries) never affects
// the other jobs. At most 2×workers results are in flight or waiting for
// emit at a time, so a long list holds few results in memory. If a job
// panics, no job starts after it, no emit follows, and the panic is raised
// again on the calling goroutine once the running jobs have ended.
func Ordered[T any](n, workers int, job func(i int) T, emit func(i int, r T)) {
	if n <= 0 {
		return
	}
	if workers <= 0 {
		workers = Workers()
	}
	workers = min(workers, n)
	if workers == 1 {
		for i := 0; i < n; i++ {
			emit(i, job(i))
		}
		return
	}
	window := 2 * workers
	tokens := make(chan struct{}, window) // results in flight or waiting for emit
	next := make(chan int)
	results := make(chan outcome[T], window)
	stop := make(chan struct{})
	var stopOnce sync.Once
	halt := func() { stopOnce.Do(func() { close(stop) }) }
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results <- run(i, job)
			}
		}()
	}
	go func() {
		defer close(next)
		for i := 0; i < n; i++ {
			select {
			case tokens <- struct{}{}:
			case <-stop:
				return
			}
			select {
			case next <- i:
			case <-stop:
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(results)
	}()
	defer func() {
		if p := recover(); p != nil {
			// emit panicked: stop handing out jobs, let the running ones
			// finish in the background.
			halt()
			go func() {
				for range results {
				}
			}()
			panic(p)
		}
	}()
	pending := make(map[int]outcome[T], window)
	want := 0
	var failed *outcome[T]
	for res := range results {
		if failed != nil {
			continue // draining: the running jobs end
		}
		if res.panicked {
			failed = &res
			halt()
			continue
		}
		pending[res.i] = res
		for {
			r, ok := pending[want]
			if !ok {
				break
			}
			delete(pending, want)
			emit(want, r.r)
			want++
			<-tokens
		}
	}
	if failed != nil {
		panic(fmt.Sprintf("parallel: job %d panicked: %v", failed.i, failed.panic))
	}
}

// run calls job(i), turning a panic into an outcome.
func run[T any](i int, job func(int) T) (res outcome[T]) {
	res.i = i
	defer func() {
		if p := recover(); p != nil {
			res.panicked, res.panic = true, p
		}
	}()
	res.r = job(i)
	return res
}

// Map is Ordered collecting the results in a slice.
func Map[T any](n, workers int, job func(i int) T) []T {
	out := make([]T, n)
	Ordered(n, workers, job, func(i int, r T) { out[i] = r })
	return out
}
