package jsonfile

import (
	"math/rand"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sv-secrets/sv/formats/internal/fmttest"
)

// largeJSON is an indented object of about size bytes made of generated
// members: strings with escapes, numbers of every spelling, nesting.
func largeJSON(size int) []byte {
	r := rand.New(rand.NewSource(1))
	var b strings.Builder
	b.WriteString("{\n")
	for i := 0; b.Len() < size; i++ {
		if i > 0 {
			b.WriteString(",\n")
		}
		b.WriteString(`  "m` + strconv.Itoa(i) + `": `)
		b.WriteString(strings.TrimSuffix(genJSON(r), "\n"))
	}
	b.WriteString("\n}\n")
	return []byte(b.String())
}

// BenchmarkParse locates every value of a 1 MB file, with parse and with
// the hand-written parser it replaced.
func BenchmarkParse(b *testing.B) {
	in := largeJSON(1 << 20)
	for _, p := range []struct {
		name  string
		parse func([]byte) (*node, error)
	}{{"decoder", parse}, {"legacy", legacyParse}} {
		b.Run(p.name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			defer reportCPU(b, cpuTime())
			for b.Loop() {
				if _, err := p.parse(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEncrypt encrypts a 100 KB file (parse, encrypt, and the check
// that decrypts the output again).
func BenchmarkEncrypt(b *testing.B) {
	in := largeJSON(100 << 10)
	opt := fmttest.Load(b, "alice.agekey").EncryptOpts()
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	defer reportCPU(b, cpuTime())
	for b.Loop() {
		if _, err := Encrypt(in, opt); err != nil {
			b.Fatal(err)
		}
	}
}

// reportCPU adds the CPU time per operation since start (all threads, the
// garbage collector's included).
func reportCPU(b *testing.B, start time.Duration) {
	if start > 0 && b.N > 0 {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	}
}
