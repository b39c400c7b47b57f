package yamlwalk

import (
	"fmt"
	"strconv"

	"github.com/sv-secrets/sv/crypt"
	"go.yaml.in/yaml/v3"
)

// Limits on the work any input can cause. sv follows aliases as sops does
// (to list values, compute the MAC, mask, navigate), so a file anyone can
// push could otherwise make every reader expand a "billion laughs" chain of
// aliases or recurse through thousands of nesting levels. Every parsed
// document is measured before anything walks it; the measurement itself is
// linear in the document (each node once, aliases by their memoized size).
const (
	// MaxDepth is the deepest nesting of mappings and sequences, counted
	// through aliases. Real values files stay below 30.
	MaxDepth = 1000
	// MaxAliasNodes is the most nodes that may be reached through aliases
	// in one file, whatever its size (yaml.v3's decoder refuses less
	// for all but very large files: see allowedAliasRatio).
	MaxAliasNodes = 1_000_000
	// MaxPathWork bounds the sum, over every node reached by an expanded
	// walk, of its depth: the cost of building the paths of the values
	// (a deep mapping aliased many times is cheap to count, not to walk).
	MaxPathWork = 50_000_000
)

// LimitError means a file exceeds one of the limits above. Like every error
// here it names a line, never a value.
type LimitError struct {
	Line int
	Msg  string
}

