package yamlwalk

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/internal/benchgen"
)

// Every test of this package that decrypts through Decrypt also checks the
// fast path against the node path: whenever the fast path answers, the node
// path runs too and must give the same text, metadata, warnings and stash
// (TestMain reports any difference). So the interop tests with the real
// sops, TestGeneratedInterop's hostile values and the fuzz targets are all
// differential tests of the fast path.
var fastChecks struct {
	sync.Mutex
	taken    int
	failures []string
}

func TestMain(m *testing.M) {
	fastCrossCheck = func(b []byte, opt DecryptOptions, fast *Decrypted, key []byte) {
		node, err := decryptNode(b, opt, key)
		msg := ""
		if err != nil {
			msg = fmt.Sprintf("the fast path decrypted a file the node path refuses (%v)", err)
		} else {
			msg = diffDecrypted(fast, node)
		}
		fastChecks.Lock()
		defer fastChecks.Unlock()
		fastChecks.taken++
		if msg != "" {
			fastChecks.failures = append(fastChecks.failures, fmt.Sprintf("%s\n--- input (%d bytes):\n%s", msg, len(b), clip(b)))
		}
	}
	code := m.Run()
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "the fast decrypt path answered %d times, each checked against the node path\n", fastChecks.taken)
	}
	if len(fastChecks.failures) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: the fast decrypt path differs from the node path on %d of %d inputs:\n", len(fastChecks.failures), fastChecks.taken)
		for _, f := range fastChecks.failures[:min(5, len(fastChecks.failures))] {
			fmt.Fprintln(os.Stderr, f)
		}
		code = 1
	}
	os.Exit(code)
}

func clip(b []byte) string {
	if len(b) > 3000 {
		return string(b[:3000]) + "…"
	}
	return string(b)
}

// diffDecrypted describes how two decryptions differ ("" if they don't).
// Offsets in the stash are compared by order only (the node path counts
// them in the text with ciphertexts shrunk).
func diffDecrypted(fast, node *Decrypted) string {
	if !bytes.Equal(fast.Text, node.Text) {
		i := 0
		for i < len(fast.Text) && i < len(node.Text) && fast.Text[i] == node.Text[i] {
			i++
		}
		lo := max(0, i-200)
		return fmt.Sprintf("text differs at byte %d:\nfast: %q\nnode: %q", i, fast.Text[lo:min(len(fast.Text), i+100)], node.Text[lo:min(len(node.Text), i+100)])
	}
	if !reflect.DeepEqual(fast.Metadata, node.Metadata) {
		return fmt.Sprintf("metadata differs:\nfast: %+v\nnode: %+v", fast.Metadata, node.Metadata)
	}
	if !bytes.Equal(fast.Key, node.Key) {
		return "key differs"
	}
	if !reflect.DeepEqual(fast.Warnings, node.Warnings) {
		return fmt.Sprintf("warnings differ: %q vs %q", fast.Warnings, node.Warnings)
	}
	if len(fast.stash) != len(node.stash) {
		return fmt.Sprintf("stash has %d entries, the node path's %d", len(fast.stash), len(node.stash))
	}
	for i := range fast.stash {
		f, n := fast.stash[i], node.stash[i]
		f.off, n.off = 0, 0
		if !reflect.DeepEqual(f, n) {
			return fmt.Sprintf("stash entry %d differs:\nfast: %+v\nnode: %+v", i, f, n)
		}
		if i > 0 && (fast.stash[i].off < fast.stash[i-1].off) != (node.stash[i].off < node.stash[i-1].off) {
			return fmt.Sprintf("stash entry %d is in another order", i)
		}
	}
	return ""
}

// fastTaken reports whether the fast path answers for b.
func fastTaken(t testing.TB, b []byte, kr *crypt.Keyring) bool {
	return fastTakenOpt(t, b, DecryptOptions{Keys: kr})
}

func fastTakenOpt(t testing.TB, b []byte, opt DecryptOptions) bool {
	t.Helper()
	s, meta := prepareFast(b)
	if s == nil {
		return false
	}
	key, err := opt.Keys.DataKey(meta.KeyGroups, meta.ShamirThreshold)
	if err != nil {
		t.Fatal(err)
	}
	_, ok := s.decrypt(meta, key, opt.IgnoreMAC)
	return ok
}

// checkBoth decrypts b through Decrypt and through the node path alone and
// requires the same result or the same error.
func checkBoth(t *testing.T, what string, b []byte, opt DecryptOptions) {
	t.Helper()
	got, gerr := Decrypt(b, opt)
	want, werr := decryptNode(b, opt, nil)
	switch {
	case (gerr == nil) != (werr == nil):
		t.Fatalf("%s: Decrypt error %v, node path error %v", what, gerr, werr)
	case gerr != nil:
		if gerr.Error() != werr.Error() || reflect.TypeOf(gerr) != reflect.TypeOf(werr) {
			t.Fatalf("%s: Decrypt error %T %v, node path error %T %v", what, gerr, gerr, werr, werr)
		}
	default:
		if d := diffDecrypted(got, want); d != "" {
			t.Fatalf("%s: %s", what, d)
		}
	}
}

