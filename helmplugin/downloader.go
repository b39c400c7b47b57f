package helmplugin

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/sv-secrets/sv/formats/dotenv"
	"github.com/sv-secrets/sv/formats/inifile"
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
	KeyLocationPrefix  string // HELM_SECRETS_KEY_LOCATION_PREFIX: key files must lie under it
}

// DefaultPolicy allows every path, like helm-secrets without settings.
func DefaultPolicy() Policy {
	return Policy{AllowSymlinks: true, AllowAbsolutePath: true, AllowPathTraversal: true, AllowAgeImport: true}
}

// PolicyFromEnv reads helm-secrets' variables. Unset (or empty) ones keep
// their default (allow, as in helm-secrets); a set one allows only when it
// is exactly "true", so a typo ("0", "no", "False") restricts.
func PolicyFromEnv(getenv func(string) string) Policy {
	return Policy{
		AllowSymlinks:      envFlag(getenv, "HELM_SECRETS_VALUES_ALLOW_SYMLINKS", true),
		AllowAbsolutePath:  envFlag(getenv, "HELM_SECRETS_VALUES_ALLOW_ABSOLUTE_PATH", true),
		AllowPathTraversal: envFlag(getenv, "HELM_SECRETS_VALUES_ALLOW_PATH_TRAVERSAL", true),
		AllowAgeImport:     envFlag(getenv, "HELM_SECRETS_ALLOW_AGE_IMPORT", true),
		KeyLocationPrefix:  getenv("HELM_SECRETS_KEY_LOCATION_PREFIX"),
	}
}

// Downloader serves the URLs Helm hands to sv's getter.
type Downloader struct {
	Settings Settings
	Decrypt  Decrypter
	// HelmGet reads a URL of a scheme sv does not fetch itself
	// (git+https://, s3://, …) through Helm's installed getter plugins; nil
	// makes such URLs fail.
	HelmGet func(url string) ([]byte, error)
	// Client fetches http(s) URLs; nil means a client with
	// Settings.HTTPTimeout.
	Client *http.Client
	// Getenv resolves ${NAME} in URLs and NETRC; nil means os.Getenv.
	Getenv func(string) string
}

// Fetch is the downloader with the given policy and defaults for
// everything else.
func Fetch(href string, p Policy, dec Decrypter) ([]byte, error) {
	d := &Downloader{Settings: Settings{Policy: p, MaxSize: DefaultMaxSize, HTTPTimeout: DefaultHTTPTimeout}, Decrypt: dec}
	return d.Fetch(href)
}

// KeyMaterialError is a file the downloader refuses to hand out because it
// holds an age identity.
type KeyMaterialError struct{ Name string }

func (e *KeyMaterialError) Error() string {
	return fmt.Sprintf("%s contains an age secret key (AGE-SECRET-KEY-…); sv never hands key material to Helm", e.Name)
}

// secretKey matches the start of an age identity, classic
// (AGE-SECRET-KEY-1…) and post-quantum hybrid (AGE-SECRET-KEY-PQ-1…), in
// either case (bech32 strings may be lower case).
var secretKey = regexp.MustCompile(`(?i)AGE-SECRET-KEY-(PQ-)?1`)

// ContainsSecretKey reports whether b holds an age identity.
func ContainsSecretKey(b []byte) bool { return secretKey.Match(b) }

// Fetch returns the plaintext Helm should read for href. An encrypted
// document is decrypted with d.Decrypt; one that is not encrypted is
// returned byte for byte; an optional ("?") missing file yields empty
// content. Whatever the settings, content holding an age secret key is
// refused. Nothing is written anywhere.
func (d *Downloader) Fetch(href string) ([]byte, error) {
	ref, err := ParseRef(href)
	if err != nil {
		// Name the URL when it holds file names only: a literal's URL is
		// the value itself, and an unknown scheme may be a mistyped literal.
		scheme, _, _ := strings.Cut(href, "://")
		scheme = strings.ToLower(scheme)
		if scheme != SchemeLiteral && slices.Contains(Protocols, scheme) {
			return nil, fmt.Errorf("%s: %w", RedactURL(href), err)
		}
		return nil, err
	}
	var (
		name, keyFile string
		src           []byte
	)
	if ref.Scheme == SchemeLiteral {
		name, src = SchemeLiteral+" value", []byte(ref.Literal)
	} else {
		name = RedactURL(ref.Path)
		if ref.KeyFile != "" {
			if keyFile, err = d.Settings.checkKey(ref.KeyFile, name); err != nil {
				return nil, err
			}
		}
		src, err = d.read(ref.Path)
		if err != nil {
			if errors.Is(err, errMissing) && (ref.Optional || d.Settings.IgnoreMissing) {
				return []byte{}, nil
			}
			return nil, err
		}
	}
	out := src
	if LooksEncrypted(src) && !d.Settings.SkipDecrypt {
		if out, err = d.Decrypt(name, src, keyFile); err != nil {
			return nil, err
		}
	}
	if ContainsSecretKey(out) {
		return nil, &KeyMaterialError{Name: name}
	}
	return out, nil
}

