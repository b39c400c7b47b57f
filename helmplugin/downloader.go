package helmplugin

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/sv-secrets/sv/yamlwalk"
)

// Decrypter opens one SOPS-encrypted document and returns its plaintext.
// name is how errors must name it (the file as the user wrote it); keyFile,
// when not empty, is an age identity file that takes the place of
// SOPS_AGE_KEY_FILE for this document (secrets+age-import://). Errors must
// name the file and never contain a secret value.
type Decrypter func(name string, src []byte, keyFile string) ([]byte, error)

// Policy holds the restrictions helm-secrets offers for shared
// environments such as an Argo CD repo server, where chart authors choose
// the URLs but must not read arbitrary files of the server. The zero value
// forbids everything; DefaultPolicy allows everything, as helm-secrets does.
type Policy struct {
	AllowSymlinks      bool   // HELM_SECRETS_VALUES_ALLOW_SYMLINKS
	AllowAbsolutePath  bool   // HELM_SECRETS_VALUES_ALLOW_ABSOLUTE_PATH
	AllowPathTraversal bool   // HELM_SECRETS_VALUES_ALLOW_PATH_TRAVERSAL ("..")
	AllowAgeImport     bool   // HELM_SECRETS_ALLOW_AGE_IMPORT
	KeyLocationPrefix  string // HELM_SECRETS_KEY_LOCATION_PREFIX: key files must start with it
}

// DefaultPolicy allows every path, like helm-secrets without settings.
func DefaultPolicy() Policy {
	return Policy{AllowSymlinks: true, AllowAbsolutePath: true, AllowPathTraversal: true, AllowAgeImport: true}
}

// PolicyFromEnv reads helm-secrets' variables; unset ones keep their
// default (allow), anything but "false" counts as true.
func PolicyFromEnv(getenv func(string) string) Policy {
	p := DefaultPolicy()
	flag := func(name string, v *bool) {
		if s := getenv(name); s != "" {
			*v = !strings.EqualFold(strings.TrimSpace(s), "false")
		}
	}
	flag("HELM_SECRETS_VALUES_ALLOW_SYMLINKS", &p.AllowSymlinks)
	flag("HELM_SECRETS_VALUES_ALLOW_ABSOLUTE_PATH", &p.AllowAbsolutePath)
	flag("HELM_SECRETS_VALUES_ALLOW_PATH_TRAVERSAL", &p.AllowPathTraversal)
	flag("HELM_SECRETS_ALLOW_AGE_IMPORT", &p.AllowAgeImport)
	p.KeyLocationPrefix = getenv("HELM_SECRETS_KEY_LOCATION_PREFIX")
	return p
}

// Fetch is the downloader: it returns the plaintext Helm should read for
// href. An encrypted file is decrypted with dec; a file that is not
// encrypted is returned byte for byte; an optional ("?") missing file
// yields empty content. Nothing is written anywhere.
func Fetch(href string, p Policy, dec Decrypter) ([]byte, error) {
	ref, err := ParseRef(href)
	if err != nil {
		// Name the URL when it holds file names only: a literal's URL is
		// the value itself, and an unknown scheme may be a mistyped literal.
		scheme, _, _ := strings.Cut(href, "://")
		scheme = strings.ToLower(scheme)
		if scheme != SchemeLiteral && slices.Contains(Protocols, scheme) {
			return nil, fmt.Errorf("%s: %w", href, err)
		}
		return nil, err
	}
	if ref.Scheme == SchemeLiteral {
		src := []byte(ref.Literal)
		if !LooksEncrypted(src) {
			return src, nil
		}
		return dec(SchemeLiteral+" value", src, "")
	}
	if err := p.checkPath(ref.Path); err != nil {
		return nil, err
	}
	if ref.KeyFile != "" {
		if !p.AllowAgeImport {
			return nil, fmt.Errorf("%s: %s:// is not allowed here (HELM_SECRETS_ALLOW_AGE_IMPORT=false)", ref.Path, SchemeAgeImport)
		}
		if !strings.HasPrefix(ref.KeyFile, p.KeyLocationPrefix) {
			return nil, fmt.Errorf("%s: key location %s is not allowed (HELM_SECRETS_KEY_LOCATION_PREFIX=%s)", ref.Path, ref.KeyFile, p.KeyLocationPrefix)
		}
	}
	src, err := os.ReadFile(ref.Path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if ref.Optional {
				return []byte{}, nil
			}
			return nil, fmt.Errorf("%s: no such file", ref.Path)
		}
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("%s: %w", ref.Path, err)
	}
	if !LooksEncrypted(src) {
		return src, nil
	}
	return dec(ref.Path, src, ref.KeyFile)
}

func (p Policy) checkPath(path string) error {
	if !p.AllowAbsolutePath && filepath.IsAbs(path) {
		return fmt.Errorf("%s: absolute paths are not allowed here (HELM_SECRETS_VALUES_ALLOW_ABSOLUTE_PATH=false)", path)
	}
	if !p.AllowPathTraversal && slices.Contains(strings.FieldsFunc(path, isSep), "..") {
		return fmt.Errorf("%s: paths with .. are not allowed here (HELM_SECRETS_VALUES_ALLOW_PATH_TRAVERSAL=false)", path)
	}
	if !p.AllowSymlinks {
		if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return fmt.Errorf("%s: symlinks are not allowed here (HELM_SECRETS_VALUES_ALLOW_SYMLINKS=false)", path)
		}
	}
	return nil
}

func isSep(r rune) bool { return r == '/' || r == filepath.Separator }

// jsonMAC is how a SOPS JSON document carries its MAC.
var jsonMAC = regexp.MustCompile(`"mac":\s*"ENC\[AES256_GCM,`)

// LooksEncrypted reports whether src is a SOPS document (YAML, or JSON as
// helm-secrets literals are), without verifying anything.
func LooksEncrypted(src []byte) bool {
	return yamlwalk.IsEncrypted(src) || jsonMAC.Match(src)
}
