package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/audit"
	"github.com/sesbox/sesbox/mailstore/index"
	"github.com/sesbox/sesbox/mailstore/query"
	"github.com/sesbox/sesbox/mailstore/s3store"
	"github.com/sesbox/sesbox/mailstore/sanitize"
)

func newExportCmd(a *app) *cobra.Command {
	var (
		mbox, maildir, q, manifest string
		asOf                       string
		force, parents             bool
		parallel                   int
	)
	cmd := &cobra.Command{
		Use:   "export (--mbox FILE | --maildir DIR) [--query Q]",
		Short: "Export the exact stored messages to an mbox file or a Maildir, with a manifest",
		Long: `Writes the exact stored bytes of every message under the prefix (or those --query
chooses) for e-discovery or for mutt, aerc, Thunderbird:

  --mbox FILE     one mboxrd file (lines matching /^>*From / get one more ">"),
                  messages in key order; a message lacking a final newline gets one.
                  An existing FILE is never replaced without --force.
  --maildir DIR   one file per message in DIR/new, byte for byte; existing message
                  files are never replaced.

A manifest (the same format as audit snapshot, with a "file" per Maildir message)
is written beside it as FILE.manifest.jsonl or DIR.manifest.jsonl, so
"sesbox audit verify" can later check the export's messages against the bucket.
A directory that does not exist (FILE's, DIR's parent, the manifest's) is
refused before anything is read, unless --parents asks sesbox to make it.

--as-of DATE exports every message under the prefix as the bucket held it at
DATE, rebuilt from its versions as audit snapshot --as-of does (each message the
version current then; the manifest records its version id); not with --query,
which chooses from the index of the bucket as it is now.

Query syntax (--query):
` + query.Help,
		Example: `  sesbox export --mbox support.mbox --query after:2026-11-01
  sesbox export --mbox 2026-03-01.mbox --as-of 2026-03-01`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if (mbox == "") == (maildir == "") {
				return usagef(cmd, "export: give exactly one of --mbox FILE or --maildir DIR")
			}
			if err := notStdout(cmd, map[string]string{"mbox": mbox, "maildir": maildir, "manifest": manifest}); err != nil {
				return err
			}
			at, err := parseAsOf(cmd, asOf)
			if err != nil {
				return err
			}
			if !at.IsZero() && q != "" {
				return usagef(cmd, "export: --query chooses from the index of the bucket as it is now; --as-of exports every message under the prefix as of DATE: give one of them")
			}
			_, mcs, err := a.mailboxConfigs(false)
			if err != nil {
				return err
			}
			st, opt, closeLog, err := a.exportOptions(ctx, mcs[0])
			if err != nil {
				return err
			}
			defer closeLog()
			opt.Query, opt.Manifest, opt.Force, opt.Parallel, opt.AsOf, opt.Parents = q, manifest, force, parallel, at, parents
			var partial *index.PartialError
			if q != "" {
				// The query runs over the index, as ls does: refresh it, then
				// export exactly the keys that match.
				qq, err := parseQuery(cmd, q)
				if err != nil {
					return err
				}
				m, _, err := a.mailbox(ctx)
				if err != nil {
					return err
				}
				if err := a.noForwarderLog(ctx, m, qq, "export", false); err != nil {
					return err
				}
				if partial, err = a.refreshPartial(ctx, m, true); err != nil {
					return err
				}
				if opt.Keys, err = m.QueryKeys(ctx, qq); err != nil {
					return err
				}
			}
			pp := newAuditProgress(a.stderr, redraws(a.stderr), "exported")
			opt.Progress = pp.update
			var hdr audit.Header
			opt.OnHeader = func(h audit.Header) { hdr = h; a.sayWarning(h) }
			target := mbox
			var tr audit.Trailer
			if mbox != "" {
				tr, err = audit.ExportMbox(ctx, st, mbox, opt)
			} else {
				target = maildir
				tr, err = audit.ExportMaildir(ctx, st, maildir, opt)
			}
			stopped := interrupted(ctx, err)
			if stopped && mbox != "" {
				pp.verb = "read" // an mbox is written whole or not at all
			}
			pp.finish(stopped)
			if stopped {
				// Ctrl-C: main says "interrupted"; what to do comes first.
				// The progress said how many were exported (read, for an
				// mbox, which is written whole or not at all).
				if maildir != "" {
					fmt.Fprintf(a.stderr, "sesbox: the Maildir export to %s is unfinished (no manifest): run the same command again to finish it; the messages written are kept\n",
						sanitize.Line(maildir))
				} else {
					fmt.Fprintf(a.stderr, "sesbox: the mbox export to %s was stopped before its end: nothing was written (a file already there is as it was); run the same command again\n",
						sanitize.Line(mbox))
				}
				return err
			}
			if err != nil && !errors.Is(err, audit.ErrIncomplete) {
				return err
			}
			if manifest == "" {
				manifest = audit.ManifestPath(target)
			}
			asOfNote := ""
			if !at.IsZero() {
				asOfNote = " as of " + at.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(a.stdout, "exported %d messages%s (%s) to %s\nmanifest %s, entries sha256 %s\n",
				tr.Count, asOfNote, mailstore.FormatSize(tr.Bytes), sanitize.Line(target), sanitize.Line(manifest), tr.EntriesSHA256)
			if note := tr.VanishedNote("export"); note != "" {
				fmt.Fprintln(a.stdout, note)
			}
			a.sayProtection(hdr, tr)
			if err := a.reportFailed(tr, st.Location().Bucket, "export"); err != nil {
				return err
			}
			return a.leftOut(partial, "the export", 1)
		},
	}
	f := cmd.Flags()
	f.StringVar(&mbox, "mbox", "", "write one mboxrd `FILE`")
	f.StringVar(&maildir, "maildir", "", "write a Maildir in `DIR`")
	f.StringVarP(&q, "query", "q", "", "export only the messages matching `QUERY`")
	f.StringVar(&manifest, "manifest", "", "manifest `FILE` (default: beside the export)")
	f.StringVar(&asOf, "as-of", "", "export "+asOfFlagHelp)
	f.BoolVar(&force, "force", false, "replace an existing mbox file and manifest")
	f.BoolVar(&parents, "parents", false, "make the missing directories of FILE, DIR and the manifest (without it, a directory that does not exist is refused)")
	intFlag(f, &parallel, "parallel", 4, 1, "read `N` messages at once")
	cmd.MarkFlagsMutuallyExclusive("mbox", "maildir")
	return cmd
}

// exportOptions is what every export of a mailbox shares, `sesbox export`
// and the TUI's e alike: the store, the manifest header's region, endpoint
// and sesbox version, and the action log the export is recorded in (with
// the team table's, as sends are). Callers add the keys, the query and
// their own flags. closeFn closes the action log.
func (a *app) exportOptions(ctx context.Context, mc MailboxConfig) (st *s3store.Store, opt audit.ExportOptions, closeFn func(), err error) {
	client, endpoint, err := a.s3Client(ctx, mc)
	if err != nil {
		return nil, opt, nil, err
	}
	ts, err := a.teamStore(ctx, mc)
	if err != nil {
		return nil, opt, nil, err
	}
	log, closeFn, err := actionLog(ts)
	if err != nil {
		return nil, opt, nil, err
	}
	opt = audit.ExportOptions{Region: client.Options().Region, Endpoint: endpoint, SesboxVersion: versionString(), Log: log}
	return a.store(client, mc), opt, closeFn, nil
}