// errMissing marks a file or URL that does not exist (for "?" and
// HELM_SECRETS_IGNORE_MISSING_VALUES).
var errMissing = errors.New("no such file")

type missingError struct{ name string }

func (e *missingError) Error() string { return e.name + ": no such file" }
func (e *missingError) Is(t error) bool {
	return t == errMissing || t == fs.ErrNotExist
}

// read returns the bytes of a local file or URL, bounded by MaxSize.
func (d *Downloader) read(loc string) ([]byte, error) {
	scheme := LocationScheme(loc)
	if scheme != "" && d.Settings.DenyRemote {
		return nil, fmt.Errorf("%s: remote values are not allowed here (SV_HELM_ALLOW_REMOTE)", RedactURL(loc))
	}
	switch scheme {
	case "":
		return d.Settings.ReadLocal(loc)
	case "http", "https":
		return d.httpGet(loc)
	default:
		// Helm reads a URL whose scheme no getter claims as a local path
		// ("x://../../etc/f" under a directory "x:"), so the path rules
		// apply to it as written.
		if err := d.Settings.CheckPath(loc); err != nil {
			return nil, err
		}
		if d.HelmGet == nil {
			return nil, fmt.Errorf("%s: no Helm getter for %s:// available here", RedactURL(loc), scheme)
		}
		b, err := d.HelmGet(loc)
		if err != nil {
			return nil, err
		}
		if int64(len(b)) > d.maxSize() {
			return nil, fmt.Errorf("%s: larger than %d bytes", RedactURL(loc), d.maxSize())
		}
		return b, nil
	}
}

func (d *Downloader) maxSize() int64 {
	if d.Settings.MaxSize > 0 {
		return d.Settings.MaxSize
	}
	return DefaultMaxSize
}

// ReadLocal reads a values file under the policy: the path rules first,
// then only a regular file (no device, FIFO or directory), at most MaxSize
// bytes.
func (s Settings) ReadLocal(path string) ([]byte, error) {
	if err := s.CheckPath(path); err != nil {
		return nil, err
	}
	max := s.MaxSize
	if max <= 0 {
		max = DefaultMaxSize
	}
	return readRegular(path, max)
}

func readRegular(path string, max int64) ([]byte, error) {
	f, err := openNoBlock(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &missingError{name: path}
		}
		return nil, fmt.Errorf("%s: %w", path, unwrapPath(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, unwrapPath(err))
	}
	switch {
	case fi.IsDir():
		return nil, fmt.Errorf("%s: is a directory", path)
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("%s: not a regular file", path)
	case fi.Size() > max:
		return nil, fmt.Errorf("%s: larger than %d bytes", path, max)
	}
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, unwrapPath(err))
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, max)
	}
	return b, nil
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// CheckPath applies the path restrictions to a local values file:
// absolute paths, ".." components, and symbolic links in any component of
// the path (a symlinked directory counts).
func (p Policy) CheckPath(path string) error {
	if !p.AllowAbsolutePath && isAbsolute(path) {
		return fmt.Errorf("%s: absolute paths are not allowed here (HELM_SECRETS_VALUES_ALLOW_ABSOLUTE_PATH)", path)
	}
	if !p.AllowPathTraversal && slices.Contains(strings.FieldsFunc(path, isSep), "..") {
		return fmt.Errorf("%s: paths with .. are not allowed here (HELM_SECRETS_VALUES_ALLOW_PATH_TRAVERSAL)", path)
	}
	if !p.AllowSymlinks {
		if link := firstSymlink(path); link != "" {
			if link == filepath.Clean(path) {
				return fmt.Errorf("%s: symlinks are not allowed here (HELM_SECRETS_VALUES_ALLOW_SYMLINKS)", path)
			}
			return fmt.Errorf("%s: symlinks are not allowed here, and %s is one (HELM_SECRETS_VALUES_ALLOW_SYMLINKS)", path, link)
		}
	}
	return nil
}

