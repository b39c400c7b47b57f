package fakewrap

import (
	"testing"

	"github.com/sv-secrets/sv/crypt"
)

func TestArmoredPassesTheReaderCheck(t *testing.T) {
	a, b := Armored("a"), Armored("b")
	if a == b {
		t.Fatal("labels do not tell wrappings apart")
	}
	if err := crypt.CheckWrapped(a); err != nil {
		t.Fatal(err)
	}
}
