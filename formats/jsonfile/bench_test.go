package jsonfile

import (
	"math/rand"
	"strconv"
	"strings"
	"testing"

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

// BenchmarkParse locates every value of a 1 MB file.
func BenchmarkParse(b *testing.B) {
	in := largeJSON(1 << 20)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parse(in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncrypt encrypts a 100 KB file (parse, encrypt, and the check
// that decrypts the output again).
func BenchmarkEncrypt(b *testing.B) {
	in := largeJSON(100 << 10)
	opt := fmttest.Load(b, "alice.agekey").EncryptOpts()
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encrypt(in, opt); err != nil {
			b.Fatal(err)
		}
	}
}