// isAbsolute is an absolute path on any platform, as helm-secrets sees
// it: /x, \x, or a drive (C:…).
func isAbsolute(p string) bool {
	if filepath.IsAbs(p) || strings.HasPrefix(p, "/") || strings.HasPrefix(p, `\`) {
		return true
	}
	return len(p) >= 2 && p[1] == ':' && (p[0]|0x20 >= 'a' && p[0]|0x20 <= 'z')
}

// firstSymlink returns the first component of path (as a path prefix)
// that is a symbolic link, or "".
func firstSymlink(path string) string {
	clean := filepath.Clean(path)
	vol := filepath.VolumeName(clean)
	rest := clean[len(vol):]
	cur := vol
	if strings.HasPrefix(rest, string(filepath.Separator)) {
		cur += string(filepath.Separator)
	}
	for _, part := range strings.FieldsFunc(rest, isSep) {
		if part == "." {
			continue
		}
		cur = filepath.Join(cur, part)
		if part == ".." {
			continue
		}
		fi, err := os.Lstat(cur)
		if err != nil {
			return ""
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return cur
		}
	}
	return ""
}

func isSep(r rune) bool { return r == '/' || r == filepath.Separator }

// MaxKeyFileSize bounds an age identity file named by secrets+age-import.
const MaxKeyFileSize = 1 << 20

// checkKey applies HELM_SECRETS_ALLOW_AGE_IMPORT and
// HELM_SECRETS_KEY_LOCATION_PREFIX to the key file of
// secrets+age-import:// and returns the path to load it from. The prefix is
// compared with the key's real location: ".." is resolved and symlinks are
// followed (a Kubernetes Secret volume is made of symlinks), so neither can
// step out of the prefix.
func (s Settings) checkKey(key, name string) (string, error) {
	if !s.AllowAgeImport {
		return "", fmt.Errorf("%s: %s:// is not allowed here (HELM_SECRETS_ALLOW_AGE_IMPORT is not \"true\")", name, SchemeAgeImport)
	}
	if LocationScheme(key) != "" {
		return "", fmt.Errorf("%s: key location %s must be a local file", name, RedactURL(key))
	}
	abs, err := filepath.Abs(key)
	if err != nil {
		return "", fmt.Errorf("%s: key file %s: %w", name, key, err)
	}
	denied := fmt.Errorf("%s: key location %s is not allowed (HELM_SECRETS_KEY_LOCATION_PREFIX=%s)", name, key, s.KeyLocationPrefix)
	if s.KeyLocationPrefix != "" && !underPrefix(abs, s.KeyLocationPrefix) {
		return "", denied
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fmt.Errorf("%s: key file %s: %w", name, key, unwrapPath(err))
	}
	if s.KeyLocationPrefix != "" && !underPrefix(real, s.KeyLocationPrefix) {
		return "", denied
	}
	fi, err := os.Stat(real)
	if err != nil {
		return "", fmt.Errorf("%s: key file %s: %w", name, key, unwrapPath(err))
	}
	if !fi.Mode().IsRegular() || fi.Size() > MaxKeyFileSize {
		return "", fmt.Errorf("%s: key file %s is not a regular file of at most %d bytes", name, key, MaxKeyFileSize)
	}
	return real, nil
}

// underPrefix reports whether the absolute, clean path p lies under
// prefix (cleaned, and resolved when it exists), component by component: prefix
// /keys allows /keys and /keys/… but not /keys-other/… (helm-secrets
// compares strings).
func underPrefix(p, prefix string) bool {
	pre, err := filepath.Abs(prefix)
	if err != nil {
		return false
	}
	cands := []string{pre}
	if r, err := filepath.EvalSymlinks(pre); err == nil && r != pre {
		cands = append(cands, r)
	}
	for _, c := range cands {
		if p == c {
			return true
		}
		if !strings.HasSuffix(c, string(filepath.Separator)) {
			c += string(filepath.Separator)
		}
		if strings.HasPrefix(p, c) {
			return true
		}
	}
	return false
}

// jsonMAC is how a SOPS JSON document carries its MAC.
var jsonMAC = regexp.MustCompile(`"mac":\s*"ENC\[AES256_GCM,`)

// LooksEncrypted reports whether src is a SOPS document (YAML, JSON and
// binary as helm-secrets literals are, dotenv, INI), without verifying
// anything.
func LooksEncrypted(src []byte) bool {
	return yamlwalk.IsEncrypted(src) || jsonMAC.Match(src) || dotenv.IsEncrypted(src) || inifile.IsEncrypted(src)
}

// ReadURL returns the raw bytes of an http(s) or getter URL (or a local
// file under the policy), bounded like every downloader read; nothing is
// decrypted.
func (d *Downloader) ReadURL(loc string) ([]byte, error) { return d.read(loc) }
