package yamlwalk

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sv-secrets/sv/crypt"
	"go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"
)

// TestGeneratedInterop holds sv to issue 9's promise, "exact values on every
// path", on generated hostile values, with the real sops 3.13.3:
//
//   - sops→sv: files the real sops encrypted (comments encrypted, as sops
//     does by default) decrypt through sv's Decrypt to text that yaml.v3
//     and Helm's YAML 1.1 reader (sigs.k8s.io/yaml) both read back to every
//     original value, in type and value, with no ciphertext left;
//   - sv→sv: the same for files sv's Encrypt wrote, whose decryption is
//     moreover byte-identical to the plaintext unless Encrypt reported a
//     respelling or a warning;
//   - sv→sops: the real sops decrypts every file sv wrote (MAC verified)
//     to the original values (sops's own losses, such as 1.0 read back as
//     1, are counted apart and are not failures);
//   - set: setting one value (as `sv set` does: Decrypt, SetValue,
//     Reencrypt, KeepMetadataText) on a sops-written and on an sv-written
//     file changes that value's line and the mac and lastmodified lines and
//     nothing else; the result reads back exactly under both readers and
//     the real sops decrypts it, MAC verified.
//
// The plaintext documents are built with yaml.v3's encoder and checked to
// read back exactly under both readers before use. Values sit in every
// position: block mappings of depth 1 to 4, block sequences, sequences of
// mappings, flow mappings and sequences, and next to comments (before,
// between and after sequence items, as the only entries under a key).
// Each position is one file of many small documents, so that a document
// that does not parse costs only its own values.
//
// The run is deterministic (fixed seed). Failures are reported as counts
// per direction, check and value class, with a few reproducers each; the
// test fails if any count is not zero.
//
// Other seeds explore other values; the default suite runs only the
// default one (about 15 s). To run another, one at a time (add -v to see
// the notes, such as sops's own losses):
//
//	SV_GEN_SEED=7 go test ./yamlwalk -run 'TestGeneratedInterop|TestFastDecryptGenerated' -count=1
//
// TestFastDecryptGenerated reads SV_GEN_SEED too. Seeds 1 to 10 pass (as
// of 2026-11-30). What other seeds found is kept as tests: the generator
// double-quotes what yaml.v3's encoder writes wrong (seeds 5 and 6),
// checkSops tells sops's own emitter bugs from sv's (seeds 2, 5, 6 and 7),
// and TestSetSeeds replays the sv bug seed 5 found.
func TestGeneratedInterop(t *testing.T) {
	perShape := 560 // values per position: 10 positions, > 5,000 values
	if testing.Short() {
		perShape = 60
	}
	alice := loadTestIdentity(t, "alice.agekey")
	seed := uint64(20261130)
	if s := os.Getenv("SV_GEN_SEED"); s != "" {
		// Another seed explores other values; the default is fixed so a
		// failure reproduces.
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("SV_GEN_SEED: %v", err)
		}
		seed = v
	}
	g := &generator{r: rand.New(rand.NewPCG(9, seed))}
	rep := &genReport{}
	total := 0
	for _, sh := range genShapes {
		t.Run(sh.name, func(t *testing.T) {
			_, docs := g.file(t, sh, perShape)
			n := 0
			for _, d := range docs {
				n += len(d.leaves)
			}
			total += n
			dir := t.TempDir()
			runGenerated(t, rep, sh.name, alice, dir, docs, g)
		})
	}
	t.Logf("generated %d values in %d positions", total, len(genShapes))
	rep.summarize(t)
}

// genVal is one generated value.
type genVal struct {
	class string // report category, such as "str/yaml1.1-word"
	typ   string // str, int, float, bool or null
	text  string // the string itself, or the spelling of the scalar
}

// want returns the value as yaml.v3 decodes it into an interface{}.
func (v *genVal) want() any {
	switch v.typ {
	case "int":
		n, err := strconv.ParseInt(v.text, 10, 64)
		if err != nil {
			panic(err)
		}
		return int(n)
	case "float":
		f, err := strconv.ParseFloat(v.text, 64)
		if err != nil {
			panic(err)
		}
		return f
	case "bool":
		return strings.EqualFold(v.text, "true")
	case "null":
		return nil
	}
	return v.text
}

func (v *genVal) node() *yaml.Node {
	switch v.typ {
	case "null":
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	case "str":
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v.text}
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!" + v.typ, Value: v.text}
}

// genLeaf is a generated value at its place in a document.
type genLeaf struct {
	path ValuePath
	v    *genVal
	node *yaml.Node // in the document's tree, for restyling
}

// genDoc is one generated document: its tree (for the encoder) and its
// values.
type genDoc struct {
	root   *yaml.Node
	leaves []*genLeaf
	text   string // the document's plaintext, without "---" lines
	base   *sopsBase
}

// sopsBase is what the real sops makes of its own encryption of a
// document: sops decrypt of sops encrypt. Where sops loses a value on its
// own (comments in sequences, some block scalars), reading a file sv wrote
// cannot do better; such values are noted, not failed.
type sopsBase struct {
	v       any
	err     error
	fileErr bool              // sops could not decrypt its own file at all
	leaves  map[*genLeaf]bool // the values it holds
}

// sameLoss reports whether sops's own round trip loses leaf l of the
// document the same way: both outputs invalid YAML, or the same result at
// l's path.
func (b *sopsBase) sameLoss(l *genLeaf, parseErr error, got any, ok bool) bool {
	if b == nil || !b.leaves[l] {
		return false
	}
	if b.err != nil || parseErr != nil {
		return b.err != nil && parseErr != nil
	}
	bv, bok := lookup(b.v, l.path)
	return bok == ok && reflect.DeepEqual(bv, got)
}

type generator struct {
	r   *rand.Rand
	key int
}

var (
	yaml11Words = []string{"yes", "no", "on", "off", "y", "n", "Y", "N", "Yes", "No", "ON", "Off", "OFF", "YES",
		"true", "false", "True", "False", "TRUE", "FALSE", "~", "null", "Null", "NULL", "=", "<<"}
	numberLike = []string{"0x1F", "0X1f", "1e3", "1E3", "012", "0o17", "0b101", "1_000", "1_000.5", ".5", "+1", "-1",
		"+.5", "1.", "0.", "-0", "007", "1:20", "190:20:30", "1,000", ".inf", "-.Inf", ".NaN", ".nan", "1e", "0x",
		"6.02e23", "4.10", "1.0", "3", "-12", "1e-7", "+12.5e+3", "0xFFFFFFFFFFFFFFFFFF", "99999999999999999999999"}
	dateLike = []string{"2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5", "2002-12-14",
		"2001-12-15T02:59:43.1Z", "12:30:45", "2026-11-30T07:00:00Z", "1970-01-01"}
	indicators = []string{"#", " #", "# x", "a #b", ": ", "a: b", "key:", ":x", "- ", "- item", "-", "? ", "?x",
		"&anchor", "*alias", "!tag", "!!str", "%YAML", "@at", "`tick", "|", "|2", ">", ">-", "'", "''", "\"", "\\",
		"\\n", "it's", "say \"hi\"", "[", "]", "[a, b]", "{", "}", "{a: 1}", ",", "a,b", "---", "...", "--- x",
		"%", "{{ .Values.x }}", "$HOME", "a\\tb"}
	unicodeBits = []string{"é", "日本語", "🎉", "\u00a0", "\u2028", "\u2029", "\u200b", "\ufeff", "Ω≈ç√",
		"\u0085", "ﬁ", "İ", "\U0001F600x", "é\u0301"}
	wordBits = []string{"alpha", "beta", "secret", "pass", "x", "value", "db.internal", "a/b", "http://h:80/p?q=1#f",
		"C:\\dir", "key=value", "100%", "line"}
)