// tamperings are edits of an encrypted file that keep its layout: the fast
// path must fail exactly where the node path fails, with the same error.
var tamperings = []struct {
	name string
	fn   func(b []byte) []byte
}{
	{"mac", func(b []byte) []byte {
		i := bytes.Index(b, []byte("mac: ENC[AES256_GCM,data:"))
		if i < 0 {
			return nil
		}
		c := append([]byte(nil), b...)
		j := i + len("mac: ENC[AES256_GCM,data:")
		c[j] = otherB64(c[j])
		return c
	}},
	{"value tag", func(b []byte) []byte {
		i := bytes.Index(b, []byte(": ENC[AES256_GCM,data:"))
		if i < 0 {
			return nil
		}
		j := bytes.Index(b[i:], []byte(",tag:"))
		c := append([]byte(nil), b...)
		c[i+j+5] = otherB64(c[i+j+5])
		return c
	}},
	{"swapped values", func(b []byte) []byte {
		// The first two mapping values swap ciphertexts: each is bound to
		// the other's path.
		var spans [][2]int
		for i := 0; len(spans) < 2; {
			j := bytes.Index(b[i:], []byte(": ENC[AES256_GCM,"))
			if j < 0 {
				return nil
			}
			s := i + j + 2
			e := s + bytes.IndexByte(b[s:], ']') + 1
			if bytes.HasPrefix(b[max(0, s-6):s], []byte("mac: ")) {
				return nil
			}
			spans = append(spans, [2]int{s, e})
			i = e
		}
		a, z := spans[0], spans[1]
		var c []byte
		c = append(c, b[:a[0]]...)
		c = append(c, b[z[0]:z[1]]...)
		c = append(c, b[a[1]:z[0]]...)
		c = append(c, b[a[0]:a[1]]...)
		return append(c, b[z[1]:]...)
	}},
	{"comment moved", func(b []byte) []byte {
		// An encrypted comment moved to the end of the data: its path no
		// longer matches where it sits.
		i := bytes.Index(b, []byte("#ENC[AES256_GCM,"))
		k := bytes.Index(b, []byte("\nsops:\n"))
		if i < 0 || k < 0 || i > k {
			return nil
		}
		le := i + bytes.IndexByte(b[i:], '\n') + 1
		ls := bytes.LastIndexByte(b[:i], '\n') + 1
		var c []byte
		c = append(c, b[:ls]...)
		c = append(c, b[le:k+1]...)
		c = append(c, b[ls:le]...)
		return append(c, b[k+1:]...)
	}},
	{"indented", func(b []byte) []byte {
		// One more space before the first nested key: odd indentation.
		i := bytes.Index(b, []byte(":\n  "))
		if i < 0 {
			return nil
		}
		c := append([]byte(nil), b[:i+2]...)
		c = append(c, ' ')
		return append(c, b[i+2:]...)
	}},
}

func otherB64(c byte) byte {
	if c == 'A' {
		return 'B'
	}
	return 'A'
}

// TestFastDecryptMatches runs the fast and the node path over the corpus
// and the sops-written seeds, as sv and the real sops encrypt them, and over
// tampered copies, and requires the same result or error; it reports how
// many files the fast path took.
func TestFastDecryptMatches(t *testing.T) {
	alice := loadTestIdentity(t, "alice.agekey")
	opt := DecryptOptions{Keys: alice.keyring}
	type input struct {
		name string
		b    []byte
	}
	var inputs []input
	root := filepath.Join("testdata", "sops-seeds")
	seeds, _ := filepath.Glob(filepath.Join(root, "*.sops.yaml"))
	for _, f := range seeds {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, input{"seed " + filepath.Base(f), b})
	}
	files := append(corpusFiles(t), filepath.Join(root, "plain", "blocks.yaml"))
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, comments := range []bool{false, true} {
			res, err := Encrypt(src, EncryptOptions{KeyGroups: [][]crypt.Recipient{{alice.recipient}}, EncryptComments: comments})
			if err != nil {
				continue // shapes sv refuses
			}
			inputs = append(inputs, input{fmt.Sprintf("sv(comments=%v) %s", comments, filepath.Base(name)), res.Out})
		}
		dir := t.TempDir()
		plain := filepath.Join(dir, "values.yaml")
		if err := os.WriteFile(plain, src, 0o600); err != nil {
			t.Fatal(err)
		}
		if enc, stderr, err := runSops(t, dir, "", "encrypt", "--age", alice.recipient.String, plain); err == nil {
			inputs = append(inputs, input{"sops " + filepath.Base(name), enc})
		} else {
			t.Logf("sops encrypt %s: %v %s", name, err, stderr)
		}
	}
	// Values left in clear under the default rule, of every type.
	unenc := []byte(`# values in clear
a_unencrypted: 1
b_unencrypted: -2.50
c_unencrypted: 0x1F
d_unencrypted: 0o17
e_unencrypted: .inf
f_unencrypted: 2001-12-14
g_unencrypted: 2001-12-14t21:59:43.10-05:00
h_unencrypted: True
i_unencrypted: ~
j_unencrypted: 'it''s'
k_unencrypted: "quoted # not a comment"
l_unencrypted: plain text, with:colons
m_unencrypted: 99999999999999999999
n_unencrypted:
  - 1
  - x
  - 1e3
o_unencrypted: {}
q_unencrypted: a#b
secret: s3cret # trailing
nested:
  r_unencrypted: 007
  s: 1.0
`)
	if res, err := Encrypt(unenc, EncryptOptions{KeyGroups: [][]crypt.Recipient{{alice.recipient}}, EncryptComments: true}); err == nil {
		inputs = append(inputs, input{"sv in clear", res.Out})
	} else {
		t.Fatal(err)
	}
	dir := t.TempDir()
	plain := filepath.Join(dir, "values.yaml")
	if err := os.WriteFile(plain, unenc, 0o600); err != nil {
		t.Fatal(err)
	}
	if enc, stderr, err := runSops(t, dir, "", "encrypt", "--age", alice.recipient.String, plain); err == nil {
		inputs = append(inputs, input{"sops in clear", enc})
	} else {
		t.Logf("sops encrypt: %v %s", err, stderr)
	}
	taken := 0
	for _, in := range inputs {
		t.Run(in.name, func(t *testing.T) {
			if fastTaken(t, in.b, alice.keyring) {
				taken++
			}
			checkBoth(t, "as written", in.b, opt)
			checkBoth(t, "ignoring the MAC", in.b, DecryptOptions{Keys: alice.keyring, IgnoreMAC: true})
			for _, tm := range tamperings {
				if c := tm.fn(in.b); c != nil {
					checkBoth(t, tm.name, c, opt)
				}
			}
		})
	}
	t.Logf("the fast path took %d of %d files", taken, len(inputs))
	if taken < len(inputs)/4 {
		t.Errorf("the fast path took only %d of %d files", taken, len(inputs))
	}
}

