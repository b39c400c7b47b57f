package helmplugin

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseHelmVersion reads the output of `helm version --short` (for example
// "v3.22.0+g1a2b3c4" or "v4.3.1+gabcdef0") and returns the major version
// and the version string without the build suffix.
func ParseHelmVersion(out string) (major int, version string, err error) {
	s := strings.TrimSpace(out)
	// Helm may print warnings before the version; the version is the last line.
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = strings.TrimSpace(s[i+1:])
	}
	version, _, _ = strings.Cut(s, "+")
	num, ok := strings.CutPrefix(version, "v")
	if !ok {
		return 0, "", fmt.Errorf("cannot read a Helm version from %q", strings.TrimSpace(out))
	}
	m, _, _ := strings.Cut(num, ".")
	major, err = strconv.Atoi(m)
	if err != nil || major < 1 {
		return 0, "", fmt.Errorf("cannot read a Helm version from %q", strings.TrimSpace(out))
	}
	return major, version, nil
}

// SupportedMajor reports whether sv can install its plugin into a Helm of
// this major version.
func SupportedMajor(major int) bool { return major == 3 || major == 4 }
