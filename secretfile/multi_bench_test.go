package secretfile

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/internal/benchgen"
	"github.com/sv-secrets/sv/yamlwalk"
)

// BenchmarkDecryptEach decrypts a tree of 60 files of about 40 KB with
// encrypted comments (the shape sops writes) as 'sv decrypt FILE...' does:
// one keyring, GOMAXPROCS workers, results in order. procs=1 is the serial
// baseline; the ratio is how the tree commands scale with cores.
func BenchmarkDecryptEach(b *testing.B) {
	keys, pub := testKeys(b)
	r, err := crypt.ParseRecipient(pub, nil)
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	var files []string
	size := 0
	for i := 0; i < 60; i++ {
		res, err := yamlwalk.Encrypt(benchgen.Values(270+i%20), yamlwalk.EncryptOptions{KeyGroups: [][]crypt.Recipient{{r}}, EncryptComments: true})
		if err != nil {
			b.Fatal(err)
		}
		f := filepath.Join(dir, fmt.Sprintf("values-%d.yaml", i))
		if err := os.WriteFile(f, res.Out, 0o600); err != nil {
			b.Fatal(err)
		}
		files = append(files, f)
		size += len(res.Out)
	}
	for _, procs := range []int{1, runtime.NumCPU()} {
		b.Run(fmt.Sprintf("procs=%d", procs), func(b *testing.B) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				err := DecryptEach(files, ManyOptions{Keys: keys}, func(i int, f Opened) {
					if f.Err != nil {
						b.Fatal(f.Err)
					}
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
