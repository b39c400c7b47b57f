package gitmerge

// This file holds a plain line-based three-way merge (diff3), done in
// memory so that plaintext never needs a file for git merge-file.

// lines splits b after each '\n', keeping the line breaks (and any '\r'),
// so joining the lines gives b back byte for byte.
func lines(b []byte) []string {
	var out []string
	start := 0
	for i, c := range b {
		if c == '\n' {
			out = append(out, string(b[start:i+1]))
			start = i + 1
		}
	}
	if start < len(b) {
		out = append(out, string(b[start:]))
	}
	return out
}

// maxEdit bounds the work (and the O(maxEdit²) memory) of one diff; beyond
// it the differing middle is treated as changed wholesale, which is a
// conflict if both sides changed it.
const maxEdit = 2000

// match returns, for each line of a, the index of the line of b it is
// paired with in a longest common subsequence, or -1.
func match(a, b []string) []int {
	m := make([]int, len(a))
	for i := range m {
		m[i] = -1
	}
	// Common prefix and suffix cost nothing and keep the search small.
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		m[pre] = pre
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		m[len(a)-1-suf] = len(b) - 1 - suf
		suf++
	}
	for _, p := range myers(a[pre:len(a)-suf], b[pre:len(b)-suf]) {
		m[pre+p[0]] = pre + p[1]
	}
	return m
}

// myers finds a shortest edit script between a and b (E. Myers, "An O(ND)
// Difference Algorithm", 1986) and returns the matched line pairs in order.
func myers(a, b []string) [][2]int {
	n, m := len(a), len(b)
	if n == 0 || m == 0 {
		return nil
	}
	limit := min(n+m, maxEdit)
	off := limit + 1
	v := make([]int, 2*limit+3)
	var trace [][]int
	found := -1
	for d := 0; d <= limit && found < 0; d++ {
		snap := make([]int, 2*d+1)
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || k != d && v[off+k-1] < v[off+k+1] {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[off+k] = x
			if x >= n && y >= m {
				found = d
			}
		}
		for k := -d; k <= d; k++ {
			snap[k+d] = v[off+k]
		}
		trace = append(trace, snap)
	}
	if found < 0 {
		return nil // too different: no pairs, the whole middle differs
	}
	// Walk back through the snapshots to recover the path: each step is one
	// insertion or deletion followed by a run of matching lines (a snake).
	var pairs [][2]int
	x, y := n, m
	for d := found; d > 0; d-- {
		prev := trace[d-1] // V after step d-1, indexed by k+(d-1)
		get := func(k int) int { return prev[k+d-1] }
		k := x - y
		var pk int
		if k == -d || k != d && get(k-1) < get(k+1) {
			pk = k + 1 // came down: a line of b inserted
		} else {
			pk = k - 1 // came right: a line of a deleted
		}
		px := get(pk)
		py := px - pk
		midX := px
		if pk == k-1 {
			midX = px + 1
		}
		for x > midX {
			x--
			y--
			pairs = append(pairs, [2]int{x, y})
		}
		x, y = px, py
	}
	for x > 0 && y > 0 {
		x--
		y--
		pairs = append(pairs, [2]int{x, y})
	}
	for i, j := 0, len(pairs)-1; i < j; i, j = i+1, j-1 {
		pairs[i], pairs[j] = pairs[j], pairs[i]
	}
	return pairs
}

// chunk is one region of a three-way merge: stable (all three agree) or
// not, with the line ranges it covers in base, ours and theirs.
type chunk struct {
	stable         bool
	o0, o1, a0, a1 int
	b0, b1         int
}

// diff3 splits the three texts into stable and unstable chunks in order.
func diff3(o, a, b []string) []chunk {
	ma, mb := match(o, a), match(o, b)
	var out []chunk
	i, ai, bi := 0, 0, 0
	for {
		k := 0
		for i+k < len(o) && ma[i+k] == ai+k && mb[i+k] == bi+k {
			k++
		}
		if k > 0 {
			out = append(out, chunk{stable: true, o0: i, o1: i + k, a0: ai, a1: ai + k, b0: bi, b1: bi + k})
			i, ai, bi = i+k, ai+k, bi+k
			continue
		}
		j := i
		for j < len(o) && (ma[j] < 0 || mb[j] < 0) {
			j++
		}
		if j == len(o) {
			if i < len(o) || ai < len(a) || bi < len(b) {
				out = append(out, chunk{o0: i, o1: len(o), a0: ai, a1: len(a), b0: bi, b1: len(b)})
			}
			return out
		}
		out = append(out, chunk{o0: i, o1: j, a0: ai, a1: ma[j], b0: bi, b1: mb[j]})
		i, ai, bi = j, ma[j], mb[j]
	}
}

func equal(x, y []string) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}

// conflictRange is a region both sides changed differently, as line ranges
// (0-based, end exclusive) of ours and theirs.
type conflictRange struct {
	a0, a1, b0, b1 int
}

// merge3 merges line lists: a region changed on one side takes that side, an
// identical change on both sides is taken once, and different changes to one
// region (or to adjacent lines) are conflicts, whose ours text is kept.
func merge3(o, a, b []string) ([]string, []conflictRange) {
	var out []string
	var conflicts []conflictRange
	for _, c := range diff3(o, a, b) {
		oc, ac, bc := o[c.o0:c.o1], a[c.a0:c.a1], b[c.b0:c.b1]
		switch {
		case c.stable, equal(oc, bc):
			out = append(out, ac...)
		case equal(oc, ac), equal(ac, bc):
			out = append(out, bc...)
		default:
			out = append(out, ac...)
			conflicts = append(conflicts, conflictRange{c.a0, c.a1, c.b0, c.b1})
		}
	}
	return out, conflicts
}