// str returns a hostile string and its class.
func (g *generator) str() *genVal {
	r := g.r
	pick := func(l []string) string { return l[r.IntN(len(l))] }
	switch k := r.IntN(16); k {
	case 0:
		return &genVal{class: "str/yaml1.1-word", typ: "str", text: pick(yaml11Words)}
	case 1:
		return &genVal{class: "str/number-like", typ: "str", text: pick(numberLike)}
	case 2:
		return &genVal{class: "str/date-like", typ: "str", text: pick(dateLike)}
	case 3:
		return &genVal{class: "str/empty", typ: "str", text: ""}
	case 4:
		return &genVal{class: "str/only-spaces", typ: "str", text: strings.Repeat(" ", 1+r.IntN(4))}
	case 5:
		return &genVal{class: "str/only-newlines", typ: "str", text: strings.Repeat("\n", 1+r.IntN(3))}
	case 6:
		var b strings.Builder
		n := 300 + r.IntN(3000)
		for b.Len() < n {
			b.WriteString(pick(wordBits))
			if r.IntN(8) == 0 {
				b.WriteString(pick([]string{": ", " #", "  ", "\t", ", "}))
			} else {
				b.WriteByte(' ')
			}
		}
		return &genVal{class: "str/long-line", typ: "str", text: strings.TrimRight(b.String(), " ")}
	case 7:
		w := pick(wordBits)
		return &genVal{class: "str/leading-trailing-space", typ: "str",
			text: pick([]string{" ", "  ", "   ", ""}) + w + pick([]string{" ", "  ", "", "\t"})}
	case 8:
		// Multi-line text: leading spaces on the first line, blank lines,
		// trailing spaces, with or without final newline(s).
		var lines []string
		for i := 0; i < 1+r.IntN(4); i++ {
			lines = append(lines, pick([]string{"", " ", "  ", "    ", "\t"})+pick(wordBits)+pick([]string{"", " ", ""}))
			if r.IntN(4) == 0 {
				lines = append(lines, "")
			}
		}
		return &genVal{class: "str/multi-line", typ: "str",
			text: pick([]string{"", "\n", " "}) + strings.Join(lines, "\n") + pick([]string{"", "\n", "\n\n", " \n"})}
	case 9:
		w := pick(wordBits)
		return &genVal{class: "str/tab", typ: "str", text: pick([]string{"\t" + w, w + "\t", w + "\t" + w, "\t", w + "\t\n" + w})}
	case 10:
		return &genVal{class: "str/indicator", typ: "str", text: pick(indicators) + pick([]string{"", "", pick(wordBits), " " + pick(wordBits)})}
	case 11:
		return &genVal{class: "str/unicode", typ: "str", text: pick(unicodeBits) + pick([]string{"", pick(wordBits), " " + pick(unicodeBits)})}
	case 12:
		return &genVal{class: "str/cr", typ: "str", text: pick([]string{"a\rb", "a\r\nb", "\r", "x\r"})}
	default:
		// A mix of two to four of the pieces above.
		var b strings.Builder
		for i := 0; i < 2+r.IntN(3); i++ {
			b.WriteString(pick([][]string{yaml11Words, numberLike, dateLike, indicators, unicodeBits, wordBits,
				{" ", "  ", "\n", "\t", ": ", " #", "\n\n", "\"", "'"}}[r.IntN(7)]))
		}
		return &genVal{class: "str/mixed", typ: "str", text: b.String()}
	}
}

// value returns a generated value of any kind.
func (g *generator) value() *genVal {
	r := g.r
	switch k := r.IntN(10); {
	case k < 6:
		return g.str()
	case k < 7:
		n := []string{"0", "1", "-1", "42", "5432", "-17", "9007199254740993", "-9223372036854775808",
			"9223372036854775807", strconv.Itoa(r.IntN(1 << 30))}
		return &genVal{class: "int", typ: "int", text: n[r.IntN(len(n))]}
	case k < 9:
		f := []string{"4.10", "6.02e23", "1.0", "0.5", "2.50", "-2.0", "1e-7", "3.14159", "100.0", "1.5e+300",
			".5", "1e3", "-0.25", "12.000", "1.0e10", "0.1"}
		return &genVal{class: "float", typ: "float", text: f[r.IntN(len(f))]}
	default:
		b := []string{"true", "false", "True", "FALSE"}
		return &genVal{class: "bool", typ: "bool", text: b[r.IntN(len(b))]}
	}
}

// genShape is one position values are put in.
type genShape struct {
	name   string
	indent int
	// doc appends one document holding up to n values to d.
	doc func(g *generator, d *genDoc, n int)
}

var genShapes = []genShape{
	{"map-depth1", 2, func(g *generator, d *genDoc, n int) {
		for i := 0; i < n; i++ {
			g.put(d, d.root, nil, g.value())
		}
	}},
	{"map-depth2", 4, func(g *generator, d *genDoc, n int) { g.nested(d, 2, n) }},
	{"map-depth3", 2, func(g *generator, d *genDoc, n int) { g.nested(d, 3, n) }},
	{"map-depth4", 2, func(g *generator, d *genDoc, n int) { g.nested(d, 4, n) }},
	{"block-seq", 2, func(g *generator, d *genDoc, n int) {
		for n > 0 {
			m := 1 + g.r.IntN(min(n, 5))
			seq := g.putColl(d, d.root, nil, yaml.SequenceNode, 0)
			for j := 0; j < m; j++ {
				g.put(d, seq.node, seq.path, g.value())
			}
			n -= m
		}
	}},
	{"seq-of-maps", 2, func(g *generator, d *genDoc, n int) {
		seq := g.putColl(d, d.root, nil, yaml.SequenceNode, 0)
		for n > 0 {
			item := g.putColl(d, seq.node, seq.path, yaml.MappingNode, 0)
			for j := 0; j < 1+g.r.IntN(3) && n > 0; j++ {
				g.put(d, item.node, item.path, g.value())
				n--
			}
		}
	}},
	{"flow-map", 2, func(g *generator, d *genDoc, n int) {
		for n > 0 {
			m := g.putColl(d, d.root, nil, yaml.MappingNode, yaml.FlowStyle)
			for j := 0; j < 1+g.r.IntN(3) && n > 0; j++ {
				g.put(d, m.node, m.path, g.value())
				n--
			}
		}
	}},
	{"flow-seq", 2, func(g *generator, d *genDoc, n int) {
		for n > 0 {
			parent, ppath := d.root, ValuePath(nil)
			if g.r.IntN(2) == 0 {
				m := g.putColl(d, d.root, nil, yaml.MappingNode, 0)
				parent, ppath = m.node, m.path
			}
			s := g.putColl(d, parent, ppath, yaml.SequenceNode, yaml.FlowStyle)
			for j := 0; j < 1+g.r.IntN(4) && n > 0; j++ {
				g.put(d, s.node, s.path, g.value())
				n--
			}
		}
	}},
	{"seq-comments", 2, func(g *generator, d *genDoc, n int) {
		// Comments before the first item, between items and after the
		// last, in sequences at depth 1 and 2; plus keys whose only
		// entries are comments.
		for n > 0 {
			parent, ppath := d.root, ValuePath(nil)
			if g.r.IntN(2) == 0 {
				m := g.putColl(d, d.root, nil, yaml.MappingNode, 0)
				parent, ppath = m.node, m.path
			}
			s := g.putColl(d, parent, ppath, yaml.SequenceNode, 0)
			m := 1 + g.r.IntN(min(n, 4))
			for j := 0; j < m; j++ {
				l := g.put(d, s.node, s.path, g.value())
				if j == 0 || g.r.IntN(2) == 0 {
					l.node.HeadComment = g.comment()
				}
				if j == m-1 && g.r.IntN(2) == 0 {
					l.node.FootComment = g.comment()
				}
			}
			n -= m
			if g.r.IntN(3) == 0 {
				g.put(d, parent, ppath, &genVal{class: "null/only-comments", typ: "null"})
			}
		}
	}},
	{"seq-of-maps-comments", 4, func(g *generator, d *genDoc, n int) {
		seq := g.putColl(d, d.root, nil, yaml.SequenceNode, 0)
		for n > 0 {
			item := g.putColl(d, seq.node, seq.path, yaml.MappingNode, 0)
			if g.r.IntN(2) == 0 {
				item.node.HeadComment = g.comment()
			}
			for j := 0; j < 1+g.r.IntN(3) && n > 0; j++ {
				l := g.put(d, item.node, item.path, g.value())
				switch g.r.IntN(4) {
				case 0:
					l.key.HeadComment = g.comment()
				case 1:
					l.node.LineComment = g.comment()
				}
				n--
			}
		}
		if g.r.IntN(2) == 0 {
			g.put(d, d.root, nil, &genVal{class: "null/only-comments", typ: "null"})
		}
	}},
}

