package yamlwalk

import (
	"errors"
	"strconv"
	"strings"

	"github.com/sv-secrets/sv/crypt"
)

// leafRecord is a leaf's identity and value, to compare texts before and
// after an edit.
type leafRecord struct {
	path, aad, typ, pt string
}

func leafRecords(b []byte) ([]leafRecord, error) {
	f, err := Parse(b)
	if err != nil {
		return nil, err
	}
	var out []leafRecord
	err = f.walk(true, func(l *Leaf) error {
		typ, pt, err := plaintext(l.Node)
		if err != nil {
			return &ValueError{Path: l.Path, Line: l.Node.Line, Err: err}
		}
		out = append(out, leafRecord{path: strconv.Itoa(l.Doc) + ":" + l.Path, aad: strconv.Itoa(l.Doc) + ":" + crypt.AAD(l.Keys), typ: typ, pt: string(pt)})
		return nil
	})
	return out, err
}

var errEditCheck = errors.New("the edit would have changed other values; nothing was written (please report this)")

// checkSet verifies that out holds pt at p and that every other leaf is as
// it was in src.
func checkSet(src, out []byte, p ValuePath, typ, pt string) error {
	before, err := leafRecords(src)
	if err != nil {
		return err
	}
	after, err := leafRecords(out)
	if err != nil {
		return &PathError{Path: p, Msg: "the new text does not parse (please report this): " + err.Error()}
	}
	target := "0:" + p.String()
	found := false
	for _, r := range after {
		if r.path == target {
			if r.typ != typ || r.pt != pt {
				return &PathError{Path: p, Msg: "the new value would not read back as written (please report this)"}
			}
			found = true
		}
	}
	if !found {
		return &PathError{Path: p, Msg: "the new value is missing from the result (please report this)"}
	}
	// A null or {} the new keys replace was a leaf (or nothing) before.
	for i := len(p) - 1; i > 0; i-- {
		before = drop(before, "0:"+p[:i].String(), false)
	}
	if !sameRecords(drop(before, target, false), drop(after, target, false)) {
		return &PathError{Path: p, Msg: errEditCheck.Error()}
	}
	return nil
}

// checkDelete verifies that out is src without the subtree at p.
func checkDelete(src, out []byte, p ValuePath) error {
	before, err := leafRecords(src)
	if err != nil {
		return err
	}
	after, err := leafRecords(out)
	if err != nil {
		return &PathError{Path: p, Msg: "the new text does not parse (please report this): " + err.Error()}
	}
	target := "0:" + p.String()
	kept := drop(before, target, true)
	if len(p) > 0 && p[len(p)-1].IsIndex {
		// Later items move up: compare without display paths.
		if len(kept) != len(after) {
			return &PathError{Path: p, Msg: errEditCheck.Error()}
		}
		for i := range kept {
			if kept[i].aad != after[i].aad || kept[i].typ != after[i].typ || kept[i].pt != after[i].pt {
				return &PathError{Path: p, Msg: errEditCheck.Error()}
			}
		}
		return nil
	}
	if !sameRecords(kept, after) {
		return &PathError{Path: p, Msg: errEditCheck.Error()}
	}
	return nil
}

// drop removes the leaf at path (and, with subtree, everything below it).
func drop(rs []leafRecord, path string, subtree bool) []leafRecord {
	var out []leafRecord
	for _, r := range rs {
		if r.path == path {
			continue
		}
		if subtree && (strings.HasPrefix(r.path, path+".") || strings.HasPrefix(r.path, path+"[")) {
			continue
		}
		out = append(out, r)
	}
	return out
}

func sameRecords(a, b []leafRecord) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
