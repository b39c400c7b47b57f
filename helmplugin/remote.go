package helmplugin

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// RedactURL hides the password (or token) of a URL's user information, so
// an error message never shows credentials: https://user:***@host/….
// Strings that are not URLs are returned unchanged.
func RedactURL(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || !isScheme(scheme) {
		return s
	}
	host := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		host = rest[:i]
	}
	at := strings.LastIndexByte(host, '@')
	if at < 0 {
		return s
	}
	user, _, hasPass := strings.Cut(host[:at], ":")
	if !hasPass {
		user = "***"
	} else {
		user += ":***"
	}
	return scheme + "://" + user + rest[at:]
}

var urlVar = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// ExpandURL replaces ${NAME} in u with the variable's value, as
// HELM_SECRETS_URL_VARIABLE_EXPANSION=true does in helm-secrets (only the
// braced form; $NAME stays). An unset variable is an error naming it.
func ExpandURL(u string, getenv func(string) string) (string, error) {
	var missing string
	out := urlVar.ReplaceAllStringFunc(u, func(m string) string {
		name := m[2 : len(m)-1]
		v := getenv(name)
		if v == "" && missing == "" {
			missing = name
		}
		return v
	})
	if missing != "" {
		return "", fmt.Errorf("%s: ${%s} is not set (HELM_SECRETS_URL_VARIABLE_EXPANSION=true)", RedactURL(u), missing)
	}
	return out, nil
}

func (d *Downloader) getenv(name string) string {
	if d.Getenv != nil {
		return d.Getenv(name)
	}
	return os.Getenv(name)
}

// httpGet fetches an http(s) URL into memory: bounded in time
// (Settings.HTTPTimeout) and size (Settings.MaxSize). Basic
// authentication comes from the URL or from the file named by $NETRC.
// A 404 or 410 counts as a missing file; any other failure is an error
// that names the URL as written, credentials hidden.
func (d *Downloader) httpGet(raw string) ([]byte, error) {
	name := RedactURL(raw)
	target := raw
	if d.Settings.URLExpansion {
		var err error
		if target, err = ExpandURL(raw, d.getenv); err != nil {
			return nil, err
		}
	}
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("%s: not a valid URL", name)
	}
	client := d.Client
	if client == nil {
		timeout := d.Settings.HTTPTimeout
		if timeout <= 0 {
			timeout = DefaultHTTPTimeout
		}
		client = &http.Client{Timeout: timeout}
	}
	req, err := http.NewRequest(http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%s: not a valid URL", name)
	}
	if u.User == nil {
		if login, pass, ok := netrcLookup(d.getenv("NETRC"), u.Hostname()); ok {
			req.SetBasicAuth(login, pass)
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
			return nil, fmt.Errorf("%s: no complete answer within %s", name, client.Timeout)
		}
		return nil, fmt.Errorf("%s: %s", name, redactAll(err.Error(), raw, target))
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return nil, &missingError{name: name}
	case resp.StatusCode/100 != 2:
		return nil, fmt.Errorf("%s: HTTP %s", name, resp.Status)
	}
	max := d.maxSize()
	b, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		if isTimeout(err) {
			return nil, fmt.Errorf("%s: no complete answer within %s", name, client.Timeout)
		}
		return nil, fmt.Errorf("%s: reading the answer: %s", name, redactAll(err.Error(), raw, target))
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, max)
	}
	return b, nil
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// redactAll replaces the URLs (as written and as expanded) in msg by the
// redacted form of the one written.
func redactAll(msg string, urls ...string) string {
	red := RedactURL(urls[0])
	for _, u := range urls {
		if u != "" {
			msg = strings.ReplaceAll(msg, u, red)
		}
	}
	if u, err := url.Parse(urls[len(urls)-1]); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			msg = strings.ReplaceAll(msg, p, "***")
		}
	}
	return msg
}

// netrcLookup finds login and password for host in the .netrc file at
// path (curl's --netrc-file, which helm-secrets passes $NETRC to).
func netrcLookup(path, host string) (login, password string, ok bool) {
	if path == "" {
		return "", "", false
	}
	b, err := readRegular(path, MaxKeyFileSize)
	if err != nil {
		return "", "", false
	}
	var toks []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		toks = append(toks, strings.Fields(line)...)
	}
	match, inDefault := false, false
	var dl, dp string
	for i := 0; i < len(toks); i++ {
		next := func() string {
			if i+1 < len(toks) {
				i++
				return toks[i]
			}
			return ""
		}
		switch toks[i] {
		case "machine":
			if match {
				return login, password, true
			}
			match, inDefault = next() == host, false
		case "default":
			if match {
				return login, password, true
			}
			inDefault = true
		case "login":
			v := next()
			if match {
				login = v
			} else if inDefault {
				dl = v
			}
		case "password":
			v := next()
			if match {
				password = v
			} else if inDefault {
				dp = v
			}
		}
	}
	if match {
		return login, password, true
	}
	if dl != "" || dp != "" {
		return dl, dp, true
	}
	return "", "", false
}

// GetterTimeout bounds one read through Helm's getter plugins.
const GetterTimeout = 5 * time.Minute

// HelmGetter returns a function that reads a URL through Helm's getter
// plugins, as helm-secrets does for schemes it does not fetch itself: it
// runs `helm template` on a one-template chart with --set-file
// content=URL and takes the content from the rendered output (base64 in a
// YAML string, so it arrives byte for byte). The chart is written to a temporary
// directory; the content is only ever in memory.
func HelmGetter(helmBin string) func(string) ([]byte, error) {
	return func(u string) ([]byte, error) {
		name := RedactURL(u)
		dir, err := os.MkdirTemp("", "sv-getter-*")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		if err := os.MkdirAll(filepath.Join(dir, "templates"), 0o700); err != nil {
			return nil, err
		}
		files := map[string]string{
			"Chart.yaml":             "apiVersion: v2\nname: sv-values-getter\nversion: 1.0.0\n",
			"templates/content.yaml": "svContent: {{ .Values.content | b64enc | quote }}\n",
		}
		for f, c := range files {
			if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(f)), []byte(c), 0o600); err != nil {
				return nil, err
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), GetterTimeout)
		defer cancel()
		var stdout, stderr bytes.Buffer
		// --set-file splits at commas and unescapes backslashes (strvals).
		arg := strings.NewReplacer(`\`, `\\`, `,`, `\,`).Replace(u)
		cmd := exec.CommandContext(ctx, helmBin, "template", "sv-values-getter", dir, "--set-file", "content="+arg)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			msg := strings.TrimSpace(stderr.String())
			if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
				msg = strings.TrimSpace(msg[i+1:])
			}
			msg = strings.TrimPrefix(msg, "Error: ")
			if ctx.Err() != nil {
				msg = fmt.Sprintf("no answer within %s", GetterTimeout)
			}
			if msg == "" {
				msg = err.Error()
			}
			return nil, fmt.Errorf("%s: reading it through Helm's getter plugins failed: %s", name, redactAll(msg, u))
		}
		var enc string
		found := false
		for _, l := range strings.Split(stdout.String(), "\n") {
			if v, ok := strings.CutPrefix(l, "svContent: "); ok {
				enc, found = strings.Trim(strings.TrimSpace(v), `"`), true
			}
		}
		b, err := base64.StdEncoding.DecodeString(enc)
		if !found {
			err = errors.New("no content")
		}
		if err != nil {
			return nil, fmt.Errorf("%s: unexpected output from helm template", name)
		}
		return b, nil
	}
}
