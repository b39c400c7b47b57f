package yamlwalk

import (
	"bytes"
	"slices"
	"sort"
	"strings"

	"github.com/sv-secrets/sv/crypt"
	"go.yaml.in/yaml/v3"
)

// Comments are plaintext in sv's files by default. With encryption of
// comments on, each comment is encrypted the way sops does it: the text after
// "#" as a value of type comment, bound to the path of the branch sops
// attaches the comment to, written as "#ENC[…]" in place.

// commentRef is one comment line as sops sees it, in sops's order.
type commentRef struct {
	text string   // the line from "#" on, trailing blanks trimmed
	keys []string // the path of the branch holding it
}

// commentOrder lists every comment line in the order and with the paths
// sops's YAML store gives them (see walkComments).
func (f *File) commentOrder() []commentRef {
	var out []commentRef
	f.walkComments(func(c string, path []string) {
		for _, l := range strings.Split(c, "\n") {
			if l = strings.TrimRight(l, " \t\r"); strings.HasPrefix(strings.TrimSpace(l), "#") {
				out = append(out, commentRef{strings.TrimSpace(l), slices.Clone(path)})
			}
		}
	})
	return out
}

// walkComments visits every comment of the file (a node's head, line or
// foot comment, possibly several lines) in the order sops's YAML store
// reads them, with the path of the branch sops binds it to
// (stores/yaml/store.go, appendYamlNodeToTreeBranch). path is only valid
// during the call. One walk serves encryption (commentOrder) and
// decryption (derivedCommentPaths), so the two can't drift apart.
func (f *File) walkComments(visit func(c string, path []string)) {
	var stack []string // the keys of the branch being walked
	add := func(c string, depth int) {
		if c != "" {
			visit(c, stack[:depth])
		}
	}
	var mapping, seq func(n *yaml.Node, depth int, handled, top bool)
	mapping = func(n *yaml.Node, depth int, handled, top bool) {
		if !handled {
			add(n.HeadComment, depth)
			add(n.LineComment, depth)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if top && k.Value == "sops" {
				// Comments at the end of a document come before the sops
				// block sops appends, so yaml.v3 reads them as the head
				// comment of the sops key; sops bound them to the document.
				add(k.HeadComment, depth)
				continue
			}
			add(k.HeadComment, depth)
			add(k.LineComment, depth)
			switch v.Kind {
			case yaml.ScalarNode, yaml.AliasNode:
				add(v.HeadComment, depth)
				add(v.LineComment, depth)
				add(v.FootComment, depth)
			case yaml.MappingNode, yaml.SequenceNode:
				stack = append(stack[:depth], k.Value)
				if v.Kind == yaml.MappingNode {
					mapping(v, depth+1, false, false)
				} else {
					seq(v, depth+1, false, false)
				}
			}
			add(k.FootComment, depth)
		}
		if !handled {
			add(n.FootComment, depth)
		}
	}
	seq = func(n *yaml.Node, depth int, handled, _ bool) {
		if !handled {
			add(n.HeadComment, depth)
			add(n.LineComment, depth)
		}
		for _, c := range n.Content {
			add(c.HeadComment, depth)
			add(c.LineComment, depth)
			switch c.Kind {
			case yaml.MappingNode:
				mapping(c, depth, true, false)
			case yaml.SequenceNode:
				seq(c, depth, true, false)
			}
			add(c.FootComment, depth)
		}
		if !handled {
			add(n.FootComment, depth)
		}
	}
	for _, d := range f.Docs {
		add(d.node.HeadComment, 0)
		add(d.node.LineComment, 0)
		if d.Root != nil {
			mapping(d.Root, 0, false, true)
		}
		add(d.node.FootComment, 0)
	}
}

// commentToken is a comment found in the text.
type commentToken struct {
	off, end int // from "#" to the end of the line's content
	text     string
}

// commentTokens finds the comments of the text: a "#" at the start of a line
// or after a blank, outside every scalar.
func (f *File) commentTokens() ([]commentToken, error) {
	spans, err := f.allScalarSpans()
	if err != nil {
		return nil, err
	}
	b := f.src.b
	var out []commentToken
	si := 0
	for i := 0; i < len(b); i++ {
		if b[i] != '#' || (i > 0 && b[i-1] != ' ' && b[i-1] != '\t' && b[i-1] != '\n') {
			continue
		}
		for si < len(spans) && spans[si][1] <= i {
			si++
		}
		if si < len(spans) && spans[si][0] <= i {
			continue
		}
		end := contentEnd(b, i, f.src.lineEnd(i))
		out = append(out, commentToken{off: i, end: end, text: strings.TrimRight(string(b[i:end]), " \t")})
		i = end
	}
	return out, nil
}

