package dotenv

import (
	"reflect"
	"testing"
)

func TestVars(t *testing.T) {
	text := "# c\nexport A=1\nB = two words # comment\nC=\"x\\ny # not\"\nD='lit\\n $X'\nE=\nF=\"multi\nline\"\nG=a#b\n"
	got, err := Vars([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	want := []Var{{"A", "1", 2}, {"B", "two words", 3}, {"C", "x\ny # not", 4}, {"D", `lit\n $X`, 5}, {"E", "", 6}, {"F", "multi\nline", 7}, {"G", "a#b", 9}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if _, err := Vars([]byte("A=\"open\n")); err == nil {
		t.Error("unclosed quote read")
	}
}
