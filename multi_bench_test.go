package main

import (
	"fmt"
	"github.com/sv-secrets/sv/secretfile"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/internal/benchgen"
	"github.com/sv-secrets/sv/yamlwalk"
)

// BenchmarkDecryptFiles decrypts a tree of 60 files of about 40 KB with
// encrypted comments (the shape sops writes) as 'sv decrypt FILE...' does:
// one keyring, GOMAXPROCS workers, results in order. procs=1 is the serial
// baseline; the ratio is how the tree commands scale with cores.
func BenchmarkDecryptFiles(b *testing.B) {
	key := filepath.Join("testdata", "keys", "alice.agekey")
	kb, err := os.ReadFile(key)
	if err != nil {
		b.Fatal(err)
	}
	var pub string
	for _, l := range strings.Split(string(kb), "\n") {
		if r, ok := strings.CutPrefix(l, "# public key: "); ok {
			pub = r
		}
	}
	r, err := crypt.ParseRecipient(pub, nil)
	if err != nil {
		b.Fatal(err)
	}
	kr, err := crypt.LoadKeyring(crypt.Env{Getenv: func(k string) string {
		if k == "SOPS_AGE_KEY_FILE" {
			return key
		}
		return ""
	}})
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
				decryptFiles(files, kr, false, secretfile.FormatAuto, func(i int, d decrypted) {
					if d.err != nil {
						b.Fatal(d.err)
					}
				})
			}
		})
	}
}
