package yamlwalk

import (
	"fmt"
	"testing"

	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/internal/benchgen"
)

func benchSizes(b *testing.B, fn func(b *testing.B, src []byte)) {
	noCrossCheck(b)
	for _, n := range []int{1000, 10000, 100000} {
		src := benchgen.Values(n)
		b.Run(fmt.Sprintf("leaves=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			b.ReportAllocs()
			fn(b, src)
		})
	}
}

func BenchmarkEncrypt(b *testing.B) {
	r, _ := testKeys(b)
	benchSizes(b, func(b *testing.B, src []byte) {
		for b.Loop() {
			if _, err := Encrypt(src, EncryptOptions{KeyGroups: [][]crypt.Recipient{{r}}}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkDecrypt(b *testing.B) {
	r, kr := testKeys(b)
	benchSizes(b, func(b *testing.B, src []byte) {
		res, err := Encrypt(src, EncryptOptions{KeyGroups: [][]crypt.Recipient{{r}}})
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for b.Loop() {
			if _, err := Decrypt(res.Out, DecryptOptions{Keys: kr}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// noCrossCheck turns off TestMain's comparison of the fast decrypt path
// with the node path for a benchmark: it would time both.
func noCrossCheck(b *testing.B) {
	saved := fastCrossCheck
	fastCrossCheck = nil
	b.Cleanup(func() { fastCrossCheck = saved })
}
