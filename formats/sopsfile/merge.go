package sopsfile

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Value is one value of a plaintext file: its path (unique in the file)
// and the byte span of its text.
type Value struct {
	Path       string
	Start, End int
}

// Doc is a plaintext file split into values.
type Doc struct {
	Text   []byte
	Values []Value
}

// skeleton is the text with the values taken out: two versions with the
// same skeleton differ only in values.
func (d *Doc) skeleton() string {
	var b strings.Builder
	pos := 0
	for _, v := range d.Values {
		b.Write(d.Text[pos:v.Start])
		b.WriteString("\x00" + v.Path + "\x00")
		pos = v.End
	}
	b.Write(d.Text[pos:])
	return b.String()
}

func (d *Doc) byPath() map[string]string {
	m := make(map[string]string, len(d.Values))
	for _, v := range d.Values {
		m[v.Path] = string(d.Text[v.Start:v.End])
	}
	return m
}

// ConflictError names the paths both sides changed differently (or a
// change that cannot be placed); never values.
type ConflictError struct{ Paths []string }

func (e *ConflictError) Error() string {
	return "conflicting changes to " + strings.Join(e.Paths, ", ")
}

// ErrStructure means both sides changed more than values (added, removed
// or moved keys, comments, layout) in different ways.
var ErrStructure = errors.New("both sides changed the file's keys, comments or layout; merge it by hand")

// Merge3 merges ours and theirs relative to base value by value. When only
// one side changed more than values (keys added or removed, comments,
// layout), that side's text is the frame and the other side's value
// changes are applied to it by path. A value both sides changed differently
// is a conflict, as is a change to a value the frame no longer has.
func Merge3(base, ours, theirs *Doc) ([]byte, error) {
	sb, so, st := base.skeleton(), ours.skeleton(), theirs.skeleton()
	frame, other := ours, theirs
	switch {
	case so == st:
		// Same structure on both sides (maybe changed alike): value by value.
	case so == sb:
		frame, other = theirs, ours
	case st == sb:
	default:
		return nil, ErrStructure
	}
	bv, fv, ov := base.byPath(), frame.byPath(), other.byPath()
	var conflicts []string
	set := map[string]string{}
	for _, v := range other.Values {
		p := v.Path
		o := ov[p]
		b, inBase := bv[p]
		if inBase && o == b {
			continue // the other side left it alone
		}
		f, inFrame := fv[p]
		switch {
		case inFrame && f == o:
		case !inFrame && !inBase:
			// Added by the other side only, but the frame decides the
			// structure: only possible when both skeletons are equal.
			conflicts = append(conflicts, p)
		case !inFrame:
			conflicts = append(conflicts, p) // changed there, removed here
		case inBase && f == b:
			set[p] = o
		default:
			conflicts = append(conflicts, p)
		}
	}
	if len(conflicts) > 0 {
		sort.Strings(conflicts)
		return nil, &ConflictError{Paths: conflicts}
	}
	var out strings.Builder
	pos := 0
	for _, v := range frame.Values {
		t, ok := set[v.Path]
		if !ok {
			continue
		}
		out.Write(frame.Text[pos:v.Start])
		out.WriteString(t)
		pos = v.End
	}
	out.Write(frame.Text[pos:])
	return []byte(out.String()), nil
}

// UniquePaths makes repeated paths unique by adding "#2", "#3", ….
func UniquePaths(vs []Value) {
	seen := map[string]int{}
	for i := range vs {
		seen[vs[i].Path]++
		if n := seen[vs[i].Path]; n > 1 {
			vs[i].Path = fmt.Sprintf("%s#%d", vs[i].Path, n)
		}
	}
}
