package helmplugin

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseRef(t *testing.T) {
	tests := []struct {
		href string
		want Ref
	}{
		{"secrets://values.yaml", Ref{Scheme: "secrets", Path: "values.yaml"}},
		{"secrets://dir/values.yaml", Ref{Scheme: "secrets", Path: "dir/values.yaml"}},
		{"secrets:///abs/values.yaml", Ref{Scheme: "secrets", Path: "/abs/values.yaml"}},
		{"secrets://../up.yaml", Ref{Scheme: "secrets", Path: "../up.yaml"}},
		{"secrets://?values.yaml", Ref{Scheme: "secrets", Optional: true, Path: "values.yaml"}},
		{"secrets://sops!values.yaml", Ref{Scheme: "secrets", Path: "values.yaml"}},
		{"secrets://?sops!values.yaml", Ref{Scheme: "secrets", Optional: true, Path: "values.yaml"}},
		{"secrets://we!rd.yaml", Ref{Scheme: "secrets", Path: "we!rd.yaml"}},
		{"secrets://values.yaml?x=1", Ref{Scheme: "secrets", Path: "values.yaml?x=1"}},
		{"SECRETS://values.yaml", Ref{Scheme: "secrets", Path: "values.yaml"}},
		{"secrets+age-import://key.txt?values.yaml", Ref{Scheme: "secrets+age-import", KeyFile: "key.txt", Path: "values.yaml"}},
		{"secrets+age-import:///keys/k.txt?/abs/v.yaml?q", Ref{Scheme: "secrets+age-import", KeyFile: "/keys/k.txt", Path: "/abs/v.yaml?q"}},
		{"secrets+age-import://?key.txt?values.yaml", Ref{Scheme: "secrets+age-import", Optional: true, KeyFile: "key.txt", Path: "values.yaml"}},
		{"secrets+literal://plain", Ref{Scheme: "secrets+literal", Literal: "plain"}},
		{"secrets+literal://?a!b", Ref{Scheme: "secrets+literal", Literal: "?a!b"}},
		{"secrets+literal://sops!x", Ref{Scheme: "secrets+literal", Literal: "x"}},
		{"secrets+literal://", Ref{Scheme: "secrets+literal", Literal: ""}},
	}
	for _, tt := range tests {
		got, err := ParseRef(tt.href)
		if err != nil {
			t.Errorf("ParseRef(%q): %v", tt.href, err)
			continue
		}
		if !reflect.DeepEqual(*got, tt.want) {
			t.Errorf("ParseRef(%q) = %+v, want %+v", tt.href, *got, tt.want)
		}
	}
}

func TestParseRefErrors(t *testing.T) {
	tests := []struct {
		href, want  string
		unsupported bool
	}{
		{"values.yaml", "not a secrets:// URL", false},
		{"https://x/values.yaml", `unknown protocol "https"`, false},
		{"secrets://", "secrets:// names no file", false},
		{"secrets://?", "secrets:// names no file", false},
		{"secrets+age-import://values.yaml", "needs KEYFILE?FILE", false},
		{"secrets+age-import://key?", "needs KEYFILE?FILE", false},
		{"secrets+gpg-import://k.asc?v.yaml", `protocol "secrets+gpg-import" is not supported by sv`, true},
		{"secrets+gpg-import-kubernetes://ns/s#k?v.yaml", `protocol "secrets+gpg-import-kubernetes" is not supported`, true},
		{"secrets+age-import-kubernetes://ns/s#k?v.yaml", "mount the Kubernetes Secret as a file", true},
		{"secret://v.yaml", "use secrets://", true},
		{"secrets://vals!ref+vault://x", `backend "vals" is not supported by sv`, true},
		{"secrets+literal://vals!ref+awsssm://x", `backend "vals"`, true},
	}
	for _, tt := range tests {
		_, err := ParseRef(tt.href)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseRef(%q) error = %v, want %q", tt.href, err, tt.want)
			continue
		}
		var ue *UnsupportedError
		if errors.As(err, &ue) != tt.unsupported {
			t.Errorf("ParseRef(%q): UnsupportedError = %v, want %v", tt.href, !tt.unsupported, tt.unsupported)
		}
	}
}

func TestParseRefLiteralNotInError(t *testing.T) {
	_, err := ParseRef("secrets+literal://vals!hunter2")
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error %v must not contain the literal", err)
	}
}

func TestParseHelmVersion(t *testing.T) {
	tests := []struct {
		out     string
		major   int
		version string
	}{
		{"v3.22.0+g1a2b3c4\n", 3, "v3.22.0"},
		{"v4.3.1+gabcdef0", 4, "v4.3.1"},
		{"v4.3", 4, "v4.3"},
		{"v3.22+unreleased", 3, "v3.22"},
		{"WARNING: something\nv3.21.4+gdeadbee\n", 3, "v3.21.4"},
	}
	for _, tt := range tests {
		m, v, err := ParseHelmVersion(tt.out)
		if err != nil || m != tt.major || v != tt.version {
			t.Errorf("ParseHelmVersion(%q) = %d, %q, %v", tt.out, m, v, err)
		}
	}
	for _, bad := range []string{"", "3.22.0", "version.BuildInfo{...}", "vx.1"} {
		if _, _, err := ParseHelmVersion(bad); err == nil {
			t.Errorf("ParseHelmVersion(%q) succeeded", bad)
		}
	}
	if SupportedMajor(2) || !SupportedMajor(3) || !SupportedMajor(4) || SupportedMajor(5) {
		t.Error("SupportedMajor")
	}
}