func (e *LimitError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

// allowedAliasRatio is yaml.v3's: the share of decoded nodes that may come
// from alias expansion, 99% for documents up to 400,000 nodes, falling to
// 10% at 4,000,000.
func allowedAliasRatio(total int64) float64 {
	const low, high = 400_000, 4_000_000
	switch {
	case total <= low:
		return 0.99
	case total >= high:
		return 0.10
	default:
		return 0.99 - 0.89*(float64(total-low)/float64(high-low))
	}
}

// measure is what an expanded walk of a node costs.
type measure struct {
	size  int64 // nodes, aliases expanded
	depth int   // levels of collections, aliases expanded
	work  int64 // sum of the relative depth of every expanded node
}

const saturate = int64(1) << 50

func satAdd(a, b int64) int64 {
	if a+b > saturate || a+b < 0 {
		return saturate
	}
	return a + b
}

type limiter struct {
	memo   map[*yaml.Node]measure
	active map[*yaml.Node]bool
	direct int64 // nodes as written (an alias counts as one)
	size   int64 // nodes reached by an expanded walk
	work   int64
}

func newLimiter() *limiter {
	return &limiter{memo: map[*yaml.Node]measure{}, active: map[*yaml.Node]bool{}}
}

// CheckLimits measures a document (or any node) parsed by yaml.v3 and
// returns a *LimitError if walking it with aliases expanded would exceed
// MaxDepth, yaml.v3's alias ratio, MaxAliasNodes or MaxPathWork, or if an
// alias refers to a collection that contains it.
func CheckLimits(n *yaml.Node) error { return newLimiter().doc(n) }

// doc measures one more document of a stream; the budgets are the
// stream's.
func (l *limiter) doc(n *yaml.Node) error {
	m, err := l.measure(n, 0)
	if err != nil {
		return err
	}
	l.size = satAdd(l.size, m.size)
	l.work = satAdd(l.work, m.work)
	aliased := l.size - l.direct
	if aliased > MaxAliasNodes || aliased > 100 && l.size > 1000 && float64(aliased)/float64(l.size) > allowedAliasRatio(l.size) {
		return &LimitError{Line: n.Line, Msg: "excessive aliasing: the aliases expand to far more values than the file holds"}
	}
	if l.work > MaxPathWork {
		return &LimitError{Line: n.Line, Msg: "excessive aliasing: deep collections are repeated through aliases too often"}
	}
	return nil
}

// measure computes n's measure; level is n's nesting level as written,
// checked against MaxDepth before going deeper so that the recursion is
// bounded too.
func (l *limiter) measure(n *yaml.Node, level int) (measure, error) {
	if n == nil {
		return measure{}, nil
	}
	if n.Kind == yaml.AliasNode {
		l.direct++
		t := n.Alias
		if t == nil {
			return measure{size: 1}, nil
		}
		if l.active[t] {
			return measure{}, &LimitError{Line: n.Line, Msg: "an alias refers to a collection that contains it (a recursive alias)"}
		}
		m, ok := l.memo[t]
		if !ok {
			// An anchor defined after its alias cannot occur in yaml.v3's
			// output, but measure it anyway rather than trust that.
			var err error
			if m, err = l.measure(t, level); err != nil {
				return measure{}, err
			}
		}
		return m, nil
	}
	if m, ok := l.memo[n]; ok {
		return m, nil // measured (and counted) through an alias already
	}
	l.direct++
	if len(n.Content) == 0 {
		m := measure{size: 1}
		l.memo[n] = m
		return m, nil
	}
	if level >= MaxDepth {
		return measure{}, &LimitError{Line: n.Line, Msg: fmt.Sprintf("nesting too deep: more than %d levels of mappings and lists", MaxDepth)}
	}
	l.active[n] = true
	m := measure{size: 1}
	for _, c := range n.Content {
		cm, err := l.measure(c, level+1)
		if err != nil {
			return measure{}, err
		}
		m.size = satAdd(m.size, cm.size)
		m.depth = max(m.depth, cm.depth)
		// Every node below c is one level deeper from n than from c.
		m.work = satAdd(m.work, satAdd(cm.work, cm.size))
	}
	m.depth++
	delete(l.active, n)
	l.memo[n] = m
	if m.depth > MaxDepth {
		return measure{}, &LimitError{Line: n.Line, Msg: fmt.Sprintf("nesting too deep: aliases expand to more than %d levels", MaxDepth)}
	}
	return m, nil
}

// Limits on the sops block, which anyone can edit (the MAC does not cover
// it) and every reader parses before it knows whether it can decrypt.
const (
	// MaxKeyGroups is the most key groups a file may have: Shamir's scheme
	// over GF(256) cannot make more shares.
	MaxKeyGroups = 255
	// MaxRecipients is the most recipient entries (age and other kinds, all
	// groups) a file may have. Real files have a handful.
	MaxRecipients = 1000
)

// Validate applies validate to metadata read by another store (JSON,
// dotenv, INI, binary): the same limits as for YAML files.
func (m *Metadata) Validate() error {
	n := 0
	for _, g := range m.KeyGroups {
		n += len(g.Age) + g.Other
	}
	return m.validate(n)
}

// validate checks what every reader relies on: a threshold the key groups
// can meet, bounded counts, and age entries that are age files. n is the
// number of recipient entries.
func (m *Metadata) validate(n int) error {
	if len(m.KeyGroups) > MaxKeyGroups {
		return &MetadataError{fmt.Sprintf("%d key groups (at most %d)", len(m.KeyGroups), MaxKeyGroups)}
	}
	if n > MaxRecipients {
		return &MetadataError{fmt.Sprintf("%d recipient entries (at most %d)", n, MaxRecipients)}
	}
	if m.ShamirThreshold < 0 {
		return &MetadataError{"shamir_threshold is negative"}
	}
	if len(m.KeyGroups) > 1 && m.ShamirThreshold > len(m.KeyGroups) {
		return &MetadataError{fmt.Sprintf("shamir_threshold %d is more than the %d key groups", m.ShamirThreshold, len(m.KeyGroups))}
	}
	if len(m.KeyGroups) > 1 && m.ShamirThreshold == 1 {
		return &MetadataError{"shamir_threshold 1 with several key groups (Shamir's scheme needs at least 2; sops never writes 1)"}
	}
	for gi, g := range m.KeyGroups {
		if m.Grouped && len(g.Age)+g.Other == 0 {
			return &MetadataError{fmt.Sprintf("key group %d has no keys", gi+1)}
		}
		for i, k := range g.Age {
			if err := crypt.CheckWrapped(k.Enc); err != nil {
				where := fmt.Sprintf("age entry %d", i+1)
				if m.Grouped {
					where = fmt.Sprintf("key group %d, age entry %d", gi+1, i+1)
				}
				return &MetadataError{where + ": " + err.Error()}
			}
		}
	}
	return nil
}

// safeTag is a tag for a message: tags are the file's markup, not values,
// but a long or odd one is cut.
func safeTag(t string) string {
	if len(t) > 40 {
		t = t[:40] + "…"
	}
	return strconv.Quote(t)
}
