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
			dir := t.TempDir()
			f := filepath.Join(dir, "plain.yaml")
			if err := os.WriteFile(f, plain, 0o600); err != nil {
				t.Fatal(err)
			}
			enc, stderr, err := runSops(t, dir, "", "encrypt", "--age", alice.recipient.String, f)
			if err != nil {
				t.Fatalf("sops encrypt: %v\n%s", err, stderr)
			}
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
	dir := t.TempDir()
	plain := filepath.Join(dir, "values.yaml")
	if err := os.WriteFile(plain, src, 0o600); err != nil {
		t.Fatal(err)
	}
	enc, stderr, err := runSops(t, dir, "", "encrypt", "--age", alice.recipient.String, plain)
	if err != nil {
		t.Fatalf("sops encrypt: %v\n%s", err, stderr)
	}
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