// TestFastDecryptGenerated runs both paths over TestGeneratedInterop's
// hostile values in every position, as the real sops writes them (each
// document of its multi-document file on its own, so without the MAC,
// which covers the whole file) and as sv writes them with comments
// encrypted.
func TestFastDecryptGenerated(t *testing.T) {
	perShape := 300
	if testing.Short() {
		perShape = 60
	}
	alice := loadTestIdentity(t, "alice.agekey")
	seed := uint64(20261130)
	if v, err := strconv.ParseUint(os.Getenv("SV_GEN_SEED"), 10, 64); err == nil {
		seed = v // as for TestGeneratedInterop
	}
	g := &generator{r: rand.New(rand.NewPCG(14, seed))}
	taken, total := 0, 0
	for _, sh := range genShapes {
		t.Run(sh.name, func(t *testing.T) {
			plain, docs := g.file(t, sh, perShape)
			enc := sopsEncrypted(t, plain, alice.recipient.String)
			noMAC := DecryptOptions{Keys: alice.keyring, IgnoreMAC: true}
			for i, part := range splitDocs(enc) {
				total++
				if fastTakenOpt(t, []byte(part), noMAC) {
					taken++
				}
				checkBoth(t, fmt.Sprintf("sops document %d", i), []byte(part), noMAC)
			}
			for i, d := range docs {
				res, err := Encrypt([]byte(d.text), EncryptOptions{KeyGroups: [][]crypt.Recipient{{alice.recipient}}, EncryptComments: true})
				if err != nil {
					continue
				}
				total++
				if fastTaken(t, res.Out, alice.keyring) {
					taken++
				}
				checkBoth(t, fmt.Sprintf("sv document %d", i), res.Out, DecryptOptions{Keys: alice.keyring})
			}
		})
	}
	t.Logf("the fast path took %d of %d documents", taken, total)
	if taken < total/4 {
		t.Errorf("the fast path took only %d of %d documents", taken, total)
	}
}

// TestFastDecryptTakesBenchmark fails if the fast path declines the
// benchmark's values file (bench/sops_written.sh) as the real sops and as
// sv write it, so the speed can't fall back to the node path unnoticed.
func TestFastDecryptTakesBenchmark(t *testing.T) {
	alice := loadTestIdentity(t, "alice.agekey")
	src := benchgen.Values(2000)
	enc := sopsEncrypted(t, src, alice.recipient.String)
	res, err := Encrypt(src, EncryptOptions{KeyGroups: [][]crypt.Recipient{{alice.recipient}}})
	if err != nil {
		t.Fatal(err)
	}
	withComments, err := Encrypt(src, EncryptOptions{KeyGroups: [][]crypt.Recipient{{alice.recipient}}, EncryptComments: true})
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"sops": enc, "sv": res.Out, "sv with encrypted comments": withComments.Out} {
		if !fastTaken(t, b, alice.keyring) {
			t.Errorf("the fast path declines the benchmark file written by %s", name)
		}
		checkBoth(t, name, b, DecryptOptions{Keys: alice.keyring})
	}
}

// TestFastDecryptDeclines lists shapes the fast path must leave to the node
// path (its answer is checked by the cross-check all the same).
func TestFastDecryptDeclines(t *testing.T) {
	r, kr := testKeys(t)
	for name, src := range map[string]string{
		"flow":   "a: {b: 1}\n",
		"anchor": "a: &x 1\nb: *x\n",
		"block":  "a: |\n  text\n",
		"crlf":   "a: 1\r\nb: 2\r\n",
		"tag":    "a: 1\n",
		"nested": "a:\n  - - 1\n",
	} {
		res, err := Encrypt([]byte(src), EncryptOptions{KeyGroups: [][]crypt.Recipient{{r}}, EncryptComments: true})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if name == "tag" {
			res.Out = bytes.Replace(res.Out, []byte("a: ENC"), []byte("a: !!str ENC"), 1)
		}
		if fastTaken(t, res.Out, kr) {
			t.Errorf("%s: the fast path took\n%s", name, res.Out)
		}
		checkBoth(t, name, res.Out, DecryptOptions{Keys: kr})
	}
}

