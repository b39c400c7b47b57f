// Package benchgen generates Helm-values-like YAML files of a given size for
// benchmarks: the Go benchmarks and bench/compare.sh use the same shape.
package benchgen

import (
	"fmt"
	"strings"
)

// Values returns a values file with about n leaves: nested mappings, lists,
// comments, and a mix of strings, numbers and booleans.
func Values(n int) []byte {
	var b strings.Builder
	b.WriteString("# generated values file\n")
	for i := 0; i*10 < n; i++ {
		fmt.Fprintf(&b, "service%d:\n", i)
		fmt.Fprintf(&b, "  # settings of service %d\n", i)
		fmt.Fprintf(&b, "  image: registry.example.com/team/service-%d\n", i)
		fmt.Fprintf(&b, "  tag: \"v1.%d.0\"\n", i)
		fmt.Fprintf(&b, "  replicas: %d\n", i%5+1)
		fmt.Fprintf(&b, "  enabled: %t\n", i%2 == 0)
		b.WriteString("  db:\n")
		fmt.Fprintf(&b, "    host: db-%d.internal\n", i)
		fmt.Fprintf(&b, "    password: 'p4ss-%08d-secret'\n", i*7919)
		fmt.Fprintf(&b, "    ratio: %d.5\n", i%10)
		b.WriteString("  hosts:\n")
		fmt.Fprintf(&b, "    - a%d.example.com\n", i)
		fmt.Fprintf(&b, "    - b%d.example.com\n", i)
	}
	return []byte(b.String())
}
