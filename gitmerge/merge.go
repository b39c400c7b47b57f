// Package gitmerge merges three versions (base, ours, theirs) of a plaintext
// YAML text, as git's merge driver for encrypted files needs: leaf by leaf
// for values under mapping keys, line by line for everything else.
//
// Values are identified by their key path. A value changed on one side
// takes that side's text, the same change on both sides is taken once, and
// different changes to one value are a conflict named by its path. Because
// those values are settled first, edits to values on adjacent lines do not
// conflict (a line merge alone would say they do). What is left (added and
// removed keys, sequence items, comments) merges like lines in diff3, and
// overlapping or adjacent changes there are conflicts too, named by the
// paths of the values they touch.
//
// Everything happens in memory: no plaintext is written anywhere, and no
// error or conflict carries a value, only paths and line numbers.
package gitmerge

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/sv-secrets/sv/yamlwalk"
)

// Conflict is one region both sides changed differently.
type Conflict struct {
	// Paths are the YAML paths of the values in the region, in display form
	// (db.password, hosts[0]); empty when the region holds none (comments,
	// or keys without values).
	Paths []string
	// Lines is the region's 1-based line range in ours (after merging
	// values); First > Last when ours deleted the region.
	First, Last int
	// Reason is set when the conflict is not a region (e.g. invalid YAML).
	Reason string
}

func (c Conflict) String() string {
	if c.Reason != "" {
		return c.Reason
	}
	if len(c.Paths) > 0 {
		return strings.Join(c.Paths, ", ")
	}
	if c.First > c.Last {
		return fmt.Sprintf("text deleted by ours after line %d", c.Last)
	}
	if c.First == c.Last {
		return fmt.Sprintf("line %d (no values: comments or structure)", c.First)
	}
	return fmt.Sprintf("lines %d-%d (no values: comments or structure)", c.First, c.Last)
}

// Result is a merge. Text is set only when there are no conflicts.
type Result struct {
	Text      []byte
	Conflicts []Conflict
}

