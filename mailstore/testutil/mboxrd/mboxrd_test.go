package mboxrd

import (
	"strings"
	"testing"
)

func TestReadRejectsGarbage(t *testing.T) {
	if _, err := Read(strings.NewReader("not an mbox\n")); err == nil {
		t.Error("no error for a file without From_ line")
	}
}

func TestReadUnquotes(t *testing.T) {
	got, err := Read(strings.NewReader("From a Thu Jan  1 00:00:00 1970\nx\n>From y\n>>From z\n\nFrom b Thu Jan  1 00:00:00 1970\nw\n\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || string(got[0]) != "x\nFrom y\n>From z\n" || string(got[1]) != "w\n" {
		t.Errorf("got %q", got)
	}
}
