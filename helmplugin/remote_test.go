package helmplugin

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestContainsSecretKey(t *testing.T) {
	for s, want := range map[string]bool{
		"k: AGE-SECRET-KEY-1QQQ":                  true,
		"AGE-SECRET-KEY-PQ-1K30":                  true,
		"x: age-secret-key-1qqq":                  true,
		"age1a9fssd8g30je3snllpmylek4p22h0qrn202": false,
		"AGE-SECRET-KEY is a word":                false,
	} {
		if ContainsSecretKey([]byte(s)) != want {
			t.Errorf("ContainsSecretKey(%q) != %v", s, want)
		}
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://u:pw@h/x":        "https://u:***@h/x",
		"https://tok@h/x?a=b@c":   "https://***@h/x?a=b@c",
		"https://h/x":             "https://h/x",
		"values.yaml":             "values.yaml",
		"git+https://u:p@h/r@f.y": "git+https://u:***@h/r@f.y",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestExpandURL(t *testing.T) {
	env := envOf(map[string]string{"TOKEN": "t0k", "OWNER": "me"})
	got, err := ExpandURL("https://${TOKEN}@h/${OWNER}/$OWNER", env)
	if err != nil || got != "https://t0k@h/me/$OWNER" {
		t.Errorf("ExpandURL = %q, %v", got, err)
	}
	if _, err := ExpandURL("https://${NOPE}@h", env); err == nil || !strings.Contains(err.Error(), "${NOPE} is not set") {
		t.Errorf("unset: %v", err)
	}
}

func TestNetrc(t *testing.T) {
	f := filepath.Join(t.TempDir(), "netrc")
	os.WriteFile(f, []byte("# c\nmachine a.example login la password pa\nmachine b.example\n  login lb\n  password pb\ndefault login ld password pd\n"), 0o600)
	for host, want := range map[string]string{"a.example": "la:pa", "b.example": "lb:pb", "other": "ld:pd"} {
		l, p, ok := netrcLookup(f, host)
		if !ok || l+":"+p != want {
			t.Errorf("%s: %q %q %v", host, l, p, ok)
		}
	}
	if _, _, ok := netrcLookup("", "a.example"); ok {
		t.Error("no NETRC found something")
	}
}

func TestDownloaderHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/enc.yaml":
			fmt.Fprint(w, sopsFile)
		case "/plain.yaml":
			fmt.Fprint(w, "a: 1\n")
		case "/auth.yaml":
			if u, p, ok := r.BasicAuth(); !ok || u != "u" || p != "pw" {
				http.Error(w, "no", http.StatusUnauthorized)
				return
			}
			fmt.Fprint(w, "a: auth\n")
		case "/key":
			fmt.Fprint(w, "AGE-SECRET-KEY-1XYZ\n")
		case "/slow":
			select {
			case <-time.After(3 * time.Second):
			case <-r.Context().Done():
			}
		case "/big":
			w.Write([]byte(strings.Repeat("a", 2048)))
		case "/boom":
			http.Error(w, "boom", http.StatusInternalServerError)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	r := &recordingDecrypter{}
	d := &Downloader{Settings: Settings{Policy: DefaultPolicy(), MaxSize: 1024, HTTPTimeout: 300 * time.Millisecond}, Decrypt: r.decrypt, Getenv: envOf(map[string]string{"PW": "pw"})}
	host := strings.TrimPrefix(srv.URL, "http://")
	ok := map[string]string{
		"secrets://" + srv.URL + "/enc.yaml":                                  "plain of " + srv.URL + "/enc.yaml",
		"secrets://" + srv.URL + "/plain.yaml":                                "a: 1\n",
		"secrets://?" + srv.URL + "/missing.yaml":                             "",
		"secrets://http://u:pw@" + host + "/auth.yaml":                        "a: auth\n",
		"secrets+age-import://?k?" + srv.URL + "/missing.yaml":                "",
		"secrets://sops!" + srv.URL + "/plain.yaml":                           "a: 1\n",
		"secrets://" + strings.ToUpper("http") + "://" + host + "/plain.yaml": "a: 1\n",
	}
	dir := t.TempDir()
	t.Chdir(dir)
	os.WriteFile("k", []byte("# key\n"), 0o600)
	for href, want := range ok {
		got, err := d.Fetch(href)
		if err != nil || string(got) != want {
			t.Errorf("Fetch(%s) = %q, %v; want %q", href, got, err, want)
		}
	}
	bad := map[string]string{
		"secrets://" + srv.URL + "/missing.yaml":          "/missing.yaml: no such file",
		"secrets://?" + srv.URL + "/boom":                 "/boom: HTTP 500 Internal Server Error",
		"secrets://http://u:wrong@" + host + "/auth.yaml": "http://u:***@" + host + "/auth.yaml: HTTP 401",
		"secrets://" + srv.URL + "/key":                   "contains an age secret key",
		"secrets://" + srv.URL + "/slow":                  "no complete answer within 300ms",
		"secrets://" + srv.URL + "/big":                   "larger than 1024 bytes",
		"secrets://http://u:${PW}@" + host + "/auth.yaml": "not a valid URL",
		"secrets://nogetter://x":                          "no Helm getter for nogetter:// available here",
		"secrets://secrets://x":                           "cannot wrap another secrets:// URL",
	}
	for href, want := range bad {
		_, err := d.Fetch(href)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Fetch(%s) error = %v, want %q", href, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "wrong") {
			t.Errorf("Fetch(%s) error shows the password: %v", href, err)
		}
	}
	d.Settings.DenyRemote = true
	if _, err := d.Fetch("secrets://" + srv.URL + "/plain.yaml"); err == nil || !strings.Contains(err.Error(), "remote values are not allowed here (SV_HELM_ALLOW_REMOTE)") {
		t.Errorf("DenyRemote: %v", err)
	}
	d.Settings.DenyRemote = false
	d.Settings.URLExpansion = true
	if got, err := d.Fetch("secrets://http://u:${PW}@" + host + "/auth.yaml"); err != nil || string(got) != "a: auth\n" {
		t.Errorf("expanded: %q, %v", got, err)
	}
	d.Settings.IgnoreMissing = true
	if got, err := d.Fetch("secrets://" + srv.URL + "/missing.yaml"); err != nil || len(got) != 0 {
		t.Errorf("IgnoreMissing: %q, %v", got, err)
	}
}