// Paths lists the paths of all conflicts, without duplicates, in order.
func (r *Result) Paths() []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range r.Conflicts {
		names := c.Paths
		if len(names) == 0 {
			names = []string{c.String()}
		}
		for _, p := range names {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// InputError is a version that is not YAML the merge can work on.
type InputError struct {
	Side string // "base", "ours" or "theirs"
	Err  error
}

func (e *InputError) Error() string { return e.Side + ": " + e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// Merge merges ours and theirs relative to base. An empty base (the file was
// added on both sides) has no values in common with either.
func Merge(base, ours, theirs []byte) (*Result, error) {
	sides := [3][]byte{base, ours, theirs}
	names := [3]string{"base", "ours", "theirs"}
	var scalars [3]map[string]yamlwalk.Scalar
	for i, b := range sides {
		if i == 0 && len(strings.TrimSpace(string(b))) == 0 {
			scalars[i] = map[string]yamlwalk.Scalar{}
			continue
		}
		ss, err := yamlwalk.Scalars(b)
		if err != nil {
			return nil, &InputError{Side: names[i], Err: err}
		}
		scalars[i] = byPath(ss)
	}

	// Settle values present under the same key path in all three.
	var edits [3][]edit
	var valueConflicts []string
	for key, sa := range scalars[1] {
		so, ok1 := scalars[0][key]
		sb, ok2 := scalars[2][key]
		if !ok1 || !ok2 || so.Column != sa.Column || sb.Column != sa.Column {
			continue
		}
		to, ta, tb := text(base, so), text(ours, sa), text(theirs, sb)
		var resolved string
		switch {
		case ta == tb, tb == to:
			resolved = ta
		case ta == to:
			resolved = tb
		default:
			// Left as is: the line merge reports the region, and this
			// names it precisely.
			valueConflicts = append(valueConflicts, display(sa))
			continue
		}
		for i, s := range []yamlwalk.Scalar{so, sa, sb} {
			if text(sides[i], s) != resolved {
				edits[i] = append(edits[i], edit{s.Start, s.End, resolved})
			}
		}
	}
	var settled [3][]byte
	for i := range sides {
		settled[i] = apply(sides[i], edits[i])
	}

	o, a, b := lines(settled[0]), lines(settled[1]), lines(settled[2])
	out, ranges := merge3(o, a, b)
	res := &Result{}
	if len(ranges) > 0 {
		res.Conflicts = describe(settled[1], settled[2], ranges)
		sort.Strings(valueConflicts)
		// Value conflicts are part of the regions; make sure each is named
		// even if the region naming missed it.
		named := map[string]bool{}
		for _, p := range res.Paths() {
			named[p] = true
		}
		for _, p := range valueConflicts {
			if !named[p] {
				res.Conflicts = append(res.Conflicts, Conflict{Paths: []string{p}})
			}
		}
		return res, nil
	}
	res.Text = []byte(strings.Join(out, ""))
	if _, err := yamlwalk.Scalars(res.Text); err != nil {
		var se *yamlwalk.SyntaxError
		reason := "the merged text is not valid YAML"
		if errors.As(err, &se) {
			reason += ": " + se.Error()
		}
		return &Result{Conflicts: []Conflict{{Reason: reason}}}, nil
	}
	return res, nil
}

type edit struct {
	start, end int
	text       string
}

func apply(b []byte, edits []edit) []byte {
	sort.Slice(edits, func(i, j int) bool { return edits[i].start < edits[j].start })
	var sb strings.Builder
	pos := 0
	for _, e := range edits {
		sb.Write(b[pos:e.start])
		sb.WriteString(e.text)
		pos = e.end
	}
	sb.Write(b[pos:])
	return []byte(sb.String())
}

// byPath indexes the values a leaf merge can settle: those with text, under
// mapping keys only (a sequence index moves when items are inserted).
func byPath(ss []yamlwalk.Scalar) map[string]yamlwalk.Scalar {
	m := map[string]yamlwalk.Scalar{}
	for _, s := range ss {
		if s.InSequence || s.Start < 0 {
			continue
		}
		m[fmt.Sprintf("%d\x00%s", s.Doc, s.Path)] = s
	}
	return m
}

func text(b []byte, s yamlwalk.Scalar) string { return string(b[s.Start:s.End]) }

func display(s yamlwalk.Scalar) string {
	if s.Doc > 0 {
		return fmt.Sprintf("%s (document %d)", s.Path, s.Doc+1)
	}
	return s.Path
}

// describe names the values each conflicting region touches, on either
// side.
func describe(ours, theirs []byte, ranges []conflictRange) []Conflict {
	spans := func(b []byte) []lineSpan {
		ss, err := yamlwalk.Scalars(b)
		if err != nil {
			return nil
		}
		starts := lineStarts(b)
		var out []lineSpan
		for _, s := range ss {
			ls := lineSpan{path: display(s), first: s.Line - 1, last: s.Line - 1}
			if s.End > s.Start {
				// The line holding the value's last byte.
				ls.last = sort.SearchInts(starts, s.End) - 1
			}
			out = append(out, ls)
		}
		return out
	}
	sa, sb := spans(ours), spans(theirs)
	var out []Conflict
	for _, r := range ranges {
		c := Conflict{First: r.a0 + 1, Last: r.a1}
		seen := map[string]bool{}
		add := func(ss []lineSpan, lo, hi int) {
			for _, s := range ss {
				if s.first < hi && s.last >= lo && !seen[s.path] {
					seen[s.path] = true
					c.Paths = append(c.Paths, s.path)
				}
			}
		}
		add(sa, r.a0, r.a1)
		add(sb, r.b0, r.b1)
		out = append(out, c)
	}
	return out
}

type lineSpan struct {
	path        string
	first, last int // 0-based lines
}

func lineStarts(b []byte) []int {
	starts := []int{0}
	for i, c := range b {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}