// FuzzFastDecrypt encrypts the input (as a values file, comments encrypted
// or not), applies one byte edit to the encrypted text (at is past the end
// for none), and requires the
// fast path to decline or to give exactly the node path's answer; errors
// are the node path's.
func FuzzFastDecrypt(f *testing.F) {
	r, kr := testKeys(f)
	for _, s := range []string{
		"a: 1\nb:\n  c: x\n  d:\n    - 1\n    - two\n",
		"# top\nsvc:\n  # head\n  image: reg/x\n  on_unencrypted: yes\n  e: \"\"\n  f: []\n  g:\n    - k: v\n      l: 2.5\n",
		string(benchgen.Values(20)),
	} {
		f.Add([]byte(s), false, uint16(0xffff), byte(' ')) // no edit
		f.Add([]byte(s), true, uint16(0xffff), byte(' '))
		f.Add([]byte(s), true, uint16(7), byte('\n'))
	}
	f.Fuzz(func(t *testing.T, src []byte, comments bool, at uint16, c byte) {
		if len(src) > 4000 {
			return
		}
		res, err := Encrypt(src, EncryptOptions{KeyGroups: [][]crypt.Recipient{{r}}, EncryptComments: comments})
		if err != nil {
			return
		}
		b := res.Out
		if int(at) < len(b) {
			b = append([]byte(nil), b...)
			b[at] = c
		}
		opt := DecryptOptions{Keys: kr}
		got, gerr := Decrypt(b, opt)
		want, werr := decryptNode(b, opt, nil)
		if (gerr == nil) != (werr == nil) {
			t.Fatalf("Decrypt error %v, node path error %v\n%s", gerr, werr, b)
		}
		if gerr != nil {
			var gm, wm *MACError
			if gerr.Error() != werr.Error() || errors.As(gerr, &gm) != errors.As(werr, &wm) {
				t.Fatalf("Decrypt error %v, node path error %v", gerr, werr)
			}
			return
		}
		if d := diffDecrypted(got, want); d != "" {
			t.Fatalf("%s\n%s", d, b)
		}
	})
}

// reviewInputs are the shapes of the adversarial review of the fast path:
// key spellings, markers, comments, empty values, indentation, line breaks
// other than LF in values, rules. Each is encrypted by sv (comments
// encrypted or not) and by the real sops, and both paths must agree.
var reviewInputs = map[string]string{
	"quoted keys":       "\"a b\": x\n'it''s': y\n\"a: b\": z\n\"t \": w\n\"\": e\n\"sops_x\": 1\n",
	"hash key":          "\"k#x\": v\n",
	"ENC key":           "\"ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\": v\n",
	"trailing comments": "a: x # c\nb: 'q' # c2\nc: \"d\"   # c3\t\n",
	"map items":         "a:\n  b:\n    - k: v\n      l: w\n    - x\n",
	"wide dash":         "a:\n-   k: v\n    l: \"m\\nn\"\n-   \"l1\\nl2\"\n",
	"unit 3":            "a:\n   b: \"x\\ny\"\n   c:\n   - \"p\\nq\\n\"\n   -   d: \"r\\ns\"\n",
	"flat multi-line":   "a: \"x\\ny\"\nb:\n- \"p\\nq\\n\"\n- k: \"r\\ns\"\n  l:\n    m: \"t\\nu\"\n",
	"same column seq":   "a:\n- x\n- y\nb: 1\n",
	"nested sops":       "x:\n  sops: 1\n  y:\n    sops:\n      version: 1\n",
	"markers":           "a: '---'\nb: ...\nc: \"--- x\"\nd: \"...\"\n",
	"ENC in clear":      "a_unencrypted: ENC[AES256_GCM,data:abc,iv:abc,tag:abc,type:str]\nb_unencrypted: \"ENC[AES256_GCM,data:abc,iv:abc,tag:abc,type:str]\"\nc_unencrypted: 'x ENC[AES256_GCM,'\n",
	"hash ENC in clear": "a_unencrypted: \"x #ENC[AES256_GCM,data:abc]\"\n",
	"empty values":      "a: \"\"\nb: ''\nc:\nd: ~\ne: []\nf: {}\ng: null\nh:\n  - \"\"\n  -\n",
	"trailing spaces":   "a: x   \nb:   \n  c: y  \nd:  \n  - z  \n",
	"mixed indent":      "a:\n    b: \"l1\\nl2\"\nc:\n  d: \"x\\ny\\n\"\n  e:\n      f: \"p\\nq\"\n",
	"indent over 8":     "a:\n          b: \"x\\ny\"\nc:\n  d: \"x\\ny\"\n",
	"seq multi-line":    "a:\n- \"l1\\nl2\"\n- k: \"m\\nn\\n\"\nb:\n  - \"o\\np\" # c\n",
	"unicode breaks":    "a: \"x\\u2028y\"\nb: \"x\\u0085y\"\nc: \"x\\u2029\"\nd: \"\\ufeffbom\"\ne: \"x\\ry\"\nf: \"caf\\u00e9\"\ng: \"\\t\"\n",
	"comments like ENC": "# ENC[AES256_GCM,data:x]\na: 1 # ENC[AES256_GCM,data:y]\n#ENC[AES256_GCM,data:zz,iv:zz,tag:zz,type:comment]\nb: 2\n",
	"tab comment":       "a: 1\t# tab\n# c\twith tab\nb: 2\n",
	"comment lists":     "a:\n  # only\n  []\nb:\n  # c1\n  - x\n  # c2\nc: 1\n",
	"foot comments":     "a:\n  b:\n    c: 1\n    # foot of b\n  # foot of a\n# top foot\nd: 2\n",
	"doc start":         "---\na: 1\n",
	"multi doc":         "a: 1\n---\nb: 2\n# c\n---\nc:\n  d: 3\n",
	"types":             "a: 1\nb: 2.5\nc: true\nd: 2001-12-14\ne: 0x1F\nf: .inf\ng: \"1\"\nh: 'true'\ni: !!str 3\n",
	"long":              "a: " + strings.Repeat("x", 70000) + "\nb: \"" + strings.Repeat("y\\n", 3000) + "\"\n",
}