// nested puts n values into block mappings of the given depth (one value
// at each level on the way, the rest at the deepest).
func (g *generator) nested(d *genDoc, depth, n int) {
	for n > 0 {
		parent, path := d.root, ValuePath(nil)
		for lvl := 1; lvl < depth; lvl++ {
			if g.r.IntN(2) == 0 && n > 1 {
				g.put(d, parent, path, g.value())
				n--
			}
			c := g.putColl(d, parent, path, yaml.MappingNode, 0)
			if g.r.IntN(4) == 0 {
				c.key.HeadComment = g.comment()
			}
			parent, path = c.node, c.path
		}
		for j := 0; j < 1+g.r.IntN(3) && n > 0; j++ {
			g.put(d, parent, path, g.value())
			n--
		}
	}
}

func (g *generator) comment() string {
	// Not "#" alone: sops writes an empty comment in a sequence as an
	// item "" and reads it back as one, so the value is lost in the file.
	c := []string{"# a comment", "# TODO: rotate", "#no space", "# - commented: item", "# 日本語 ✓", "#  x", "# key: value  # x"}
	s := c[g.r.IntN(len(c))]
	if g.r.IntN(4) == 0 {
		s += "\n" + c[g.r.IntN(len(c))]
	}
	return s
}

// placed is a node put into a document, with its key node (nil in a
// sequence) and path.
type placed struct {
	node, key *yaml.Node
	path      ValuePath
}

func (g *generator) step(parent *yaml.Node) (PathStep, *yaml.Node) {
	if parent.Kind == yaml.SequenceNode {
		return PathStep{Index: len(parent.Content), IsIndex: true}, nil
	}
	g.key++
	k := "k" + strconv.Itoa(g.key)
	return PathStep{Key: k}, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}
}

func (g *generator) attach(parent, key, n *yaml.Node) {
	if key != nil {
		parent.Content = append(parent.Content, key)
	}
	parent.Content = append(parent.Content, n)
}

// put adds value v under parent and records it as a leaf.
func (g *generator) put(d *genDoc, parent *yaml.Node, ppath ValuePath, v *genVal) placed {
	st, key := g.step(parent)
	n := v.node()
	g.attach(parent, key, n)
	p := append(slices.Clone(ppath), st)
	d.leaves = append(d.leaves, &genLeaf{path: p, v: v, node: n})
	return placed{node: n, key: key, path: p}
}

// putColl adds an empty collection under parent.
func (g *generator) putColl(d *genDoc, parent *yaml.Node, ppath ValuePath, kind yaml.Kind, style yaml.Style) placed {
	st, key := g.step(parent)
	tag := "!!map"
	if kind == yaml.SequenceNode {
		tag = "!!seq"
	}
	n := &yaml.Node{Kind: kind, Tag: tag, Style: style}
	g.attach(parent, key, n)
	return placed{node: n, key: key, path: append(slices.Clone(ppath), st)}
}

// file generates about total values in documents of the shape and returns
// the plaintext, checked to read back exactly under both readers.
func (g *generator) file(t *testing.T, sh genShape, total int) ([]byte, []*genDoc) {
	t.Helper()
	var docs []*genDoc
	for n := 0; n < total; {
		d := &genDoc{root: &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}}
		sh.doc(g, d, 4+g.r.IntN(8))
		// Empty collections would make the readers disagree on nothing
		// useful; every document has at least one value.
		docs = append(docs, d)
		n += len(d.leaves)
	}
	// The encoder picks each string's style; where Helm's YAML 1.1 reader
	// would read it differently, double quotes fix the plaintext.
	for round := 0; ; round++ {
		plain := encodeDocs(t, sh.indent, docs)
		plain = onlyCommentBlocks(plain, sh.indent, docs)
		bad := 0
		texts := splitDocs(plain)
		if len(texts) != len(docs) {
			// yaml.v3's encoder ends a literal block whose last break
			// is a U+2028 or U+2029 with that break alone and writes
			// the next "---" right after it, on the same line (seeds 5
			// and 6): the documents no longer split at "---" lines
			// (nor, for yaml.v3, where they were meant to). Double-
			// quote the strings of each document that does not end
			// its own line when written alone.
			for _, d := range docs {
				if one := encodeDocs(t, sh.indent, []*genDoc{d}); bytes.HasSuffix(one, []byte("\n")) && len(splitDocs(one)) == 1 {
					continue
				}
				for _, l := range d.leaves {
					if l.v.typ == "str" && l.node.Style != yaml.DoubleQuotedStyle {
						l.node.Style = yaml.DoubleQuotedStyle
						bad++
					}
				}
			}
			if bad == 0 || round > 2 {
				t.Fatalf("generator: %d documents written, %d read", len(docs), len(texts))
			}
			continue
		}
		for i, text := range texts {
			var fs []genFailure
			checkDoc(&fs, nil, "plain", "", text, docs[i])
			for _, f := range fs {
				if round > 2 {
					t.Fatalf("generator: the plaintext does not read back: %s\n%s", f.detail, text)
				}
				if f.leaf != nil && f.leaf.v.typ == "str" && !strings.Contains(f.check, "invalid YAML") {
					f.leaf.node.Style = yaml.DoubleQuotedStyle
				} else {
					// yaml.v3's encoder can write a document that is
					// not the one it was given, and the value that
					// reads back wrong need not be the one written
					// wrong: invalid YAML (a literal block after a
					// comment in a sequence of mappings), or a
					// literal block with a U+2028/U+2029 followed by
					// "---", which yaml.v3 reads as a line break and
					// a document start, so the values after it, of
					// any type, go missing. Double-quote every string
					// of the document; the check above still holds
					// every value, and a non-string that reads back
					// wrong after that fails the generator.
					for _, l := range docs[i].leaves {
						if l.v.typ == "str" {
							l.node.Style = yaml.DoubleQuotedStyle
						}
					}
				}
				bad++
			}
		}
		if bad == 0 {
			for i, text := range splitDocs(plain) {
				docs[i].text = text
			}
			if !bytes.Equal(joinDocs(docs), plain) {
				t.Fatal("generator: the documents do not join back into the stream")
			}
			return plain, docs
		}
	}
}

func encodeDocs(t *testing.T, indent int, docs []*genDoc) []byte {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(indent)
	for _, d := range docs {
		if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{d.root}}); err != nil {
			t.Fatalf("generator: encoding: %v", err)
		}
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// onlyCommentBlocks turns each "kN: null" of a null/only-comments value
// in a block mapping into "kN:" followed by comment lines only, indented
// one level deeper (the value stays null).
func onlyCommentBlocks(b []byte, indent int, docs []*genDoc) []byte {
	keys := map[string]bool{}
	for _, d := range docs {
		for _, l := range d.leaves {
			if l.v.class == "null/only-comments" {
				keys[l.path[len(l.path)-1].Key] = true
			}
		}
	}
	re := regexp.MustCompile(`(?m)^( *(?:- )?)(k[0-9]+): null$`)
	return re.ReplaceAllFunc(b, func(m []byte) []byte {
		sm := re.FindSubmatch(m)
		if !keys[string(sm[2])] {
			return m
		}
		pad := strings.Repeat(" ", len(sm[1])+indent)
		return []byte(fmt.Sprintf("%s%s:\n%s# only a comment here\n%s#   - commented: out", sm[1], sm[2], pad, pad))
	})
}

// splitDocs splits a YAML stream into its documents' texts at "---"
// lines. Every generated value is indented, so no value holds such a line.
func splitDocs(b []byte) []string {
	var docs []string
	cur := []string{}
	for _, l := range strings.SplitAfter(string(b), "\n") {
		if strings.TrimRight(l, "\r\n") == "---" {
			docs = append(docs, strings.Join(cur, ""))
			cur = cur[:0]
			continue
		}
		cur = append(cur, l)
	}
	last := strings.Join(cur, "")
	if strings.TrimSpace(last) != "" || len(docs) == 0 {
		docs = append(docs, last)
	}
	if len(docs) > 0 && strings.TrimSpace(docs[0]) == "" {
		docs = docs[1:]
	}
	return docs
}

// genFailure is one value that did not come back.
type genFailure struct {
	dir, check, class, shape string
	leaf                     *genLeaf
	detail                   string // reproducer: want, got, text
}