// allScalarSpans returns the sorted byte ranges of every scalar (keys and
// values) of every document, the sops block included.
func (f *File) allScalarSpans() ([][2]int, error) {
	var spans [][2]int
	var rec func(n *yaml.Node, indent int, flow bool) error
	rec = func(n *yaml.Node, indent int, flow bool) error {
		switch n.Kind {
		case yaml.ScalarNode:
			off, err := f.src.offset(n.Line, n.Column)
			if err != nil {
				return err
			}
			sp, err := f.src.scalarSpan(n, off, indent, flow)
			if err != nil {
				return err
			}
			spans = append(spans, [2]int{sp.start, sp.end})
		case yaml.MappingNode, yaml.SequenceNode:
			fl := flow || n.Style&yaml.FlowStyle != 0
			for _, c := range n.Content {
				if err := rec(c, n.Column-1, fl); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, d := range f.Docs {
		if d.Root != nil {
			if err := rec(d.Root, 0, false); err != nil {
				return nil, err
			}
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i][0] < spans[j][0] })
	return spans, nil
}

// encryptComments encrypts every plaintext comment the rules select, as
// sops would, and returns the edits.
//
// prev, if set, says how the comments of the file this text was decrypted
// from were encrypted (see Decrypted.commentsByText): the k-th comment with
// a given text keeps the k-th such comment's ciphertext, and is written as
// a sequence item again if it was one and still sits at an item's place.
func (f *File) encryptComments(c *crypt.Cipher, rules *Rules, prev func(pt []byte) []commentRec) ([]edit, error) {
	tokens, err := f.commentTokens()
	if err != nil {
		return nil, err
	}
	var edits []edit
	dropped := map[int]bool{}
	seen := map[string]int{}
	ti := 0
	for _, ref := range f.commentOrder() {
		j := ti
		for j < len(tokens) && tokens[j].text != ref.text {
			j++
		}
		if j == len(tokens) {
			continue // not found in order: leave it (sops warns, nothing breaks)
		}
		tok := tokens[j]
		ti = j + 1
		if strings.HasPrefix(tok.text, "#ENC[") || !rules.ShouldEncrypt(ref.keys, nil) || rules.matchesCommentRegex(tok.text[1:]) {
			continue
		}
		pt := f.src.b[tok.off+1 : tok.end]
		if len(pt) == 0 {
			continue
		}
		aad := crypt.AAD(ref.keys)
		var rec commentRec
		if prev != nil {
			k := seen[string(pt)]
			seen[string(pt)]++
			if recs := prev(pt); k < len(recs) {
				rec = recs[k]
			}
		}
		enc := rec.enc
		if enc == "" {
			var err error
			if enc, err = c.Encrypt(pt, crypt.TypeComment, aad, nil); err != nil {
				return nil, err
			}
		}
		if rec.item && f.atItemColumn(tok.off) {
			edits = append(edits, edit{tok.off, tok.end, "- " + enc})
			if start, end, ok := f.emptyListAfter(tok.end); ok && !dropped[start] {
				// The "[]" decryption wrote after a list's comment items:
				// with the items back, the list is not empty.
				dropped[start] = true
				edits = append(edits, edit{start, end, ""})
			}
			continue
		}
		edits = append(edits, edit{tok.off, tok.end, "#" + enc})
	}
	return edits, nil
}

// hasEncryptedComments reports whether the file holds any #ENC[…] comment.
func (f *File) hasEncryptedComments() bool {
	return strings.Contains(string(f.src.b), "#ENC[AES256_GCM,") || strings.Contains(string(f.src.b), "#"+phPrefix)
}

// emptyListAfter finds, after off and past blank and comment lines, a line
// holding only "[]", and returns the span of that line with its line break.
func (f *File) emptyListAfter(off int) (start, end int, ok bool) {
	b := f.src.b
	i := off
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\r', '\n':
			i++
			continue
		case '#':
			i = f.src.lineEnd(i)
			continue
		}
		break
	}
	if !bytes.HasPrefix(b[i:], []byte("[]")) {
		return 0, 0, false
	}
	le := f.src.lineEnd(i)
	if strings.TrimSpace(string(b[i+2:le])) != "" {
		return 0, 0, false
	}
	start = f.src.lineStart(i)
	if strings.TrimSpace(string(b[start:i])) != "" {
		return 0, 0, false
	}
	if le < len(b) {
		le++
	}
	return start, le, true
}

// atItemColumn reports whether the comment at off sits where an item of a
// block sequence goes: at the column of the dash of the nearest sibling item
// (the next content line at that column, or else the previous one), or
// before the "[]" of a list that held only comments.
func (f *File) atItemColumn(off int) bool {
	b := f.src.b
	col := off - f.src.lineStart(off)
	isItem := func(ls int) (indent int, item bool) {
		le := f.src.lineEnd(ls)
		line := string(b[ls:contentEnd(b, ls, le)])
		trimmed := strings.TrimLeft(line, " ")
		indent = len(line) - len(trimmed)
		return indent, trimmed == "-" || strings.HasPrefix(trimmed, "- ") || trimmed == "[]"
	}
	content := func(ls int) bool {
		le := f.src.lineEnd(ls)
		t := strings.TrimSpace(string(b[ls:le]))
		return t != "" && !strings.HasPrefix(t, "#")
	}
	// Forward.
	for ls := f.src.lineEnd(off) + 1; ls < len(b); ls = f.src.lineEnd(ls) + 1 {
		if !content(ls) {
			continue
		}
		indent, item := isItem(ls)
		if indent == col {
			return item
		}
		if indent > col {
			return false
		}
		break
	}
	// Backward: the previous content line at this column or less.
	for ls := f.src.lineStart(off); ls > 0; {
		ls = f.src.lineStart(ls - 1)
		if !content(ls) {
			continue
		}
		indent, item := isItem(ls)
		if indent < col {
			return false
		}
		if indent == col {
			return item
		}
	}
	return false
}
