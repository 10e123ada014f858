package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/index"
	"github.com/sesbox/sesbox/mailstore/mailbox"
)

// noBackquotes drops backquotes from what is written through it: the
// completion request's output (see run).
type noBackquotes struct{ w io.Writer }

func (n noBackquotes) Write(p []byte) (int, error) {
	if _, err := n.w.Write(bytes.ReplaceAll(p, []byte("`"), nil)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// maxCompletions bounds the keys a completion offers.
const maxCompletions = 200

// completeKeys completes a KEY argument (most of them; 0: any number)
// with the mailbox's keys and SES message ids, from the local index
// alone: a completion never reaches the network, and with no index yet
// it offers nothing rather than make one. A key a shell would read as
// syntax (a space, a quote, a backquote, $) is not offered.
func (a *app) completeKeys(most int) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if most > 0 && len(args) >= most {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		names, mcs, err := a.mailboxConfigs(false)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		name := a.indexName(mcs[0])
		if path, err := index.DefaultPath(name); err != nil || !exists(path) {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		idx, err := a.index(name)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		m := mailbox.Cached(names[0], mailstore.Location{Bucket: mcs[0].Bucket, Prefix: mcs[0].Prefix}, idx)
		ctx, cancel := context.WithTimeout(cmd.Context(), 2*time.Second)
		defer cancel()
		keys, err := m.Complete(ctx, toComplete, maxCompletions)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, k := range keys {
			if shellPlain(k) {
				out = append(out, k)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// shellPlain reports whether s holds only characters no shell reads as
// syntax: what SES writes (a prefix and a message id) always does.
func shellPlain(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return false
		}
		return !strings.ContainsRune("/._-+=@,:%", r)
	})
}