type genReport struct {
	failures []genFailure
	checked  map[string]int // direction → values checked
	notes    map[string]int // informational (not failures)
	examples map[string][]string
}

func (r *genReport) add(fs []genFailure) { r.failures = append(r.failures, fs...) }

func (r *genReport) count(dir string, n int) {
	if r.checked == nil {
		r.checked = map[string]int{}
	}
	r.checked[dir] += n
}

func (r *genReport) note(what, example string) {
	if r.notes == nil {
		r.notes = map[string]int{}
		r.examples = map[string][]string{}
	}
	r.notes[what]++
	if len(r.examples[what]) < 2 {
		r.examples[what] = append(r.examples[what], example)
	}
}

// summarize logs the checks and fails the test with one line per failure
// category (direction, check, value class) and a few reproducers.
func (r *genReport) summarize(t *testing.T) {
	t.Helper()
	dirs := slices.Sorted(maps.Keys(r.checked))
	for _, d := range dirs {
		t.Logf("checked %-22s %6d values", d, r.checked[d])
	}
	for _, w := range slices.Sorted(maps.Keys(r.notes)) {
		t.Logf("note (not a failure): %s: %d, e.g. %s", w, r.notes[w], strings.Join(r.examples[w], "; "))
	}
	if len(r.failures) == 0 {
		return
	}
	byCat := map[string][]genFailure{}
	byShape := map[string]int{}
	for _, f := range r.failures {
		cat := f.dir + " | " + f.check + " | " + f.class
		byCat[cat] = append(byCat[cat], f)
		byShape[f.dir+" | "+f.check+" | "+f.shape]++
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d value failures; by direction | check | value class:\n", len(r.failures))
	cats := slices.Sorted(maps.Keys(byCat))
	for _, c := range cats {
		fmt.Fprintf(&b, "  %5d  %s\n", len(byCat[c]), c)
	}
	fmt.Fprintf(&b, "by direction | check | position:\n")
	for _, c := range slices.Sorted(maps.Keys(byShape)) {
		fmt.Fprintf(&b, "  %5d  %s\n", byShape[c], c)
	}
	fmt.Fprintf(&b, "reproducers:\n")
	for _, c := range cats {
		seen := map[string]bool{}
		k := 0
		for _, f := range byCat[c] {
			if seen[f.detail] || k == 2 {
				continue
			}
			seen[f.detail] = true
			k++
			fmt.Fprintf(&b, "--- %s [%s]\n%s\n", c, f.shape, f.detail)
		}
	}
	t.Error(b.String())
}

// checkDoc reads one document's text with yaml.v3 and with sigs.k8s.io/yaml
// and compares every value of d. It appends one failure per value that
// does not come back under each reader. With note set (text is sv's
// decryption of a file sops wrote), a value that sops's own decryption of
// that file gives back wrong in the same way is lost in the file itself
// (sops writes an empty comment in a sequence as an item ""): it is noted
// instead. sv's text must be valid YAML whatever sops does.
func checkDoc(fs *[]genFailure, note func(what, example string), dir, shape, text string, d *genDoc) {
	excused := map[*genLeaf]bool{}
	lost := func(l *genLeaf, got any, ok bool) bool {
		if note == nil || d.base == nil || d.base.err != nil || !d.base.sameLoss(l, nil, got, ok) {
			return false
		}
		note("lost in the sops-written file itself (sops decrypt gives the same)", fmt.Sprintf("%s: want %#v, got %#v", l.path, l.v.want(), got))
		excused[l] = true
		return true
	}
	fail := func(check string, l *genLeaf, detail string) {
		class := "document"
		if l != nil {
			class = l.v.class
		}
		*fs = append(*fs, genFailure{dir: dir, check: check, class: class, shape: shape, leaf: l, detail: detail})
	}
	// yaml.v3, the reader sops and most Go tools use.
	var v3 any
	if err := yaml.Unmarshal([]byte(text), &v3); err != nil {
		for _, l := range d.leaves {
			fail("yaml.v3: invalid YAML", l, snippet(text, err))
		}
	} else {
		for _, l := range d.leaves {
			got, ok := lookup(v3, l.path)
			want := l.v.want()
			if (!ok || !sameV3(want, got)) && lost(l, got, ok) {
				continue
			}
			if !ok {
				fail("yaml.v3: value missing", l, fmt.Sprintf("path %s missing\n%s", l.path, excerpt(text, l)))
			} else if !sameV3(want, got) {
				fail("yaml.v3: wrong value", l, fmt.Sprintf("path %s: want %T %#v, got %T %#v\n%s", l.path, want, want, got, got, excerpt(text, l)))
			}
		}
		if ex := extraKeys(v3, d); ex != "" {
			if note != nil && d.base != nil && d.base.err == nil && extraKeys(d.base.v, d) == ex {
				note("lost in the sops-written file itself (sops decrypt gives the same)", ex)
			} else {
				fail("yaml.v3: extra value", nil, ex+"\n"+text)
			}
		}
	}
	// Helm's reader: sigs.k8s.io/yaml (YAML 1.1, through JSON).
	j, err := sigsyaml.YAMLToJSON([]byte(text))
	var k8s any
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(j))
		dec.UseNumber()
		err = dec.Decode(&k8s)
	}
	if err != nil {
		for _, l := range d.leaves {
			fail("yaml1.1 (Helm): invalid YAML", l, snippet(text, err))
		}
		return
	}
	for _, l := range d.leaves {
		if excused[l] {
			continue
		}
		got, ok := lookup(k8s, l.path)
		if !ok {
			fail("yaml1.1 (Helm): value missing", l, fmt.Sprintf("path %s missing\n%s", l.path, excerpt(text, l)))
		} else if !sameJSON(l.v, got) {
			want := l.v.want()
			fail("yaml1.1 (Helm): wrong value", l, fmt.Sprintf("path %s: want %T %#v, Helm reads %T %#v\n%s", l.path, want, want, got, got, excerpt(text, l)))
		}
	}
}

func lookup(v any, p ValuePath) (any, bool) {
	for _, st := range p {
		if st.IsIndex {
			s, ok := v.([]any)
			if !ok || st.Index >= len(s) {
				return nil, false
			}
			v = s[st.Index]
		} else {
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = m[st.Key]; !ok {
				return nil, false
			}
		}
	}
	return v, true
}

// extraKeys names a mapping key or sequence item the reader found that
// the document does not have ("" if none).
func extraKeys(v any, d *genDoc) string {
	want := map[string]bool{"": true}
	for _, l := range d.leaves {
		for i := 1; i <= len(l.path); i++ {
			want[l.path[:i].String()] = true
		}
	}
	var walk func(v any, p ValuePath) string
	walk = func(v any, p ValuePath) string {
		if !want[p.String()] {
			return "unexpected value at " + p.String()
		}
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s := walk(x, append(slices.Clone(p), PathStep{Key: k})); s != "" {
					return s
				}
			}
		case []any:
			for i, x := range v {
				if s := walk(x, append(slices.Clone(p), PathStep{Index: i, IsIndex: true})); s != "" {
					return s
				}
			}
		}
		return ""
	}
	// Empty collections the generator made are not values; only report
	// paths no leaf lies on.
	return walk(v, nil)
}

func sameV3(want, got any) bool {
	switch w := want.(type) {
	case float64:
		g, ok := got.(float64)
		return ok && g == w
	case nil:
		return got == nil
	}
	return want == got
}

// sameJSON compares a value with what sigs.k8s.io/yaml made of it: JSON
// does not tell ints from floats, so numbers compare as numbers.
func sameJSON(v *genVal, got any) bool {
	switch v.typ {
	case "str":
		s, ok := got.(string)
		return ok && s == v.text
	case "bool":
		b, ok := got.(bool)
		return ok && b == v.want()
	case "null":
		return got == nil
	}
	n, ok := got.(json.Number)
	if !ok {
		return false
	}
	if v.typ == "int" {
		if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
			return i == int64(v.want().(int))
		}
		f, err := strconv.ParseFloat(string(n), 64)
		return err == nil && f == float64(v.want().(int))
	}
	f, err := strconv.ParseFloat(string(n), 64)
	return err == nil && f == v.want().(float64)
}

