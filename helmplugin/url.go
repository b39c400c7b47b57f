// Package helmplugin is the Helm side of sv: the grammar of the secrets://
// URLs Helm hands to a downloader plugin, the downloader itself, the argv
// rewriting of the `helm secrets` wrapper, helm-secrets' command line
// (ParseOptions, ParseFileArgs), finding helm and its version (Detect),
// and the plugin.yaml files and directories that make Helm 3 and Helm 4
// run sv.
//
// It decrypts nothing itself: callers pass a Decrypter (the sv core), so
// the package stays free of key handling and printing.
package helmplugin

import (
	"errors"
	"fmt"
	"strings"
)

// Protocols sv's downloader claims, the same six helm-secrets declares, so a
// Helm that has sv installed routes every helm-secrets URL to sv and the
// ones sv cannot serve fail with sv's own reason instead of Helm's
// misleading "no such file" fallback.
var Protocols = []string{
	SchemeSecrets,
	SchemeAgeImport,
	SchemeLiteral,
	"secrets+gpg-import",
	"secrets+gpg-import-kubernetes",
	"secrets+age-import-kubernetes",
}

// The URL schemes sv serves.
const (
	SchemeSecrets   = "secrets"
	SchemeAgeImport = "secrets+age-import"
	SchemeLiteral   = "secrets+literal"
)

// Ref is a parsed downloader URL.
//
// Grammar (helm-secrets compatible): scheme://[?][backend!]rest, where a
// leading "?" means a missing file is not an error, and backend may only be
// "sops" (sv is a sops backend). rest is:
//   - secrets://FILE                   FILE relative to the working directory, or absolute
//   - secrets+age-import://KEYFILE?FILE split at the first "?"; KEYFILE is the age identity file
//   - secrets+literal://VALUE          VALUE is a whole document, decrypted if encrypted
//
// FILE may itself be a URL: http(s)://… (fetched by sv) or any other
// scheme://… (fetched through Helm's getter plugins, e.g. git+https:// of
// helm-git).
//
// Nothing is URL-decoded: Helm passes the string the user wrote.
type Ref struct {
	Scheme   string
	Optional bool   // leading "?": a missing file yields empty content
	KeyFile  string // secrets+age-import only
	Path     string // the file or URL, for secrets and secrets+age-import
	Literal  string // secrets+literal only
}

// UnsupportedError is a helm-secrets protocol or backend that sv does not
// implement.
type UnsupportedError struct {
	What string // e.g. `protocol "secrets+gpg-import"`
	Hint string
}

func (e *UnsupportedError) Error() string {
	msg := e.What + " is not supported by sv"
	if e.Hint != "" {
		msg += ": " + e.Hint
	}
	return msg
}

// ParseRef parses the URL Helm passes as the downloader's last argument.
func ParseRef(href string) (*Ref, error) {
	scheme, rest, ok := strings.Cut(href, "://")
	if !ok || scheme == "" {
		return nil, errors.New("not a secrets:// URL")
	}
	scheme = strings.ToLower(scheme)
	r := &Ref{Scheme: scheme}
	switch scheme {
	case SchemeSecrets, SchemeAgeImport, SchemeLiteral:
	case "secrets+gpg-import", "secrets+gpg-import-kubernetes":
		return nil, &UnsupportedError{What: fmt.Sprintf("protocol %q", scheme), Hint: "sv decrypts with age keys only; re-encrypt the file with sv for age recipients"}
	case "secrets+age-import-kubernetes":
		return nil, &UnsupportedError{What: fmt.Sprintf("protocol %q", scheme), Hint: "mount the Kubernetes Secret as a file and use secrets+age-import://KEYFILE?FILE, or set SOPS_AGE_KEY_FILE"}
	case "secret", "sops":
		return nil, &UnsupportedError{What: fmt.Sprintf("protocol %q", scheme), Hint: "use secrets://"}
	default:
		return nil, fmt.Errorf("unknown protocol %q (sv serves secrets://, secrets+age-import:// and secrets+literal://)", scheme)
	}
	if r.Scheme == SchemeLiteral {
		// A literal is the value itself; "?" and "backend!" would be part of it.
		r.Literal = rest
		if b, v, ok := strings.Cut(rest, "!"); ok && isBackendName(b) {
			if err := checkBackend(b); err != nil {
				return nil, err
			}
			r.Literal = v
		}
		return r, nil
	}
	if s, ok := strings.CutPrefix(rest, "?"); ok {
		r.Optional, rest = true, s
	}
	if b, v, ok := strings.Cut(rest, "!"); ok && isBackendName(b) {
		if err := checkBackend(b); err != nil {
			return nil, err
		}
		rest = v
	}
	if r.Scheme == SchemeAgeImport {
		key, file, ok := strings.Cut(rest, "?")
		if !ok || key == "" || file == "" {
			return nil, fmt.Errorf("%s:// needs KEYFILE?FILE, got %q", SchemeAgeImport, rest)
		}
		r.KeyFile, rest = key, file
	}
	if rest == "" {
		return nil, fmt.Errorf("%s:// names no file", r.Scheme)
	}
	if inner := LocationScheme(rest); inner != "" && (inner == SchemeSecrets || strings.HasPrefix(inner, SchemeSecrets+"+") || inner == "secret" || inner == "sops") {
		return nil, fmt.Errorf("%s:// cannot wrap another %s:// URL", r.Scheme, inner)
	}
	r.Path = rest
	return r, nil
}

// LocationScheme returns the lower-cased URL scheme of a file argument
// ("https", "git+https", …), or "" for a local path ("C:\x" and "a/b://c"
// are paths).
func LocationScheme(p string) string {
	scheme, _, ok := strings.Cut(p, "://")
	if !ok || !isScheme(scheme) {
		return ""
	}
	return strings.ToLower(scheme)
}

// isBackendName reports whether s is one of helm-secrets' backend
// prefixes ("sops!", "vals!"); anything else before a "!" is part of a
// file name.
func isBackendName(s string) bool {
	return s == "sops" || s == "vals" || s == "noop"
}

func checkBackend(b string) error {
	if b == "sops" {
		return nil
	}
	return &UnsupportedError{What: fmt.Sprintf("backend %q", b), Hint: "sv is a sops backend; drop the \"" + b + "!\" prefix for sops files"}
}

// SplitBackend removes a "sops!" prefix from a wrapper file argument and
// rejects the other helm-secrets backends ("vals!", "noop!").
func SplitBackend(s string) (string, error) {
	b, v, ok := strings.Cut(s, "!")
	if !ok || !isBackendName(b) {
		return s, nil
	}
	if err := checkBackend(b); err != nil {
		return "", err
	}
	return v, nil
}