// reviewEdits are layout edits of an encrypted file that keep its values:
// the fast path must decline or agree.
var reviewEdits = map[string]func(b []byte) []byte{
	"bom":               func(b []byte) []byte { return append([]byte("\ufeff"), b...) },
	"doc start":         func(b []byte) []byte { return append([]byte("---\n"), b...) },
	"doc end":           func(b []byte) []byte { return append(append([]byte(nil), b...), "...\n"...) },
	"no final newline":  func(b []byte) []byte { return bytes.TrimSuffix(b, []byte("\n")) },
	"blank lines after": func(b []byte) []byte { return append(append([]byte(nil), b...), "\n  \n\n"...) },
	"LS after version": func(b []byte) []byte {
		return append(append([]byte(nil), bytes.TrimSuffix(b, []byte("\n"))...), "\u2028\n"...)
	},
	"NEL after version": func(b []byte) []byte {
		return append(append([]byte(nil), bytes.TrimSuffix(b, []byte("\n"))...), "\u0085"...)
	},
	"LS key after version": func(b []byte) []byte {
		return append(append([]byte(nil), bytes.TrimSuffix(b, []byte("\n"))...), "\u2028x: 1\n"...)
	},
	"LS inside block": func(b []byte) []byte {
		i := bytes.LastIndex(b, []byte("\n    lastmodified:"))
		if i < 0 {
			i = bytes.LastIndex(b, []byte("\n  lastmodified:"))
		}
		if i < 0 {
			return nil
		}
		return bytes.Join([][]byte{b[:i], []byte("\u2028"), b[i+1:]}, nil)
	},
	"block indent 4": func(b []byte) []byte {
		// The sops blocks indented by 4: the indentation unit of a file
		// with no nested mapping of its own.
		lines := strings.SplitAfter(string(b), "\n")
		in := false
		for i, l := range lines {
			switch {
			case l == "sops:\n":
				in = true
			case in && strings.HasPrefix(l, " "):
				// Every column doubled: "- " becomes "-   ".
				n := len(l) - len(strings.TrimLeft(l, " "))
				lines[i] = strings.Repeat(" ", n) + l
				if strings.HasPrefix(l[n:], "- ") {
					lines[i] = strings.Repeat(" ", 2*n) + "-   " + l[n+2:]
				}
			case in && strings.TrimSpace(l) != "":
				in = false
			}
		}
		return []byte(strings.Join(lines, ""))
	},
	"blank lines before sops": func(b []byte) []byte {
		return bytes.Replace(b, []byte("\nsops:\n"), []byte("\n\n   \nsops:\n"), 1)
	},
	"only the block": func(b []byte) []byte {
		i := bytes.Index(b, []byte("\nsops:\n"))
		if i < 0 {
			return nil
		}
		return b[i+1:]
	},
	"second document empty but the block": func(b []byte) []byte {
		i := bytes.Index(b, []byte("\nsops:\n"))
		if i < 0 || bytes.Contains(b, []byte("\n---\n")) {
			return nil
		}
		return append(append(append([]byte(nil), b...), "---\n"...), b[i+1:]...)
	},
	"spaces after comments": func(b []byte) []byte {
		return bytes.ReplaceAll(b, []byte(",type:comment]\n"), []byte(",type:comment]   \n"))
	},
	"comment after comment items": func(b []byte) []byte {
		lines := strings.SplitAfter(string(b), "\n")
		for i, l := range lines {
			if t := strings.TrimSpace(l); strings.HasPrefix(t, "- ENC[") && strings.HasSuffix(t, ",type:comment]") {
				lines[i] = strings.TrimSuffix(l, "\n") + " # x\n"
			}
		}
		return []byte(strings.Join(lines, ""))
	},
	"plain comment after the last item": func(b []byte) []byte {
		i := bytes.LastIndex(b, []byte(",type:comment]\n"))
		if i < 0 {
			return nil
		}
		i += len(",type:comment]\n")
		return bytes.Join([][]byte{b[:i], []byte("    # plain\n# col 0\n"), b[i:]}, nil)
	},
	"LS before sops": func(b []byte) []byte {
		i := bytes.LastIndex(b, []byte("\nsops:\n"))
		if i < 0 {
			return nil
		}
		return bytes.Join([][]byte{b[:i], []byte("\u2028"), b[i+1:]}, nil)
	},
	"comment before sops": func(b []byte) []byte {
		return bytes.Replace(b, []byte("\nsops:\n"), []byte("\n# x\nsops:\n"), 1)
	},
	"spaces after values": func(b []byte) []byte {
		return bytes.ReplaceAll(b, []byte(",type:str]\n"), []byte(",type:str]  \n"))
	},
	"tab after values": func(b []byte) []byte {
		return bytes.ReplaceAll(b, []byte(",type:str]\n"), []byte(",type:str]\t\n"))
	},
	"double-quoted keys": func(b []byte) []byte {
		return reviewRespell(b, `"`, `"`)
	},
	"single-quoted keys": func(b []byte) []byte {
		return reviewRespell(b, `'`, `'`)
	},
	"space before colon": func(b []byte) []byte {
		return reviewRespell(b, "", " ")
	},
	"ENC as key": func(b []byte) []byte {
		return bytes.Replace(b, []byte(": ENC["), []byte(":\n  ENC["), 1)
	},
	"continued value": func(b []byte) []byte {
		i := bytes.Index(b, []byte(",type:str]\n"))
		if i < 0 {
			return nil
		}
		i += len(",type:str]\n")
		return bytes.Join([][]byte{b[:i], []byte("    more\n"), b[i:]}, nil)
	},
}