// snippet is a parse error with the lines around the line it names.
func snippet(text string, err error) string {
	msg := err.Error()
	m := regexp.MustCompile(`line (\d+)`).FindStringSubmatch(msg)
	if m == nil {
		return msg + "\n" + headLines(text, 8)
	}
	n, _ := strconv.Atoi(m[1])
	return msg + "\n" + linesAround(text, n, 3)
}

func headLines(text string, n int) string {
	ls := strings.Split(text, "\n")
	return strings.Join(ls[:min(n, len(ls))], "\n")
}

func linesAround(text string, n, ctx int) string {
	ls := strings.Split(text, "\n")
	var b strings.Builder
	for i := max(1, n-ctx); i <= min(len(ls), n+ctx); i++ {
		mark := "  "
		if i == n {
			mark = "> "
		}
		fmt.Fprintf(&b, "%s%4d| %s\n", mark, i, ls[i-1])
	}
	return strings.TrimRight(b.String(), "\n")
}

// excerpt shows the lines of text around a value's key (or, in a
// sequence, its parent's key).
func excerpt(text string, l *genLeaf) string {
	var n yaml.Node
	if yaml.Unmarshal([]byte(text), &n) != nil || len(n.Content) == 0 {
		return headLines(text, 8)
	}
	cur := n.Content[0]
	line := cur.Line
	for _, st := range l.path {
		var next *yaml.Node
		switch {
		case st.IsIndex && cur.Kind == yaml.SequenceNode && st.Index < len(cur.Content):
			next = cur.Content[st.Index]
		case !st.IsIndex && cur.Kind == yaml.MappingNode:
			for i := 0; i+1 < len(cur.Content); i += 2 {
				if cur.Content[i].Value == st.Key {
					next = cur.Content[i+1]
					line = cur.Content[i].Line
				}
			}
		}
		if next == nil {
			break
		}
		cur = next
		if st.IsIndex {
			line = cur.Line
		}
	}
	return linesAround(text, line, 2)
}

// runGenerated runs every check of the test on one generated file.
func runGenerated(t *testing.T, rep *genReport, shape string, id testIdentity, dir string, docs []*genDoc, g *generator) {
	t.Helper()
	nvals := func(docs []*genDoc) int {
		n := 0
		for _, d := range docs {
			n += len(d.leaves)
		}
		return n
	}
	// failDocs counts every value of docs as failed (and checked).
	failDocs := func(dirn, check, detail string, docs []*genDoc) {
		rep.count(dirn, nvals(docs))
		for _, d := range docs {
			var fs []genFailure
			for _, l := range d.leaves {
				fs = append(fs, genFailure{dir: dirn, check: check, class: l.v.class, shape: shape, leaf: l, detail: detail})
			}
			rep.add(fs)
		}
	}
	// checkText compares a decrypted stream with docs under both readers.
	// Decryptions of files sops wrote (directions "sops→sv" and "set on
	// sops file") are compared with sops's own decryption too (checkDoc).
	checkText := func(dirn string, text []byte, docs []*genDoc) {
		var note func(what, example string)
		if strings.HasPrefix(dirn, "sops→sv") || strings.HasPrefix(dirn, "set on sops") {
			note = rep.note
		}
		if i := bytes.Index(text, []byte("ENC[")); i >= 0 {
			failDocs(dirn, "ciphertext left in the output", linesAround(string(text), bytes.Count(text[:i], []byte("\n"))+1, 1), docs)
			return
		}
		texts := splitDocs(text)
		if len(texts) != len(docs) {
			failDocs(dirn, "document count", fmt.Sprintf("%d documents, want %d", len(texts), len(docs)), docs)
			return
		}
		rep.count(dirn, nvals(docs))
		var fs []genFailure
		for i, d := range docs {
			checkDoc(&fs, note, dirn, shape, texts[i], d)
		}
		rep.add(fs)
	}
	// narrow runs whole on docs. If that fails, the error counts once for
	// the file, and each document is tried alone (alone gets its index in
	// docs and the part of whole's partial output, if any, that holds it);
	// documents that fail alone count as failed values and the rest is
	// tried again without them. It returns whole's output and the
	// documents it holds.
	narrow := func(dirn, check string, docs []*genDoc, whole func([]*genDoc) ([]byte, []byte, error), alone func(i int, part []byte) error) ([]byte, []*genDoc) {
		checkOf := func(err error) string {
			if se, ok := err.(*stepError); ok {
				return se.check
			}
			return check
		}
		for round := 0; len(docs) > 0; round++ {
			out, partial, err := whole(docs)
			if err == nil {
				return out, docs
			}
			rep.add([]genFailure{{dir: dirn, check: checkOf(err) + " (whole file)", class: "file", shape: shape, detail: err.Error()}})
			parts := splitDocs(partial)
			if len(parts) != len(docs) {
				parts = make([]string, len(docs))
			}
			var rest []*genDoc
			for i, d := range docs {
				if err := alone(i, []byte(parts[i])); err != nil {
					failDocs(dirn, checkOf(err), snippet(d.text, err), []*genDoc{d})
				} else {
					rest = append(rest, d)
				}
			}
			if len(rest) == len(docs) || round == 3 {
				failDocs(dirn, checkOf(err)+" (only in the whole file)", err.Error(), rest)
				return nil, nil
			}
			docs = rest
		}
		return nil, nil
	}
	plainFile := filepath.Join(dir, "plain.yaml")
	sopsEncrypt := func(text []byte) ([]byte, error) {
		if err := os.WriteFile(plainFile, text, 0o600); err != nil {
			t.Fatal(err)
		}
		out, stderr, err := runSops(t, dir, "", "encrypt", "--age", id.recipient.String, plainFile)
		if err != nil {
			t.Fatalf("sops encrypt of the generated file: %v\n%s", err, stderr)
		}
		return out, nil
	}

	// sops→sv.
	var sopsDocs []*genDoc
	var sopsOut []byte
	var sopsDec *Decrypted
	sopsOut, sopsDocs = narrow("sops→sv", "sv decrypt: error", docs, func(docs []*genDoc) ([]byte, []byte, error) {
		enc, _ := sopsEncrypt(joinDocs(docs))
		dec, err := Decrypt(enc, DecryptOptions{Keys: id.keyring})
		sopsDec = dec
		return enc, enc, err
	}, func(i int, part []byte) error {
		_, err := Decrypt(part, DecryptOptions{Keys: id.keyring, IgnoreMAC: true})
		return err
	})
	if sopsDec != nil && sopsOut != nil {
		// The baseline: sops's own round trip.
		f := filepath.Join(dir, "sops-written.yaml")
		if err := os.WriteFile(f, sopsOut, 0o600); err != nil {
			t.Fatal(err)
		}
		out, stderr, err := runSops(t, dir, id.file, "decrypt", f)
		if err != nil {
			// sops cannot open its own file: nothing sv writes for these
			// documents can be held to more.
			for _, d := range sopsDocs {
				b := &sopsBase{err: fmt.Errorf("%v: %s", err, headLines(string(stderr), 1)), fileErr: true, leaves: map[*genLeaf]bool{}}
				for _, l := range d.leaves {
					b.leaves[l] = true
				}
				d.base = b
			}
		} else if texts := splitDocs(out); len(texts) == len(sopsDocs) {
			for i, d := range sopsDocs {
				b := &sopsBase{leaves: map[*genLeaf]bool{}}
				b.err = yaml.Unmarshal([]byte(texts[i]), &b.v)
				for _, l := range d.leaves {
					b.leaves[l] = true
				}
				d.base = b
			}
		}
		checkText("sops→sv", sopsDec.Text, sopsDocs)
	}

	// sv→sv and sv→sops.
	svEncrypt := func(text []byte) (*Result, error) {
		return Encrypt(text, EncryptOptions{KeyGroups: [][]crypt.Recipient{{id.recipient}}, Now: time.Now()})
	}
	var res *Result
	var svDec *Decrypted
	svOut, svDocs := narrow("sv→sv", "sv encrypt: error", docs, func(docs []*genDoc) ([]byte, []byte, error) {
		r, err := svEncrypt(joinDocs(docs))
		if err != nil {
			return nil, nil, &stepError{"sv encrypt: error", err}
		}
		res = r
		if svDec, err = Decrypt(r.Out, DecryptOptions{Keys: id.keyring}); err != nil {
			return nil, r.Out, &stepError{"sv decrypt: error", err}
		}
		return r.Out, nil, nil
	}, func(i int, _ []byte) error {
		r, err := svEncrypt([]byte(docs[i].text))
		if err != nil {
			return &stepError{"sv encrypt: error", err}
		}
		if _, err := Decrypt(r.Out, DecryptOptions{Keys: id.keyring}); err != nil {
			return &stepError{"sv decrypt: error", err}
		}
		return nil
	})
	if svOut != nil {
		checkText("sv→sv", svDec.Text, svDocs)
		if plain := joinDocs(svDocs); len(res.Respelled) == 0 && len(res.Warnings) == 0 && !bytes.Equal(svDec.Text, plain) {
			failDocs("sv→sv (bytes)", "not byte-identical, nothing reported respelled", firstDiffLine(plain, svDec.Text), svDocs)
		} else {
			rep.count("sv→sv (bytes)", nvals(svDocs))
		}
		for range res.Respelled {
			rep.note("sv encrypt reported a respelling", shape)
		}
		checkSops(t, rep, "sv→sops", shape, id, dir, svOut, svDocs, failDocs)
	}

	// set, on a sops-written and on an sv-written file of the first
	// documents (set changes the first document; a smaller file keeps
	// the three re-encryptions quick).
	if len(sopsDocs) > 0 {
		sub := sopsDocs[:min(len(sopsDocs), 10)]
		enc, _ := sopsEncrypt(joinDocs(sub))
		checkSets(t, rep, "set on sops file", shape, id, dir, enc, sub, g, checkText, failDocs)
	}
	if len(svDocs) > 0 {
		sub := svDocs[:min(len(svDocs), 10)]
		if r, err := svEncrypt(joinDocs(sub)); err != nil {
			failDocs("set on sv file", "sv encrypt: error", err.Error(), sub)
		} else {
			checkSets(t, rep, "set on sv file", shape, id, dir, r.Out, sub, g, checkText, failDocs)
		}
	}
}

