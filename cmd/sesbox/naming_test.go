package main

import (
	"fmt"
	"strings"
	"testing"
)

// TestShowNamesTheEnvelopeRecipientAsTheViewerDoes: show called the SES
// envelope recipient "For:", the viewer "Envelope:" (ls --json:
// recipients). show says "Envelope:" too, with ls --json's recipients, on
// every demo message that has them.
func TestShowNamesTheEnvelopeRecipientAsTheViewerDoes(t *testing.T) {
	isolate(t)
	shown := 0
	for _, r := range lsJSON(t, "--demo") {
		key, _ := r["key"].(string)
		rcpts := anyStrings(r["recipients"])
		out, errOut, code := sesbox(t, "--demo", "show", key)
		if code != 0 {
			t.Fatalf("show %s: exit %d: %s", key, code, errOut)
		}
		head, _, _ := strings.Cut(out, "\n\n")
		if strings.Contains("\n"+head, "\nFor:") {
			t.Errorf("show %s still says For:\n%s", key, head)
		}
		want := fmt.Sprintf("\nEnvelope: %s\n", strings.Join(rcpts, ", "))
		if len(rcpts) == 0 {
			if strings.Contains(head, "\nEnvelope:") {
				t.Errorf("show %s: an Envelope: line without recipients:\n%s", key, head)
			}
			continue
		}
		shown++
		if !strings.Contains("\n"+head+"\n", want) {
			t.Errorf("show %s: want the line %q in\n%s", key, strings.TrimSpace(want), head)
		}
	}
	if shown == 0 {
		t.Error("no demo message has envelope recipients")
	}
}
