package lazyregexp

import "testing"

func TestNewCompilesOnFirstCall(t *testing.T) {
	// An invalid expression would panic at once if New compiled it.
	bad := New("(")
	defer func() {
		if recover() == nil {
			t.Error("an invalid expression did not panic on its first use")
		}
	}()
	re := New(`^a+$`)
	if first, second := re(), re(); first != second {
		t.Error("two calls compiled the expression twice")
	}
	if !re().MatchString("aaa") || re().MatchString("ab") {
		t.Errorf("%v does not match as ^a+$", re())
	}
	bad()
}