// stepError is an error of one step of a check, named by check.
type stepError struct {
	check string
	err   error
}

func (e *stepError) Error() string { return e.err.Error() }

// joinDocs is the plaintext stream of docs.
func joinDocs(docs []*genDoc) []byte {
	var b bytes.Buffer
	for i, d := range docs {
		if i > 0 {
			b.WriteString("---\n")
		}
		b.WriteString(d.text)
	}
	return b.Bytes()
}

// checkSops has the real sops decrypt a file sv wrote; sops must accept it
// (MAC verified) and give every value back. Number spellings sops itself
// changes (1.0 to 1) are noted, not failed, and so are the bugs of sops's
// own YAML output, where sv's side is right and sops writes the same values
// the same way when it has nothing to decrypt:
//   - its emitter stops on a document (sopsEmitterCrash): the file is
//     decrypted one document at a time and only the documents whose
//     plaintext sops cannot write either are left out;
//   - it gives a value back wrong (a literal block in a sequence that
//     loses its leading spaces) while sv's decryption holds the value.
func checkSops(t *testing.T, rep *genReport, dirn, shape string, id testIdentity, dir string, enc []byte, docs []*genDoc, failDocs func(dirn, check, detail string, docs []*genDoc)) {
	t.Helper()
	f := filepath.Join(dir, "sv-written.yaml")
	if err := os.WriteFile(f, enc, 0o600); err != nil {
		t.Fatal(err)
	}
	var svTexts []string
	if dec, err := Decrypt(enc, DecryptOptions{Keys: id.keyring}); err == nil {
		svTexts = splitDocs(dec.Text)
	}
	// plainOf is what sops's emitter makes of sv's decryption of
	// document d (svTexts[i]) with nothing to decrypt, asked once.
	sopsPlain := map[*genDoc]*sopsEmitted{}
	plainOf := func(d *genDoc, i int) *sopsEmitted {
		if sopsPlain[d] == nil {
			sopsPlain[d] = &sopsEmitted{err: fmt.Errorf("sv cannot decrypt the file")}
			if len(svTexts) == len(docs) {
				sopsPlain[d] = sopsEmit(t, dir, id, svTexts[i])
			}
		}
		return sopsPlain[d]
	}
	out, stderr, err := runSops(t, dir, id.file, "decrypt", f)
	var texts []string
	// eachAlone has sops decrypt each document alone, once sops has
	// verified the whole file's MAC (a document's MAC is the whole
	// file's: not checked again); only the documents it decrypts alone
	// are compared below.
	eachAlone := func() bool {
		parts := splitDocs(enc)
		if len(parts) != len(docs) {
			return false
		}
		var kd []*genDoc
		var kt, ks []string
		pf := filepath.Join(dir, "sv-written-document.yaml")
		for i, part := range parts {
			if err := os.WriteFile(pf, []byte(part), 0o600); err != nil {
				t.Fatal(err)
			}
			o, se, err := runSops(t, dir, id.file, "decrypt", "--ignore-mac", pf)
			switch {
			case err == nil:
				kd, kt = append(kd, docs[i]), append(kt, string(o))
				if len(svTexts) == len(docs) {
					ks = append(ks, svTexts[i])
				}
			case sopsEmitterCrash.Match(se) && plainOf(docs[i], i).crashed:
				rep.count(dirn, len(docs[i].leaves))
				for _, l := range docs[i].leaves {
					rep.note("sops's emitter stops on the document (cannot encode node with unknown kind 0), on its plaintext too", l.path.String())
				}
			default:
				failDocs(dirn, "sops decrypt: error", fmt.Sprintf("document %d alone: %v: %s", i, err, sopsErrorLines(se)), docs[i:i+1])
			}
		}
		docs, texts, svTexts = kd, kt, ks
		return true
	}
	switch {
	case err == nil && len(splitDocs(out)) == len(docs):
		texts = splitDocs(out)
	case err == nil:
		// sops's emitter ends a literal block whose last break is a
		// U+2028 or U+2029 with that break alone and writes the next
		// "---" on the same line (seeds 5 and 6): its output has fewer
		// documents. So does sops's own round trip (encrypt, decrypt)
		// of sv's decryption of the file, or this fails.
		got, want := len(splitDocs(out)), len(docs)
		own := -1
		if len(svTexts) == len(docs) {
			own = sopsRoundTripDocs(t, dir, id, strings.Join(svTexts, "---\n"))
		}
		if own != got || !eachAlone() {
			failDocs(dirn, "document count", fmt.Sprintf("%d documents, want %d", got, want), docs)
			return
		}
		rep.note("sops's output has fewer documents, as in its own round trip", fmt.Sprintf("%s: %d documents, want %d", shape, got, want))
	case sopsEmitterCrash.Match(stderr):
		// sops verified the MAC and decrypted every value before its
		// emitter stopped ("Error dumping file" comes after DecryptTree
		// in sops's cmd/sops/decrypt.go). Which documents can it not
		// write?
		if !eachAlone() {
			failDocs(dirn, "sops decrypt: error", fmt.Sprintf("%v: %s", err, sopsErrorLines(stderr)), docs)
			return
		}
	default:
		own := true
		for _, d := range docs {
			own = own && d.base != nil && d.base.fileErr
		}
		if own {
			for _, d := range docs {
				for _, l := range d.leaves {
					rep.note("sops cannot decrypt its own encryption of the file either", fmt.Sprintf("%s: %v", l.path, d.base.err))
				}
			}
			return
		}
		failDocs(dirn, "sops decrypt: error", fmt.Sprintf("%v: %s", err, sopsErrorLines(stderr)), docs)
		return
	}
	nvals := 0
	for _, d := range docs {
		nvals += len(d.leaves)
	}
	rep.count(dirn, nvals)
	var fs []genFailure
	for i, d := range docs {
		var v3 any
		if err := yaml.Unmarshal([]byte(texts[i]), &v3); err != nil {
			for _, l := range d.leaves {
				// sops's own round trip of this document is invalid YAML
				// too: sops cannot write it, whatever value was set.
				if d.base.sameLoss(l, err, nil, false) || d.base != nil && d.base.err != nil {
					rep.note("sops's own round trip gives invalid YAML too", l.path.String())
					continue
				}
				// The values (as sv decrypts them) written the way sops
				// writes its output are invalid YAML too: a bug of sops's
				// emitter (yaml.v3's encoder), not of the file.
				if i < len(svTexts) && sopsEmitterFails(svTexts[i]) {
					rep.note("sops's emitter writes these values as invalid YAML", l.path.String())
					continue
				}
				fs = append(fs, genFailure{dirn, "sops output: invalid YAML", l.v.class, shape, l, snippet(texts[i], err)})
			}
			continue
		}
		var svV3 any
		svOK := i < len(svTexts) && yaml.Unmarshal([]byte(svTexts[i]), &svV3) == nil
		for _, l := range d.leaves {
			got, ok := lookup(v3, l.path)
			want := l.v.want()
			switch {
			case ok && sameV3(want, got):
			case ok && l.v.typ == "float" && numEqual(want, got):
				rep.note("sops writes a float back as an int", fmt.Sprintf("%s -> %v", l.v.text, got))
			case d.base.sameLoss(l, nil, got, ok):
				rep.note("sops's own round trip loses the value the same way", fmt.Sprintf("%s: want %#v, sops gives %#v", l.path, want, got))
			case svOK && plainOf(d, i).sameLoss(svV3, l, got, ok):
				// A value sops's round trip had no chance to lose (a
				// value set after it): sv's decryption holds it, sops's
				// emitter loses it with nothing to decrypt.
				rep.note("sops's emitter loses the value the same way with nothing to decrypt", fmt.Sprintf("%s: want %#v, sops gives %#v", l.path, want, got))
			case !ok:
				fs = append(fs, genFailure{dirn, "sops decrypt: value missing", l.v.class, shape, l, "path " + l.path.String()})
			default:
				fs = append(fs, genFailure{dirn, "sops decrypt: wrong value", l.v.class, shape, l,
					fmt.Sprintf("path %s: want %T %#v, sops gives %T %#v", l.path, want, want, got, got)})
			}
		}
	}
	rep.add(fs)
}

