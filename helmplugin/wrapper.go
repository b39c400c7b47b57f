package helmplugin

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"
	"strings"
)

// RewriteOptions configure Rewrite.
type RewriteOptions struct {
	// IgnoreMissing turns a values file that does not exist into an
	// optional secrets://? URL, which Helm reads as empty.
	IgnoreMissing bool
	// Settings give the path policy, the size limit and SkipDecrypt.
	Settings Settings
	// ReadFile reads a values file; nil means Settings.ReadLocal (policy,
	// regular files only, size limit). Nothing is decrypted.
	ReadFile func(string) ([]byte, error)
	// Abs makes a path absolute; nil means filepath.Abs.
	Abs func(string) (string, error)
}

// Rewrite returns Helm's argv with every -f/--values file and every
// --set-file value that Helm must not read itself replaced by a
// secrets:// URL, so Helm fetches the plaintext through the downloader and
// no decrypted copy is ever written: SOPS-encrypted local files, and every
// URL (http(s):// and other getter schemes), whose content sv checks and
// decrypts in memory. Local files that are not encrypted, "-", and
// secrets:// URLs pass through untouched. A leading "?" (optional file)
// and a "sops!" backend prefix are understood as helm-secrets does.
// Accepted forms: "-f X", "-fX", "-f=X", "--values X", "--values=X",
// comma-separated lists, "--set-file k=X[,k2=Y]" and "--set-file=…".
// A --set, --set-string or --set-json value holding a SOPS document is an
// error (helm-secrets decrypts it into helm's argv; sv does not put
// plaintext on a command line). Arguments after "--" are left alone.
func Rewrite(args []string, opt RewriteOptions) ([]string, error) {
	if opt.ReadFile == nil {
		opt.ReadFile = opt.Settings.ReadLocal
	}
	if opt.Abs == nil {
		opt.Abs = filepath.Abs
	}
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			out = append(out, args[i:]...)
			break
		}
		var (
			kind  byte // 'f' values list, 's' set-file list, 'l' literal
			flag  string
			value string
			split bool // the value is the next argument
		)
		switch {
		case a == "-f" || a == "--values":
			kind, flag, split = 'f', a, true
		case a == "--set-file":
			kind, flag, split = 's', a, true
		case a == "--set" || a == "--set-string" || a == "--set-json":
			kind, flag, split = 'l', a, true
		case strings.HasPrefix(a, "--values="):
			kind, flag, value = 'f', "--values=", a[len("--values="):]
		case strings.HasPrefix(a, "--set-file="):
			kind, flag, value = 's', "--set-file=", a[len("--set-file="):]
		case strings.HasPrefix(a, "--set=") || strings.HasPrefix(a, "--set-string=") || strings.HasPrefix(a, "--set-json="):
			f, v, _ := strings.Cut(a, "=")
			kind, flag, value = 'l', f+"=", v
		case strings.HasPrefix(a, "-f="):
			kind, flag, value = 'f', "-f=", a[len("-f="):]
		case strings.HasPrefix(a, "-f") && !strings.HasPrefix(a, "--"):
			kind, flag, value = 'f', "-f", a[len("-f"):]
		default:
			out = append(out, a)
			continue
		}
		if split {
			out = append(out, flag)
			if i+1 >= len(args) {
				break // Helm reports the missing value
			}
			i++
			value, flag = args[i], ""
		}
		var (
			nv  string
			err error
		)
		switch kind {
		case 'f':
			nv, err = rewriteValuesList(value, opt)
		case 's':
			nv, err = rewriteSetFile(value, opt)
		default:
			nv = value
			if LooksEncrypted([]byte(value)) {
				err = fmt.Errorf("a SOPS document as a --set/--set-string/--set-json value is not supported: sv never puts plaintext on helm's command line; pass it with --set-file KEY=secrets://FILE")
			}
		}
		if err != nil {
			return nil, err
		}
		out = append(out, flag+nv)
	}
	return out, nil
}

// rewriteValuesList handles one -f value. Helm splits it like a CSV
// record; a value with quotes is left as it is rather than half-parsed.
func rewriteValuesList(v string, opt RewriteOptions) (string, error) {
	if strings.Contains(v, `"`) {
		return v, nil
	}
	items := strings.Split(v, ",")
	for i, it := range items {
		nv, err := rewriteFile(it, opt)
		if err != nil {
			return "", err
		}
		items[i] = nv
	}
	return strings.Join(items, ","), nil
}

