package main

import (
	"strings"
	"testing"
)

// The command list is explicit (main.go's commands), not the order in
// which files happen to register: 'sv --help' lists them in this order.
func TestCommandOrder(t *testing.T) {
	var got []string
	for _, c := range commands() {
		got = append(got, c.Name)
	}
	want := "encrypt decrypt edit set unset exec-env exec-file keygen updatekeys rotate status check helm plugin git textconv merge-driver log version completion"
	if strings.Join(got, " ") != want {
		t.Errorf("commands:\n%s\nwant:\n%s", strings.Join(got, " "), want)
	}
}