// sopsEmitterCrash is how sops 3.13.3 stops when its YAML store cannot
// write a tree it holds: a string that starts with a tab and holds a line
// break (which it writes as null when alone) with a comment on its line,
// such as `k: "\tx\n" # c`. It stops after decrypting ("Error dumping
// file", sops decrypt) or before writing ("Could not marshal tree", sops
// encrypt of that one line with --unencrypted-regex '^k$'). Seed 2 hits it.
var sopsEmitterCrash = regexp.MustCompile(`(?m)^(Error dumping file|Could not marshal tree): Error marshaling to YAML: yaml: cannot encode node with unknown kind 0$`)

// sopsEmitted is the real sops's output for a plaintext document with
// nothing to decrypt: `sops encrypt --unencrypted-regex .` leaves every
// value under a top-level key as it is and writes it with the same emitter
// as sops decrypt.
type sopsEmitted struct {
	out     string // the output
	v       any    // its first document read by yaml.v3, without the sops key
	err     error  // sops failed, or its output is not YAML
	crashed bool   // sops failed with sopsEmitterCrash
}

func sopsEmit(t *testing.T, dir string, id testIdentity, text string) *sopsEmitted {
	t.Helper()
	f := filepath.Join(dir, "sv-decrypted-document.yaml")
	if err := os.WriteFile(f, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(f)
	out, stderr, err := runSops(t, dir, "", "encrypt", "--age", id.recipient.String, "--unencrypted-regex", ".", f)
	if err != nil {
		return &sopsEmitted{err: fmt.Errorf("%v: %s", err, sopsErrorLines(stderr)), crashed: sopsEmitterCrash.Match(stderr)}
	}
	var v any
	if err := yaml.Unmarshal(out, &v); err != nil {
		return &sopsEmitted{out: string(out), err: err}
	}
	if m, ok := v.(map[string]any); ok {
		delete(m, "sops")
	}
	return &sopsEmitted{out: string(out), v: v}
}

// sameLoss reports whether sops's emitter, given sv's decryption (svV3, in
// which l holds its value), gives back at l's path what sops decrypt gave
// (got, ok) and not the value.
func (e *sopsEmitted) sameLoss(svV3 any, l *genLeaf, got any, ok bool) bool {
	if e.err != nil {
		return false
	}
	if sv, svok := lookup(svV3, l.path); !svok || !sameV3(l.v.want(), sv) {
		return false
	}
	ev, eok := lookup(e.v, l.path)
	return eok == ok && reflect.DeepEqual(ev, got)
}

// sopsRoundTripDocs is the number of documents in sops's decryption of its
// own encryption of text (-1 if either fails).
func sopsRoundTripDocs(t *testing.T, dir string, id testIdentity, text string) int {
	t.Helper()
	f := filepath.Join(dir, "sv-decrypted.yaml")
	if err := os.WriteFile(f, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(f)
	enc, _, err := runSops(t, dir, "", "encrypt", "--age", id.recipient.String, f)
	if err != nil {
		return -1
	}
	if err := os.WriteFile(f, enc, 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err := runSops(t, dir, id.file, "decrypt", f)
	if err != nil {
		return -1
	}
	return len(splitDocs(out))
}

// sopsErrorLines is sops's stderr without its warnings (about comments
// that are not encrypted, in files sv wrote), which come before the error.
func sopsErrorLines(stderr []byte) string {
	var keep []string
	for _, l := range strings.Split(strings.TrimSpace(string(stderr)), "\n") {
		if !strings.Contains(l, "level=warning") {
			keep = append(keep, l)
		}
	}
	return headLines(strings.Join(keep, "\n"), 3)
}

func numEqual(a, b any) bool {
	f := func(v any) (float64, bool) {
		switch v := v.(type) {
		case int:
			return float64(v), true
		case float64:
			return v, true
		}
		return 0, false
	}
	x, ok1 := f(a)
	y, ok2 := f(b)
	return ok1 && ok2 && x == y
}

// setOnce does what `sv set` does to an encrypted file: decrypt, set the
// value in the plaintext, re-encrypt under the same data key reusing the
// ciphertext of unchanged values, keep the sops block's spelling.
func setOnce(enc []byte, keys KeySource, p ValuePath, typ, value string) ([]byte, error) {
	dec, err := Decrypt(enc, DecryptOptions{Keys: keys})
	if err != nil {
		return nil, fmt.Errorf("decrypt: %w", err)
	}
	text, err := SetValue(dec.Text, p, typ, value)
	if err != nil {
		return nil, fmt.Errorf("SetValue: %w", err)
	}
	encComments := bytes.Contains(enc, []byte("#ENC[AES256_GCM,")) || bytes.Contains(enc, []byte(",type:comment]"))
	res, err := Reencrypt(text, dec, EncryptOptions{Now: time.Now(), EncryptComments: encComments})
	if err != nil {
		return nil, fmt.Errorf("Reencrypt: %w", err)
	}
	return KeepMetadataText(enc, res.Out), nil
}

// checkSets sets three values of the first document, one after the other,
// on an encrypted file. After each, only the value's own line and the mac
// and lastmodified lines may differ; at the end, sv's decryption reads back
// exactly and the real sops decrypts the file.
func checkSets(t *testing.T, rep *genReport, dirn, shape string, id testIdentity, dir string, enc []byte, docs []*genDoc, g *generator,
	checkText func(string, []byte, []*genDoc), failDocs func(dirn, check, detail string, docs []*genDoc)) {
	t.Helper()
	// The documents with the new values: copies of the leaves, the first
	// document's changed.
	cp := make([]*genDoc, len(docs))
	for i, d := range docs {
		cp[i] = &genDoc{root: d.root, leaves: slices.Clone(d.leaves), text: d.text, base: d.base}
	}
	first := cp[0]
	var picks []int
	for i, l := range first.leaves {
		if l.v.typ != "null" {
			picks = append(picks, i)
		}
	}
	sort.Ints(picks)
	if len(picks) > 3 {
		picks = []int{picks[0], picks[len(picks)/2], picks[len(picks)-1]}
	}
	cur := enc
	for k, i := range picks {
		old := first.leaves[i]
		var nv *genVal
		switch k {
		case 0:
			nv = g.str()
		case 1:
			nv = g.value()
		default:
			nv = g.str()
		}
		nv = &genVal{class: "set " + nv.class, typ: nv.typ, text: nv.text}
		out, err := setOnce(cur, id.keyring, old.path, nv.typ, nv.text)
		rep.count(dirn+" (one line)", 1)
		if err != nil {
			rep.add([]genFailure{{dirn, "set: error", nv.class, shape, old, fmt.Sprintf("set %s (%s): %v", old.path, nv.typ, err)}})
			continue
		}
		if d := unexpectedChanges(cur, out, old.path); d != "" {
			rep.add([]genFailure{{dirn, "set: other lines changed", nv.class, shape, old, d}})
		}
		first.leaves[i] = &genLeaf{path: old.path, v: nv, node: old.node}
		cur = out
	}
	dec, err := Decrypt(cur, DecryptOptions{Keys: id.keyring})
	if err != nil {
		failDocs(dirn, "sv decrypt: error", err.Error(), cp)
	} else {
		checkText(dirn, dec.Text, cp)
	}
	checkSops(t, rep, dirn+"→sops", shape, id, dir, cur, cp, failDocs)
}

// unexpectedChanges describes the first line of after that differs from
// before other than the value at p's own line and the sops block's mac and
// lastmodified lines ("" if none).
func unexpectedChanges(before, after []byte, p ValuePath) string {
	bl := strings.Split(string(before), "\n")
	al := strings.Split(string(after), "\n")
	valueLine, valueEnd := -1, -1
	var n yaml.Node
	if yaml.Unmarshal(before, &n) == nil && len(n.Content) > 0 {
		cur := n.Content[0]
		for _, st := range p {
			var next *yaml.Node
			if st.IsIndex && cur.Kind == yaml.SequenceNode {
				// sops writes comments in sequences as items of type
				// comment; they are not values.
				k := 0
				for _, it := range cur.Content {
					if it.Kind == yaml.ScalarNode && strings.HasSuffix(it.Value, ",type:comment]") {
						continue
					}
					if k == st.Index {
						next = it
						break
					}
					k++
				}
			} else if !st.IsIndex && cur.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(cur.Content); i += 2 {
					if cur.Content[i].Value == st.Key {
						next = cur.Content[i+1]
					}
				}
			}
			if next == nil {
				cur = nil
				break
			}
			cur = next
		}
		if cur != nil {
			valueLine = cur.Line - 1
			valueEnd = valueLine
			if cur.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 && valueLine+1 < len(bl) {
				// sv writes a block value as its header and one line of
				// ciphertext; with keep chomping ("+") the empty lines
				// after it are the value's too.
				valueEnd = valueLine + 1
				if strings.Contains(bl[valueLine], "+") {
					for valueEnd+1 < len(bl) && strings.TrimSpace(bl[valueEnd+1]) == "" {
						valueEnd++
					}
				}
			}
		}
	}
	if len(bl) != len(al) {
		// Show the differing region: after the common prefix (the value's
		// own line counts as equal) and before the common suffix.
		meta := func(a, b string) bool {
			a, b = strings.TrimSpace(a), strings.TrimSpace(b)
			for _, k := range []string{"mac: ", "lastmodified: "} {
				if strings.HasPrefix(a, k) && strings.HasPrefix(b, k) {
					return true
				}
			}
			return a == b
		}
		i := 0
		for i < min(len(bl), len(al)) && meta(bl[i], al[i]) {
			i++
		}
		j := 0
		for j < min(len(bl), len(al))-i && meta(bl[len(bl)-1-j], al[len(al)-1-j]) {
			j++
		}
		if valueLine >= 0 && i >= valueLine && len(bl)-j <= valueEnd+1 {
			return "" // only the value's own lines changed
		}
		region := func(l []string) string {
			r := l[i : len(l)-j]
			if len(r) > 6 {
				r = append(r[:6:6], "…")
			}
			return "  " + strings.Join(r, "\n  ")
		}
		return fmt.Sprintf("set %s (on line %d): %d lines became %d; lines %d-%d were:\n%s\nand became:\n%s",
			p, valueLine+1, len(bl), len(al), i+1, len(bl)-j, region(bl), region(al))
	}
	for i := range bl {
		if bl[i] == al[i] || valueLine <= i && i <= valueEnd {
			continue
		}
		tr := strings.TrimSpace(bl[i])
		if strings.HasPrefix(tr, "mac: ") || strings.HasPrefix(tr, "lastmodified: ") {
			continue
		}
		return fmt.Sprintf("set %s changed line %d (the value is on line %d):\n- %s\n+ %s", p, i+1, valueLine+1, bl[i], al[i])
	}
	return ""
}

func firstDiffLine(want, got []byte) string {
	wl := strings.Split(string(want), "\n")
	gl := strings.Split(string(got), "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\nwant %q\ngot  %q", i+1, w, g)
		}
	}
	return "texts differ"
}