func TestDownloaderGetter(t *testing.T) {
	var asked string
	r := &recordingDecrypter{}
	d := &Downloader{Settings: Settings{Policy: DefaultPolicy()}, Decrypt: r.decrypt, HelmGet: func(u string) ([]byte, error) {
		asked = u
		switch u {
		case "git+https://h/r@enc.yaml?ref=main":
			return []byte(sopsFile), nil
		case "git+https://h/r@keys.txt":
			return []byte("AGE-SECRET-KEY-PQ-1ABC"), nil
		}
		return nil, errors.New(u + ": nope")
	}}
	got, err := d.Fetch("secrets://git+https://h/r@enc.yaml?ref=main")
	if err != nil || string(got) != "plain of git+https://h/r@enc.yaml?ref=main" || asked != "git+https://h/r@enc.yaml?ref=main" {
		t.Errorf("getter: %q, %v (asked %q)", got, err, asked)
	}
	if _, err := d.Fetch("secrets://git+https://h/r@keys.txt"); err == nil || !strings.Contains(err.Error(), "contains an age secret key") {
		t.Errorf("getter key: %v", err)
	}
	d.Settings.AllowPathTraversal = false
	asked = ""
	if _, err := d.Fetch("secrets://x://../../etc/passwd"); err == nil || !strings.Contains(err.Error(), "paths with .. are not allowed") || asked != "" {
		t.Errorf("getter traversal: %v (asked %q)", err, asked)
	}
}

func TestUnderPrefix(t *testing.T) {
	for _, tt := range []struct {
		p, prefix string
		want      bool
	}{
		{"/keys/a.txt", "/keys/", true},
		{"/keys/a.txt", "/keys", true},
		{"/keys", "/keys", true},
		{"/keys-other/a.txt", "/keys", false},
		{"/etc/a.txt", "/keys/", false},
		{"/a.txt", "/", true},
	} {
		if got := underPrefix(tt.p, tt.prefix); got != tt.want {
			t.Errorf("underPrefix(%q, %q) = %v", tt.p, tt.prefix, got)
		}
	}
}