// rewriteSetFile handles one --set-file value: key=path pairs separated by
// commas, where a backslash escapes the next character (Helm's strvals).
func rewriteSetFile(v string, opt RewriteOptions) (string, error) {
	parts := splitUnescaped(v, ',')
	for i, p := range parts {
		eq := indexUnescaped(p, '=')
		if eq < 0 {
			continue // Helm reports the syntax error
		}
		raw := p[eq+1:]
		path := unescape(raw)
		nv, err := rewriteFile(path, opt)
		if err != nil {
			return "", err
		}
		if nv != path {
			parts[i] = p[:eq+1] + escape(nv)
		}
	}
	return strings.Join(parts, ","), nil
}

// rewriteFile returns what Helm should get for one file argument.
func rewriteFile(arg string, opt RewriteOptions) (string, error) {
	if arg == "" || strings.TrimSpace(arg) == "-" {
		return arg, nil
	}
	path, optional := strings.CutPrefix(arg, "?")
	path, err := SplitBackend(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", RedactURL(arg), err)
	}
	if path == "" {
		return arg, nil
	}
	switch scheme := LocationScheme(path); {
	case scheme == "secret" || scheme == "sops":
		// helm-secrets dropped these; Helm would read them as a local
		// path and fail with a confusing "no such file" (helm-secrets #398).
		return "", fmt.Errorf("%s: unknown protocol %q (did you mean secrets://?)", path, scheme)
	case scheme == SchemeSecrets || strings.HasPrefix(scheme, SchemeSecrets+"+"):
		return path, nil // Helm runs the downloader
	case scheme != "":
		// http(s):// and getter schemes: the downloader fetches, checks and
		// decrypts, so an encrypted remote file never reaches Helm as is.
		if opt.Settings.SkipDecrypt {
			return path, nil
		}
		rest := path
		if optional || opt.IgnoreMissing {
			rest = "?" + path
		}
		u := SchemeSecrets + "://" + rest
		if !parsesAsSecrets(u) {
			return "", fmt.Errorf("%s: cannot hand this URL to Helm as secrets://%s (Helm cannot parse it)", RedactURL(path), RedactURL(path))
		}
		return u, nil
	}
	src, err := opt.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, errMissing) {
			if optional || opt.IgnoreMissing {
				return toURL("?"+path, path, opt)
			}
			return path, nil // Helm reports it in its own words
		}
		return "", err
	}
	if ContainsSecretKey(src) {
		return "", &KeyMaterialError{Name: path}
	}
	if !LooksEncrypted(src) || opt.Settings.SkipDecrypt {
		return path, nil
	}
	return toURL(path, path, opt)
}

// toURL builds secrets://rest and makes sure Helm's url.Parse sees the
// secrets scheme in it; a relative path that is not a valid URL host (a
// colon, a space) gets a "./" (or, failing that, is made absolute), so it
// becomes the URL's path.
func toURL(rest, path string, opt RewriteOptions) (string, error) {
	u := SchemeSecrets + "://" + rest
	if parsesAsSecrets(u) {
		return u, nil
	}
	// "./" makes "." the URL's host and the rest its path, where spaces
	// and colons parse; the downloader still reads the same relative path
	// (and an absolute one would trip HELM_SECRETS_VALUES_ALLOW_ABSOLUTE_PATH).
	if !isAbsolute(path) {
		p, optional := strings.CutPrefix(rest, "?")
		q := ""
		if optional {
			q = "?"
		}
		if u := SchemeSecrets + "://" + q + "./" + p; parsesAsSecrets(u) {
			return u, nil
		}
	}
	abs, err := opt.Abs(path)
	if err == nil {
		if strings.HasPrefix(rest, "?") {
			abs = "?" + abs
		}
		u = SchemeSecrets + "://" + abs
		if parsesAsSecrets(u) {
			return u, nil
		}
	}
	return "", fmt.Errorf("%s: cannot hand this file name to Helm as a secrets:// URL (Helm cannot parse it); rename the file", path)
}

func parsesAsSecrets(u string) bool {
	p, err := url.Parse(u)
	return err == nil && p.Scheme == SchemeSecrets
}

// isScheme reports whether s is a URL scheme (RFC 3986), so "C:\x" and
// "a/b://c" are treated as paths.
func isScheme(s string) bool {
	if s == "" || len(s) == 1 { // "C" of a Windows drive
		return false
	}
	for i, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

func splitUnescaped(s string, sep byte) []string {
	var parts []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case sep:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

func indexUnescaped(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case c:
			return i
		}
	}
	return -1
}

func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func escape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `,`, `\,`)
	return r.Replace(s)
}