// sopsEmitterFails reports whether text's values, written as sops writes its
// output (yaml.v3's encoder with 4-space indentation, every scalar in the
// style the encoder picks), give invalid YAML.
func sopsEmitterFails(text string) bool {
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(text), &n); err != nil {
		return false
	}
	var plain func(n *yaml.Node)
	plain = func(n *yaml.Node) {
		n.Style = 0
		for _, c := range n.Content {
			plain(c)
		}
	}
	plain(&n)
	var b bytes.Buffer
	e := yaml.NewEncoder(&b)
	e.SetIndent(4)
	if err := e.Encode(&n); err != nil {
		return true
	}
	e.Close()
	var v any
	return yaml.Unmarshal(b.Bytes(), &v) != nil
}

// TestSetSeeds replays what TestGeneratedInterop's "set on sops file" found
// on other seeds, one file of testdata/set-seeds each: the real sops
// encrypts the file, sv sets "other" to "changed" as `sv set` does, and
// only that line (and the mac and lastmodified lines) may change; sv and
// the real sops (MAC verified) both read back every value.
//
// ls-ps-block-end.yaml (seed 5): sv decrypts a value whose last line break
// is an LS or PS to a literal block; the block's text ended before that
// break, so setting any other value failed ("cannot locate the value's
// text").
func TestSetSeeds(t *testing.T) {
	alice := loadTestIdentity(t, "alice.agekey")
	files, _ := filepath.Glob(filepath.Join("testdata", "set-seeds", "*.yaml"))
	if len(files) == 0 {
		t.Fatal("no testdata/set-seeds/*.yaml")
	}
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			enc := sopsEncrypted(t, src, alice.recipient.String)
			out, err := setOnce(enc, alice.keyring, ValuePath{{Key: "other"}}, "str", "changed")
			if err != nil {
				t.Fatalf("set other: %v", err)
			}
			if d := unexpectedChanges(enc, out, ValuePath{{Key: "other"}}); d != "" {
				t.Fatal(d)
			}
			var want map[string]any
			if err := yaml.Unmarshal(src, &want); err != nil {
				t.Fatal(err)
			}
			want["other"] = "changed"
			dec, err := Decrypt(out, DecryptOptions{Keys: alice.keyring})
			if err != nil {
				t.Fatalf("sv decrypt after set: %v", err)
			}
			var got map[string]any
			if err := yaml.Unmarshal(dec.Text, &got); err != nil {
				t.Fatalf("sv decrypt after set: %v\n%s", err, dec.Text)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("sv decrypt after set: %s", firstDiff("", want, got))
			}
			dir := t.TempDir()
			f := filepath.Join(dir, "set.yaml")
			if err := os.WriteFile(f, out, 0o600); err != nil {
				t.Fatal(err)
			}
			js, stderr, err := runSops(t, dir, alice.file, "decrypt", "--output-type", "json", f)
			if err != nil {
				t.Fatalf("sops decrypt after set: %v\n%s", err, sopsErrorLines(stderr))
			}
			// Through JSON, as sops gives it, so numbers compare alike.
			var sopsGot, jsonWant map[string]any
			wj, _ := json.Marshal(want)
			if err := json.Unmarshal(wj, &jsonWant); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(js, &sopsGot); err != nil {
				t.Fatalf("sops decrypt after set: %v", err)
			}
			if !reflect.DeepEqual(sopsGot, jsonWant) {
				t.Fatalf("sops decrypt after set: %s", firstDiff("", jsonWant, sopsGot))
			}
		})
	}
}