// reviewRespell spells every top-level key of the data (not sops) as
// open+key+close.
func reviewRespell(b []byte, open, close string) []byte {
	lines := strings.SplitAfter(string(b), "\n")
	for i, l := range lines {
		if l == "sops:\n" {
			break
		}
		k, rest, ok := strings.Cut(l, ":")
		if !ok || k == "" || !plainKey([]byte(k)) || strings.ContainsAny(k, " #'\"-") {
			continue
		}
		lines[i] = open + k + close + ":" + rest
	}
	return []byte(strings.Join(lines, ""))
}

// TestFastDecryptReview runs both paths over reviewInputs, encrypted by sv
// (with each selection rule, comments encrypted or not) and by the real
// sops, as written and through reviewEdits.
func TestFastDecryptReview(t *testing.T) {
	alice := loadTestIdentity(t, "alice.agekey")
	opt := DecryptOptions{Keys: alice.keyring}
	noMAC := DecryptOptions{Keys: alice.keyring, IgnoreMAC: true}
	_, other := testKeys(t)
	wrong := DecryptOptions{Keys: other}
	rules := map[string]Rules{
		"default":    {},
		"mac only":   {MACOnlyEncrypted: true},
		"enc regex":  {EncryptedRegex: "^(a|b|k)$"},
		"enc suffix": {EncryptedSuffix: "b"},
		"unenc re":   {UnencryptedRegex: "^[ac]$", MACOnlyEncrypted: true},
	}
	taken, total := 0, 0
	check := func(t *testing.T, what string, b []byte) {
		t.Helper()
		defer func() {
			if r := recover(); r != nil {
				t.Errorf("%s: panic %v\n%s", what, r, b)
			}
		}()
		total++
		if s, _ := prepareFast(b); s != nil {
			taken++
		}
		checkBoth(t, what, b, opt)
		checkBoth(t, what+" (no MAC)", b, noMAC)
		// The fast path's errors are not cross-checked by TestMain: a
		// key that does not open the file must fail as on the node path.
		checkBoth(t, what+" (wrong key)", b, wrong)
	}
	for name, src := range reviewInputs {
		t.Run(name, func(t *testing.T) {
			var encs = map[string][]byte{}
			for rn, r := range rules {
				for _, comments := range []bool{false, true} {
					res, err := Encrypt([]byte(src), EncryptOptions{Rules: r, KeyGroups: [][]crypt.Recipient{{alice.recipient}}, EncryptComments: comments})
					if err != nil {
						t.Logf("sv %s comments=%v: %v", rn, comments, err)
						continue
					}
					encs[fmt.Sprintf("sv %s comments=%v", rn, comments)] = res.Out
				}
			}
			dir := t.TempDir()
			plain := filepath.Join(dir, "values.yaml")
			if err := os.WriteFile(plain, []byte(src), 0o600); err != nil {
				t.Fatal(err)
			}
			for sn, args := range map[string][]string{
				"sops":        nil,
				"sops enc re": {"--encrypted-regex", "^(a|b|k)$"},
			} {
				args = append(append([]string{"encrypt", "--age", alice.recipient.String}, args...), plain)
				if enc, stderr, err := runSops(t, dir, "", args...); err == nil {
					encs[sn] = enc
				} else {
					t.Logf("%s: %v %s", sn, err, stderr)
				}
			}
			// mac_only_encrypted is a creation rule's setting only.
			sub := filepath.Join(dir, "maconly")
			if err := os.MkdirAll(sub, 0o700); err != nil {
				t.Fatal(err)
			}
			cfg := "creation_rules:\n  - age: " + alice.recipient.String + "\n    mac_only_encrypted: true\n    unencrypted_regex: '^[ac]$'\n"
			if err := os.WriteFile(filepath.Join(sub, ".sops.yaml"), []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			if enc, stderr, err := runSops(t, sub, "", "encrypt", "--filename-override", "values.yaml", plain); err == nil {
				encs["sops mac only"] = enc
			} else {
				t.Logf("sops mac only: %v %s", err, stderr)
			}
			for en, b := range encs {
				if testing.Verbose() {
					t.Logf("%s / %s: fast path takes it: %v", name, en, fastTaken(t, b, alice.keyring))
				}
				check(t, en, b)
				for edn, ed := range reviewEdits {
					if c := ed(b); c != nil {
						check(t, en+" "+edn, c)
					}
				}
			}
		})
	}
	t.Logf("the fast path took %d of %d", taken, total)
}

// TestFastDecryptCrafted builds files sops and sv never write, with
// ciphertexts made under the file's own data key: each is a value or a
// comment whose AAD matches a path one of the two paths might bind it to.
// Both paths must agree, with and without the MAC.
func TestFastDecryptCrafted(t *testing.T) {
	r, kr := testKeys(t)
	opt := DecryptOptions{Keys: kr}
	noMAC := DecryptOptions{Keys: kr, IgnoreMAC: true}
	res, err := Encrypt([]byte("a_unencrypted: PT1\nb:\n  c: x\n  d: PT2\n---\ne: y\n"), EncryptOptions{KeyGroups: [][]crypt.Recipient{{r}}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := Decrypt(res.Out, opt)
	if err != nil {
		t.Fatal(err)
	}
	c, err := crypt.NewCipher(d.Key)
	if err != nil {
		t.Fatal(err)
	}
	enc := func(pt, typ, aad string) string {
		s, err := c.Encrypt([]byte(pt), typ, aad, nil)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for name, edit := range map[string]func(b []byte) []byte{
		// A ciphertext that opens, under a key left in clear.
		"ENC under unencrypted key": func(b []byte) []byte {
			return bytes.Replace(b, []byte("a_unencrypted: PT1"), []byte("a_unencrypted: "+enc("PT1", crypt.TypeStr, "a_unencrypted:")), 1)
		},
		"quoted ENC under unencrypted key": func(b []byte) []byte {
			return bytes.Replace(b, []byte("a_unencrypted: PT1"), []byte("a_unencrypted: \""+enc("PT1", crypt.TypeStr, "a_unencrypted:")+"\""), 1)
		},
		"ENC under unencrypted key, nested": func(b []byte) []byte {
			return bytes.Replace(b, []byte("a_unencrypted: PT1"), []byte("a_unencrypted:\n  z: "+enc("PT1", crypt.TypeStr, "a_unencrypted:z:")), 1)
		},
		// Comments bound to the sops key, to a key of another document,
		// to a key path that is also a quoted key's.
		"comment under sops before the block": func(b []byte) []byte {
			return bytes.Replace(b, []byte("\nsops:\n"), []byte("\n#"+enc(" hidden", crypt.TypeComment, "sops:")+"\nsops:\n"), 1)
		},
		"comment under sops:version": func(b []byte) []byte {
			return bytes.Replace(b, []byte("\nsops:\n"), []byte("\n#"+enc(" hidden", crypt.TypeComment, "sops:version:")+"\nsops:\n"), 1)
		},
		"comment of document 1 atop document 2": func(b []byte) []byte {
			return bytes.Replace(b, []byte("---\n"), []byte("---\n#"+enc(" hidden", crypt.TypeComment, "b:d:")+"\n"), 1)
		},
		"comment of b:c after e": func(b []byte) []byte {
			i := bytes.LastIndex(b, []byte("\nsops:\n"))
			return bytes.Join([][]byte{b[:i], []byte("\n#" + enc(" hidden", crypt.TypeComment, "b:c:")), b[i:]}, nil)
		},
		"quoted key path collision": func(b []byte) []byte {
			return bytes.Replace(b, []byte("e: "), []byte("\"b:d\": "+enc("PT2", crypt.TypeStr, "b:d:")+"\nf: "), 1)
		},
		"comment item in a map": func(b []byte) []byte {
			return bytes.Replace(b, []byte("e: "), []byte("g: "+enc(" c", crypt.TypeComment, "g:")+"\ne: "), 1)
		},
		"comment item in a list": func(b []byte) []byte {
			return bytes.Replace(b, []byte("e: "), []byte("g:\n  - "+enc(" c", crypt.TypeComment, "g:")+"\n  - "+enc(" d", crypt.TypeComment, "g:")+"\ne: "), 1)
		},
		"value typed comment in a list": func(b []byte) []byte {
			return bytes.Replace(b, []byte("e: "), []byte("g:\n  - "+strings.Replace(enc(" c", crypt.TypeComment, "g:"), "type:comment", "type:str", 1)+"\ne: "), 1)
		},
	} {
		t.Run(name, func(t *testing.T) {
			b := edit(res.Out)
			if bytes.Equal(b, res.Out) {
				t.Fatal("the edit changed nothing")
			}
			checkBoth(t, "with the MAC", b, opt)
			checkBoth(t, "without", b, noMAC)
			if testing.Verbose() {
				t.Logf("%s: fast path takes it: %v", name, fastTakenOpt(t, b, noMAC))
			}
		})
	}
}

// TestDecryptLSBeforeSops: a line separator (U+2028) in place of the line
// break before "sops:", after a value with a comment. yaml.v3 breaks the
// line there; the fast path declines (non-ASCII outside the sops block),
// and the node path must refuse the file with an error (it panicked in
// applyEdits before c8fb9e8).
func TestDecryptLSBeforeSops(t *testing.T) {
	r, kr := testKeys(t)
	res, err := Encrypt([]byte("a: x # c\n"), EncryptOptions{KeyGroups: [][]crypt.Recipient{{r}}})
	if err != nil {
		t.Fatal(err)
	}
	b := bytes.Replace(res.Out, []byte("\nsops:\n"), []byte("\u2028sops:\n"), 1)
	if s, _ := prepareFast(b); s != nil {
		t.Fatal("the fast path takes a file with LS before its sops block")
	}
	if _, err := Decrypt(b, DecryptOptions{Keys: kr}); err == nil {
		t.Fatal("Decrypt accepts a file with LS before its sops block")
	}
}

// TestFastScanWork requires the scan's count of the limits pass's work
// (MaxPathWork) to be at least what the limits pass measures for the
// file, so the scan declines every file the node path refuses for its
// work: list items and the sops blocks count too (a deep list of a million
// items, or a million documents of only a sops block, was over the limit
// for the node path and taken by the scan).
func TestFastScanWork(t *testing.T) {
	r, _ := testKeys(t)
	srcs := []string{
		"a:\n- 1\n- 2\n- k: v\n  l:\n  - x\n  - - y\n",
		"a:\n  b:\n  - c:\n    - d:\n      - 1\n      - 2\n      - 3\n      e: []\n",
		"a_unencrypted:\n- 1\n- 2\nb:\n  c: x\n---\nd:\n- e:\n  - 3\n",
		string(benchgen.Values(50)),
	}
	for _, in := range reviewInputs {
		srcs = append(srcs, in)
	}
	for i, src := range srcs {
		res, err := Encrypt([]byte(src), EncryptOptions{KeyGroups: [][]crypt.Recipient{{r}}})
		if err != nil {
			continue
		}
		s, _ := prepareFast(res.Out)
		if s == nil {
			continue
		}
		// The encrypted file as the node path measures it: the data and
		// the sops blocks.
		f, err := parse(res.Out, false)
		if err != nil {
			t.Fatal(err)
		}
		l := newLimiter()
		for _, doc := range f.Docs {
			if err := l.doc(doc.Root); err != nil {
				t.Fatal(err)
			}
		}
		if int64(s.work) < l.work {
			t.Errorf("input %d: the scan counts %d, the limits pass %d\n%s", i, s.work, l.work, src)
		}
	}
}

// FuzzFastDecryptSplice is FuzzFastDecrypt with a wider edit: del bytes
// at at are replaced by ins (at past the end appends), so the fuzzer can
// write line separators, quotes, markers and indentation. The seeds are
// the review's finds: NEL and LS in the sops block, LS before it.
func FuzzFastDecryptSplice(f *testing.F) {
	r, kr := testKeys(f)
	for _, s := range []string{
		"a: 1\nb:\n  c: x\n  d:\n    - 1\n    - two\n",
		"a: x # c\n",
		"a:\n- k: \"m\\nn\"\n  l: 2\nb_unencrypted: [] # c\n",
	} {
		f.Add([]byte(s), false, uint16(0xffff), uint8(1), []byte("\u2028"))
		f.Add([]byte(s), true, uint16(0xffff), uint8(1), []byte("\u0085x: 1\n"))
		f.Add([]byte(s), true, uint16(0), uint8(0), []byte("---\n"))
		f.Add([]byte(s), false, uint16(3), uint8(0), []byte("\"q\": "))
	}
	f.Fuzz(func(t *testing.T, src []byte, comments bool, at uint16, del uint8, ins []byte) {
		if len(src) > 4000 || len(ins) > 64 {
			return
		}
		res, err := Encrypt(src, EncryptOptions{KeyGroups: [][]crypt.Recipient{{r}}, EncryptComments: comments})
		if err != nil {
			return
		}
		b := res.Out
		// at past the end edits the end: where the sops block is.
		i := min(int(at), len(b))
		if int(at) >= len(b) {
			i = max(0, len(b)-int(del)-1)
		}
		j := min(i+int(del), len(b))
		b = bytes.Join([][]byte{b[:i], ins, b[j:]}, nil)
		for _, opt := range []DecryptOptions{{Keys: kr}, {Keys: kr, IgnoreMAC: true}} {
			if s, _ := prepareFast(b); s == nil {
				return // the node path alone: nothing to compare
			}
			got, gerr := Decrypt(b, opt)
			want, werr := decryptNode(b, opt, nil)
			if (gerr == nil) != (werr == nil) {
				t.Fatalf("Decrypt error %v, node path error %v\n%s", gerr, werr, b)
			}
			if gerr != nil {
				if gerr.Error() != werr.Error() {
					t.Fatalf("Decrypt error %v, node path error %v", gerr, werr)
				}
				continue
			}
			if d := diffDecrypted(got, want); d != "" {
				t.Fatalf("%s\n%s", d, b)
			}
		}
	})
}
