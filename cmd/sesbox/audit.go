package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/alessio/shellescape"
	"github.com/spf13/cobra"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/actionlog"
	"github.com/sesbox/sesbox/mailstore/audit"
	"github.com/sesbox/sesbox/mailstore/bounces"
	"github.com/sesbox/sesbox/mailstore/posture"
	"github.com/sesbox/sesbox/mailstore/query"
	"github.com/sesbox/sesbox/mailstore/s3store"
	"github.com/sesbox/sesbox/mailstore/sanitize"
	"github.com/sesbox/sesbox/mailstore/team"
)

func newAuditCmd(a *app) *cobra.Command {
	cmd := groupCmd(&cobra.Command{
		Use: "audit",
		Example: `  sesbox audit snapshot --out 2026-12-06.jsonl
  sesbox audit verify 2026-12-06.jsonl
  sesbox audit posture`,
		Short: "Prove nothing in the bucket was lost or changed; review its settings; read the action log",
		Long: `Evidence for auditors. Every audit command only reads the bucket (GET, HEAD, List).

  snapshot       write a manifest of every object under the prefix (hashes, ids, headers)
  verify         compare the bucket with a manifest: unchanged, changed, deleted, new
  verify-export  compare an exported mbox or Maildir with its manifest (no bucket needed)
  posture        review versioning, Object Lock, lifecycle, encryption, public access, policy
  log            print (and check) the log of replies, forwards, exports and snapshots`,
	})
	cmd.AddCommand(newAuditSnapshotCmd(a), newAuditVerifyCmd(a), newAuditVerifyExportCmd(a), newAuditPostureCmd(a), newAuditLogCmd(a))
	return cmd
}

// reportFailed lists, after a finished export or snapshot, the objects that
// could not be read even after every retry, and makes the exit status 1.
func (a *app) reportFailed(tr audit.Trailer, bucket, what string) error {
	if len(tr.Failed) == 0 {
		return nil
	}
	for _, f := range tr.Failed {
		// The store's errors start with the object they failed on
		// (`read "s3://b/k": ...`, mailstore.ObjectName): named once, here.
		name := mailstore.ObjectName(bucket, f.Key)
		msg := strings.TrimPrefix(f.Error, "read "+name+": ")
		fmt.Fprintf(a.stderr, "sesbox: could not read %s: %s\n", name, sanitize.Line(msg))
	}
	are, them := "are", "them"
	if len(tr.Failed) == 1 {
		are, them = "is", "it"
	}
	fmt.Fprintf(a.stderr, "sesbox: %s could not be read and %s not in the %s (the manifest trailer lists %s under \"failed\")\n", mailstore.Count(len(tr.Failed), "object"), are, what, them)
	return exitError{1}
}

// auditStore is the selected mailbox's store, read directly (no index),
// with the region and endpoint to record in manifests.
func (a *app) auditStore(ctx context.Context) (st *s3store.Store, region, endpoint string, err error) {
	_, mcs, err := a.mailboxConfigs(false)
	if err != nil {
		return nil, "", "", err
	}
	mc := mcs[0]
	client, endpoint, err := a.s3Client(ctx, mc)
	if err != nil {
		return nil, "", "", err
	}
	return a.store(client, mc), client.Options().Region, endpoint, nil
}

func newAuditSnapshotCmd(a *app) *cobra.Command {
	var (
		out, asOf     string
		resume, force bool
		parallel      int
	)
	cmd := &cobra.Command{
		Use: "snapshot --out FILE",
		Example: `  sesbox audit snapshot --out 2026-12-06.jsonl
  sesbox audit snapshot --out 2026-12-06.jsonl --resume
  sesbox audit snapshot --as-of 2026-03-01 --out 2026-03-01.jsonl`,
		Short: "Write a manifest of every object under the prefix",
		Long: `Reads every object under the prefix in key order and writes a JSON Lines manifest:
a header line (bucket, prefix, region, time, sesbox version), one line per object
(key, versionId, size, etag, sha256 of the stored bytes, lastModified, sesMessageId,
messageId, date, from, subject, verdicts, metadata) and a trailer line with the count and the
SHA-256 of all entry lines (sed '1d;$d' FILE | sha256sum reproduces it).

Memory stays bounded at any bucket size. An interrupted run (Ctrl-C, a lost
connection) leaves the manifest without its trailer; --resume continues it after
its last complete line.

--as-of DATE writes the manifest of the bucket as it stood at DATE, rebuilt from
its versions (ListObjectVersions): for each key the newest version last modified
at or before DATE, unless that is a delete marker, with its version id and the
SHA-256 of that version's bytes. It is refused on an unversioned bucket and for
a date its versions cannot speak for (versioning off or suspended since, or not
yet known to be on), saying from which date on they can.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				// MarkFlagRequired is satisfied by --out ''.
				return usagef(cmd, "audit snapshot: --out needs a file name")
			}
			if err := notStdout(cmd, map[string]string{"out": out}); err != nil {
				return err
			}
			at, err := parseAsOf(cmd, asOf)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			st, region, endpoint, err := a.auditStore(ctx)
			if err != nil {
				return err
			}
			// The snapshot is logged (and, with a team table, shared): its
			// entries hash there is what verify checks the manifest against.
			ts, err := a.auditTeamStore(ctx, "")
			if err != nil {
				return err
			}
			log, closeLog, err := actionLog(ts)
			if err != nil {
				return err
			}
			defer closeLog()
			pp := newAuditProgress(a.stderr, redraws(a.stderr), "read")
			var hdr audit.Header
			tr, err := audit.WriteSnapshot(ctx, st, out, audit.SnapshotOptions{
				Region: region, Endpoint: endpoint, SesboxVersion: versionString(),
				Parallel: parallel, Resume: resume, Force: force, Progress: pp.update, Log: log, AsOf: at,
				OnHeader: func(h audit.Header) { hdr = h; a.sayWarning(h) },
			})
			pp.finish(interrupted(ctx, err))
			if err != nil && ctx.Err() != nil {
				// Ctrl-C: main says "interrupted"; what to do comes first.
				if c, cerr := audit.CheckManifest(out); cerr == nil && c.Trailer == nil {
					fmt.Fprintf(a.stderr, "sesbox: %s is unfinished (%s, no trailer): run the same command with --resume to finish it\n",
						sanitize.Line(out), mailstore.Count(c.Entries, "object"))
				}
				return err
			}
			if resume && errors.Is(err, audit.ErrManifestComplete) {
				// Resuming what is finished has nothing to do, as wget -c
				// says of a file fully retrieved: the run wanted a finished
				// manifest at --out and there is one (its own check
				// passing). It exited 1, so the help's second example,
				// run after the first, failed, and a retry loop of
				// --resume went on after the snapshot had finished.
				c, cerr := audit.CheckManifest(out)
				if cerr != nil || c.Trailer == nil {
					return cmp.Or(cerr, err)
				}
				fmt.Fprintf(a.stdout, "%s is finished already: %s, entries sha256 %s; nothing to resume\n", sanitize.Line(out), mailstore.Count(c.Entries, "object"), c.Trailer.EntriesSHA256)
				return nil
			}
			if err != nil && !errors.Is(err, audit.ErrIncomplete) {
				return err
			}
			asOfNote := ""
			if !at.IsZero() {
				asOfNote = " as of " + at.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(a.stdout, "wrote %s: %s%s, %s, entries sha256 %s\n", sanitize.Line(out), mailstore.Count(tr.Count, "object"), asOfNote, mailstore.FormatSize(tr.Bytes), tr.EntriesSHA256)
			if note := tr.VanishedNote("snapshot"); note != "" {
				fmt.Fprintln(a.stdout, note)
			}
			a.sayProtection(hdr, tr)
			return a.reportFailed(tr, st.Location().Bucket, "snapshot")
		},
	}
	f := cmd.Flags()
	f.StringVarP(&out, "out", "o", "", "manifest `FILE` to write")
	f.BoolVar(&resume, "resume", false, "continue an interrupted manifest after its last complete line")
	f.BoolVar(&force, "force", false, "replace an existing manifest")
	intFlag(f, &parallel, "parallel", 8, 1, "read `N` objects at once")
	f.StringVar(&asOf, "as-of", "", asOfFlagHelp)
	cmd.MarkFlagRequired("out")
	cmd.MarkFlagsMutuallyExclusive("resume", "force")
	return cmd
}

// verifyJSONResult and verifyJSONSummary are the lines of verify --json.
type verifyJSONResult struct {
	Record string `json:"record"` // "object"
	audit.Result
}

type verifyJSONSummary struct {
	Record string `json:"record"` // "summary"
	OK     bool   `json:"ok"`
	audit.Summary
	Manifest struct {
		ManifestJSON
		// Vanished is the trailer's: objects deleted while the snapshot
		// ran, not in the manifest.
		Vanished int64 `json:"vanished"`
		// NoMetadata counts the entries that recorded no object metadata
		// (a manifest written before it was recorded).
		NoMetadata int64 `json:"noMetadata,omitempty"`
		// Edited names the entry lines that disagree with the versions
		// they record, field by field (when the entries fail their hash).
		Edited []audit.Difference `json:"edited,omitempty"`
	} `json:"manifest"`
}

// ManifestJSON is the manifest's own check in the summary line of verify
// --json and verify-export --json (exported: the round-trip property
// test's generator fills only fields it can set, embedded ones too).
type ManifestJSON struct {
	OK       bool     `json:"ok"`
	Entries  int64    `json:"entries"`
	SHA256   string   `json:"sha256"`
	Problems []string `json:"problems"`
}

// sayWarning says, as a snapshot or an export begins, the warning its
// manifest's header records, hint first (stderr): why the manifest may
// not hold everything asked for.
func (a *app) sayWarning(h audit.Header) {
	if h.Warning != "" {
		fmt.Fprintf(a.stderr, "sesbox: warning: %s\n", sanitize.Line(h.Warning))
	}
}

// sayProtection says, after a snapshot or an export, what its manifest's
// header records as keeping the bucket's versions (Object Lock, MFA
// delete), beside the manifest's hashes, and how many of the versions
// it recorded their own Object Lock keeps (t.LockNote); and, on stderr,
// the folders beside the one it names that a prefix without a trailing
// "/" reached (audit.PrefixNote).
func (a *app) sayProtection(h audit.Header, t audit.Trailer) {
	if p := h.Protection(); p != "" {
		fmt.Fprintf(a.stdout, "bucket protection: %s\n", sanitize.Line(p))
	}
	if n := t.LockNote(); n != "" {
		fmt.Fprintln(a.stdout, n)
	}
	if n := audit.PrefixNote(h.Prefix, t.Prefixes); n != "" {
		fmt.Fprintf(a.stderr, "sesbox: warning: %s\n", sanitize.Line(n))
	}
}

func newManifestJSON(c audit.ManifestCheck) ManifestJSON {
	return ManifestJSON{OK: c.OK(), Entries: c.Entries, SHA256: c.SHA256, Problems: append([]string{}, c.Problems...)}
}

func newAuditVerifyCmd(a *app) *cobra.Command {
	var (
		asJSON   bool
		parallel int
		logs     []string
		asOf     string
	)
	cmd := &cobra.Command{
		Use:   "verify MANIFEST",
		Short: "Compare the bucket with a manifest",
		Long: `Checks the manifest's own trailer (count and checksum), then reads every object
and reports it as unchanged, changed (its SHA-256 differs), metadata-changed (the
same bytes, another Content-Type, x-amz-meta-*, encryption or, on a bucket with
Object Lock, another retention or legal hold of the manifest's version), deleted, or new
since the snapshot (informational). Single-part ETags are checked against the MD5 of the
bytes read. On a versioned bucket it lists the versions and delete markers of each
changed or deleted object and names the version that still holds the original
bytes ("recoverable: version V"). An unchanged object written again since
the snapshot (another version, a later last-modified time) is named too, as
rewritten. Then, on a versioned bucket, it walks the versions and delete markers
once more for mail the manifest does not hold that was put since it was made
and is deleted now (deleted-since-manifest, with the version that holds it and
the put and delete times): in neither the manifest nor the bucket's listing,
nothing else shows it. On an unversioned bucket a warning says it cannot be seen.

--as-of DATE compares the manifest with the bucket as it stood at DATE instead
of now, rebuilt from its versions as audit snapshot --as-of does: what changed
between the manifest's time and DATE. With a manifest written by audit snapshot
--as-of DATE1, it answers what changed between two past dates.

Exit status 0 when everything is unchanged and the manifest is intact; 1 when
anything was changed (its bytes or its metadata) or deleted (deleted since the
manifest too), or the manifest fails its checksum (or verify could not run); 2
when nothing read was changed or deleted but some objects could not be read.`,
		Example: `  sesbox audit verify 2026-12-06.jsonl
  sesbox audit verify 2026-03-01.jsonl --as-of 2026-06-01`,
		Args: keyArgs("MANIFEST", "the file sesbox audit snapshot --out FILE wrote", false),
		RunE: func(cmd *cobra.Command, args []string) error {
			at, err := parseAsOf(cmd, asOf)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			st, _, _, err := a.auditStore(ctx)
			if err != nil {
				return err
			}
			pp := newAuditProgress(a.stderr, redraws(a.stderr), "verified")
			enc := jsonLines(a.stdout)
			onResult := func(r audit.Result) error {
				if asJSON {
					return enc.Encode(verifyJSONResult{"object", r})
				}
				if r.Status == audit.Unchanged && !r.Rewritten {
					return nil
				}
				pp.clear()
				return printResult(a.stdout, st.Location().Bucket, r)
			}
			actions, err := a.loggedActionsFrom(ctx, logs, a.stderr)
			if err != nil {
				return err
			}
			sum, err := audit.Verify(ctx, st, args[0], audit.VerifyOptions{Parallel: parallel, Progress: pp.update, OnResult: onResult, Actions: actions, AsOf: at})
			pp.finish(interrupted(ctx, err))
			if err != nil {
				return err
			}
			if asJSON {
				js := verifyJSONSummary{Record: "summary", OK: sum.OK(), Summary: sum}
				js.Manifest.ManifestJSON = newManifestJSON(sum.Manifest)
				if t := sum.Manifest.Trailer; t != nil {
					js.Manifest.Vanished = t.Vanished
				}
				js.Manifest.NoMetadata = sum.Manifest.NoMetadata
				js.Manifest.Edited = sum.Manifest.Edited
				if err := enc.Encode(js); err != nil {
					return err
				}
			} else if err := printVerifySummary(a.stdout, sum); err != nil {
				return err
			}
			switch {
			case sum.Incomplete():
				return exitError{2}
			case !sum.OK():
				return exitError{1}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON Lines: one per object, then a summary")
	intFlag(cmd.Flags(), &parallel, "parallel", 8, 1, "read `N` objects at once")
	cmd.Flags().StringArrayVar(&logs, "log", nil, "check the manifest against the action log `FILE` (repeatable; default: this machine's log)")
	cmd.Flags().StringVar(&asOf, "as-of", "", "compare with "+asOfFlagHelp)
	return cmd
}

// exportJSONFile and exportJSONSummary are the lines of verify-export --json.
type exportJSONFile struct {
	Record string `json:"record"` // "file"
	audit.ExportFile
}

type exportJSONSummary struct {
	Record string `json:"record"` // "summary"
	OK     bool   `json:"ok"`
	audit.ExportCheck
	Manifest ManifestJSON `json:"manifest"`
}

func newAuditVerifyExportCmd(a *app) *cobra.Command {
	var (
		asJSON bool
		target string
	)
	cmd := &cobra.Command{
		Use:   "verify-export MANIFEST",
		Short: "Compare an exported mbox or Maildir with its manifest",
		Long: `Reads the export beside MANIFEST (FILE.manifest.jsonl is the manifest of FILE;
--export names it when it is elsewhere) and compares every message with the
SHA-256 the manifest recorded of the bytes stored in the bucket: intact,
changed, missing from the export, or extra (in the export, not in the
manifest). It reads no bucket: run it wherever the export went. A Maildir
file a mail client moved to cur/ is found there. Checks the manifest's own
trailer first, as audit verify does.

Exit status 0 when every message is intact and the manifest is intact; 1
otherwise.`,
		Example: `  sesbox audit verify-export support.mbox.manifest.jsonl
  sesbox audit verify-export --export evidence/Mail Mail.manifest.jsonl`,
		Args: keyArgs("MANIFEST", "the manifest sesbox export wrote beside the export", false),
		RunE: func(cmd *cobra.Command, args []string) error {
			manifest := args[0]
			if target == "" {
				var ok bool
				if target, ok = strings.CutSuffix(manifest, ".manifest.jsonl"); !ok || target == "" {
					return usagef(cmd, "audit verify-export: %s is not named FILE.manifest.jsonl: give the export with --export PATH", manifest)
				}
			}
			enc := jsonLines(a.stdout)
			pp := newAuditProgress(a.stderr, redraws(a.stderr), "checked")
			c, err := audit.CheckExport(cmd.Context(), manifest, target, audit.ExportCheckOptions{Progress: pp.update, OnFile: func(f audit.ExportFile) error {
				if asJSON {
					return enc.Encode(exportJSONFile{"file", f})
				}
				if f.Status == audit.FileIntact && f.Note == "" {
					return nil
				}
				pp.clear()
				return printExportFile(a.stdout, f)
			}})
			pp.finish(interrupted(cmd.Context(), err))
			if err != nil {
				return err
			}
			if asJSON {
				js := exportJSONSummary{Record: "summary", OK: c.OK(), ExportCheck: c, Manifest: newManifestJSON(c.Manifest)}
				if err := enc.Encode(js); err != nil {
					return err
				}
			} else if err := printExportSummary(a.stdout, target, c); err != nil {
				return err
			}
			if !c.OK() {
				return exitError{1}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON Lines: one per message, then a summary")
	cmd.Flags().StringVar(&target, "export", "", "the exported mbox `FILE` or Maildir DIR (default: MANIFEST without .manifest.jsonl)")
	return cmd
}

func printExportFile(w io.Writer, f audit.ExportFile) error {
	var b strings.Builder
	where := f.File // "message N" of an mbox
	if n, ok := strings.CutPrefix(where, "message "); !ok || strings.Trim(n, "0123456789") != "" {
		where = sanitize.Key(where) // a Maildir file: a planted one's name is anyone's
	}
	fmt.Fprintf(&b, "%-9s %s\n", f.Status, where)
	if f.Key != "" {
		fmt.Fprintf(&b, "          key: %s\n", sanitize.Key(f.Key))
	}
	if f.Status == audit.FileChanged && f.SHA256 != "" {
		fmt.Fprintf(&b, "          sha256 %s, was %s\n", f.SHA256, f.ManifestSHA256)
	}
	if f.Note != "" {
		fmt.Fprintf(&b, "          note: %s\n", sanitize.Line(f.Note))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func printExportSummary(w io.Writer, target string, c audit.ExportCheck) error {
	m := c.Manifest
	if m.OK() {
		fmt.Fprintf(w, "manifest: intact, %s, entries sha256 %s\n", mailstore.Count(m.Entries, "entry"), m.SHA256)
	} else {
		fmt.Fprintln(w, "manifest: FAILED its own check")
		for _, p := range m.Problems {
			fmt.Fprintf(w, "  %s\n", sanitize.Line(p))
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STATUS\tMESSAGES")
	for _, row := range []struct {
		name string
		n    int64
	}{{"intact", c.Intact}, {"changed", c.Changed}, {"missing", c.Missing}, {"extra", c.Extra}} {
		fmt.Fprintf(tw, "%s\t%d\n", row.name, row.n)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	verdict := fmt.Sprintf("OK: the %s export %s holds exactly the bytes the manifest recorded", c.Kind, sanitize.Line(target))
	if !c.OK() {
		verdict = "FAILED: see above"
	}
	_, err := fmt.Fprintln(w, verdict)
	return err
}

func printResult(w io.Writer, bucket string, r audit.Result) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%-9s %s\n", r.Status, sanitize.Key(r.Key))
	if r.Subject != "" {
		fmt.Fprintf(&b, "          subject: %s\n", sanitize.Line(r.Subject))
	}
	if r.Status == audit.Changed {
		fmt.Fprintf(&b, "          sha256 %s, was %s\n", r.SHA256, r.ManifestSHA256)
	}
	if r.Recoverable != "" {
		fmt.Fprintf(&b, "          recoverable: version %s\n", sanitize.Line(r.Recoverable))
		if cmd := audit.RestoreCommand(bucket, r.Key, r.Recoverable); cmd != "" {
			fmt.Fprintf(&b, "          restore: %s\n", cmd)
		}
	}
	if len(r.Versions) > 0 {
		var vs []string
		for _, v := range r.Versions {
			s := "version " + v.VersionID
			if v.DeleteMarker {
				s = "delete marker " + v.VersionID
			}
			s += " " + v.LastModified.UTC().Format(time.RFC3339)
			if v.IsLatest {
				s += " (latest)"
			}
			vs = append(vs, sanitize.Line(s))
		}
		fmt.Fprintf(&b, "          versions: %s\n", strings.Join(vs, ", "))
	}
	if r.Note != "" {
		fmt.Fprintf(&b, "          note: %s\n", sanitize.Line(r.Note))
	}
	if r.Error != "" {
		fmt.Fprintf(&b, "          error: %s\n", sanitize.Line(r.Error))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func printVerifySummary(w io.Writer, s audit.Summary) error {
	m := s.Manifest
	if m.OK() {
		fmt.Fprintf(w, "manifest: intact, %s, entries sha256 %s\n", mailstore.Count(m.Entries, "entry"), m.SHA256)
	} else {
		fmt.Fprintln(w, "manifest: FAILED its own check")
		for _, p := range m.Problems {
			fmt.Fprintf(w, "  %s\n", sanitize.Line(p))
		}
	}
	if n := m.LacksNote(); n != "" {
		fmt.Fprintf(w, "manifest: %s\n", n)
	}
	if n := m.MetadataNote(); n != "" {
		fmt.Fprintf(w, "manifest: %s\n", n)
	}
	if s.Anchor != "" {
		fmt.Fprintf(w, "action log: %s\n", sanitize.Line(s.Anchor))
	}
	if n := m.AsOfNote(); n != "" {
		fmt.Fprintf(w, "manifest: %s\n", n)
	}
	if n := s.AsOfNote(); n != "" {
		fmt.Fprintf(w, "compared with: %s\n", n)
	}
	for _, warning := range s.Warnings {
		fmt.Fprintf(w, "warning: %s\n", sanitize.Line(warning))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STATUS\tOBJECTS")
	for _, row := range []struct {
		name string
		n    int64
	}{{"unchanged", s.Unchanged}, {"changed", s.Changed}, {"metadata-changed", s.MetadataChanged}, {"deleted", s.Deleted}, {"deleted-since-manifest", s.DeletedSinceManifest}, {"new", s.New}, {"error", s.Errors}} {
		fmt.Fprintf(tw, "%s\t%d\n", row.name, row.n)
	}
	if s.Changed+s.Deleted > 0 {
		fmt.Fprintf(tw, "recoverable\t%d of %d changed or deleted\n", s.Recoverable, s.Changed+s.Deleted)
	}
	if s.Rewritten > 0 {
		fmt.Fprintf(tw, "rewritten\t%d unchanged, but written again since the manifest\n", s.Rewritten)
	}
	if s.Destroyed > 0 {
		fmt.Fprintf(tw, "destroyed\t%d of the manifest's versions deleted for good (s3:DeleteObjectVersion)\n", s.Destroyed)
	}
	if s.LockChanged > 0 {
		fmt.Fprintf(tw, "object lock\t%d changed (the retention or legal hold of the manifest's version)\n", s.LockChanged)
	}
	if s.ETagMismatches > 0 {
		fmt.Fprintf(tw, "etag≠md5\t%d (expected under SSE-KMS/SSE-C, else damage)\n", s.ETagMismatches)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	verdict := "OK: nothing changed or deleted"
	switch {
	case s.Incomplete():
		verdict = fmt.Sprintf("INCOMPLETE: %s could not be read; nothing read was changed or deleted", mailstore.Count(s.Errors, "object"))
	case !s.OK():
		verdict = "FAILED: see above"
	}
	versioning := sanitize.Line(s.Versioning)
	if n := s.VersioningNote(); n != "" {
		versioning += " (" + n + ")"
	}
	protection := ""
	if p := s.Protection(); p != "" {
		protection = "bucket protection: " + sanitize.Line(p) + "\n"
	}
	_, err := fmt.Fprintf(w, "bucket versioning: %s\n%s%s\n", versioning, protection, verdict)
	return err
}

func newAuditPostureCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use: "posture",
		Example: `  sesbox audit posture
  sesbox audit posture --json`,
		Short: "Review the bucket settings that decide whether mail can vanish",
		Long: `Reads (never changes) the bucket's versioning, Object Lock and default retention,
lifecycle rules that expire or move objects under the prefix, default encryption,
public access block, and policy statements that allow s3:DeleteObject,
s3:DeleteObjectVersion or s3:PutObject to anyone but SES. Each finding has a
severity (critical, warning, unknown, info, ok) and a one-line fix. A setting the
server does not implement, or the credentials may not read, is "unknown".

Exit status 1 when any finding is critical.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			st, _, _, err := a.auditStore(ctx)
			if err != nil {
				return err
			}
			fs, err := posture.Posture(ctx, st)
			if err != nil {
				return err
			}
			if asJSON {
				enc := jsonLines(a.stdout)
				for _, f := range fs {
					if err := enc.Encode(f); err != nil {
						return err
					}
				}
			} else {
				fmt.Fprintf(a.stdout, "posture of %s\n", sanitize.Line(st.Location().String()))
				tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "SEVERITY\tCHECK\tFINDING")
				for _, f := range fs {
					fmt.Fprintf(tw, "%s\t%s\t%s\n", f.Severity, f.Check, sanitize.Line(f.Summary))
					if f.Fix != "" {
						fmt.Fprintf(tw, "\t\tfix: %s\n", sanitize.Line(f.Fix))
					}
				}
				if err := tw.Flush(); err != nil {
					return err
				}
			}
			for _, f := range fs {
				if f.Severity == posture.Critical {
					return exitError{1}
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per finding")
	return cmd
}

func newAuditLogCmd(a *app) *cobra.Command {
	var (
		asJSON, verify, reports bool
		paths                   []string
		table                   string
		after, before, user     string
		commands                []string
	)
	cmd := &cobra.Command{
		Use: "log",
		Example: `  sesbox audit log
  sesbox audit log --user alice --command forward --after 7d
  sesbox audit log --verify
  sesbox audit log --verify --log alice.jsonl --log bob.jsonl`,
		Short: "Print the log of replies and forwards sent, and exports made, with sesbox",
		Long: `Prints $XDG_STATE_HOME/sesbox/actions.jsonl: one entry per reply or forward sent
(time, OS user, host, command, bucket, key, ETag, SHA-256 of the bytes sent,
destinations, SES message id, result) and per export or snapshot made
(command "export" or "snapshot", with "export": what chose the messages, the
kind of file, the count and the manifest's entries and header sha256). Each entry carries the SHA-256 of the one
before it, and a head file beside the log records the count and last hash.

With a team table (the mailbox's team_table, or --table), the shared log that
every operator's sesbox appends to is read as well: the output merges both
views (an action this machine wrote is in both and printed once; --json says
where each is in "logs").

--log FILE reads that log instead of this machine's; given more than once, the
logs (collected from several machines) are merged in time order, each entry
naming its log (a LOG column; "logs" in --json), and --verify checks each;
the shared log is then not read (it already holds every member's actions).

--after DATE, --before DATE (as ls's after: and before:), --command NAME
(repeatable) and --user USER (or USER@HOST) print only the entries chosen;
--verify still checks every line.

--verify checks the chain and the head, reports edited, removed, reordered or
truncated entries, prints the head hash (record it elsewhere: whoever can write
the log can rewrite all of it consistently; --json puts it in the last line's
"head"), and exits 1 on any problem. With a
team table it checks the shared log too, from any machine, naming each
tampered item.

When a mailbox is selected (config file or flags), the delivery reports in it
(DSNs and complaint reports, is:report) are read and matched to the sends they
are about, by the SES message id and the Message-ID the log recorded: the send
is shown "bounced", "delayed" or "complained" with the recipients. --reports=false
skips this; with --json, "report" records follow only when --reports is given.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			filter := actionlog.Filter{Commands: commands, User: user}
			for _, d := range []struct {
				flag, v string
				t       *time.Time
			}{{"after", after, &filter.After}, {"before", before, &filter.Before}} {
				if d.v == "" {
					continue
				}
				t, err := query.ParseDate(d.v, time.Now())
				if err != nil {
					return usagef(cmd, "audit log: --%s: %v", d.flag, err)
				}
				*d.t = t
			}
			// A log named twice is read once.
			var logs []string
			for _, p := range paths {
				if !slices.Contains(logs, p) {
					logs = append(logs, p)
				}
			}
			if len(logs) > 1 {
				return a.printLogs(cmd, logs, filter, asJSON, verify, reports)
			}
			path := ""
			if len(logs) == 1 {
				var err error
				if path, err = givenLog(logs[0]); err != nil {
					return err
				}
			}
			if path == "" {
				p, err := actionlog.DefaultLogPath()
				if err != nil {
					return err
				}
				path = p
			}
			actions, problems, err := actionlog.VerifyLog(path)
			if err != nil {
				return err
			}
			ts, err := a.auditTeamStore(cmd.Context(), table)
			if err != nil {
				return err
			}
			var (
				shared         []actionlog.Action
				sharedProblems []actionlog.Problem
				sharedHead     *actionlog.SharedHead
			)
			if ts != nil {
				if shared, sharedProblems, sharedHead, err = ts.VerifyLog(cmd.Context()); err != nil {
					return err
				}
				// What the shared log holds of this log's actions and this
				// log lacks was cut out of it, head rewritten or not.
				cut, err := actionlog.VerifyAgainstShared(path, actions, shared)
				if err != nil {
					return err
				}
				problems = append(problems, cut...)
			}
			ok := len(problems) == 0 && len(sharedProblems) == 0
			explicit := cmd.Flags().Changed("reports")
			var links map[int64][]bounces.Link
			if reports && len(actions) > 0 && (!asJSON || explicit) {
				if links, err = a.reportLinks(cmd.Context(), actions, explicit); err != nil {
					return err
				}
			}
			if asJSON {
				enc := jsonLines(a.stdout)
				if ts == nil {
					for _, x := range actions {
						if !filter.Match(x) {
							continue
						}
						if err := enc.Encode(x); err != nil {
							return err
						}
						for _, l := range links[x.Seq] {
							if err := enc.Encode(reportRecord(l)); err != nil {
								return err
							}
						}
					}
				} else {
					for _, x := range actionlog.Merge(actions, shared) {
						if !filter.Match(x.Action) {
							continue
						}
						if err := enc.Encode(x); err != nil {
							return err
						}
						for _, l := range links[x.Action.Seq] {
							if err := enc.Encode(reportRecord(l)); err != nil {
								return err
							}
						}
					}
				}
				if verify {
					rec := logVerifyRecord{Record: "verify", OK: ok, Problems: append([]actionlog.Problem{}, problems...)}
					if count, last, err := actionlog.LogHead(path); err == nil {
						rec.Head = &logHead{count, last}
					}
					if ts != nil {
						rec.Table, rec.SharedProblems = ts.Table(), append([]actionlog.Problem{}, sharedProblems...)
						if sharedHead != nil {
							rec.SharedHead = &logHead{sharedHead.Count, sharedHead.Last}
						}
					}
					if err := enc.Encode(rec); err != nil {
						return err
					}
				}
			} else {
				var shown []actionlog.Action
				if ts == nil {
					shown = slices.DeleteFunc(slices.Clone(actions), func(x actionlog.Action) bool { return !filter.Match(x) })
				} else {
					for _, x := range actionlog.Merge(actions, shared) {
						if filter.Match(x.Action) {
							shown = append(shown, x.Action)
						}
					}
				}
				printActions(textOut(a.stdout), shown, links)
				if verify {
					printLogVerdict(textOut(a.stdout), path, len(actions), problems)
					if ts != nil {
						printSharedVerdict(textOut(a.stdout), ts.Table(), len(shared), sharedProblems, sharedHead)
					}
				}
			}
			if verify && !ok {
				return exitError{1}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&asJSON, "json", false, "print the entries as JSON Lines")
	f.BoolVar(&verify, "verify", false, "check the hash chain and the head file")
	f.StringArrayVar(&paths, "log", nil, "action log `FILE` (default $XDG_STATE_HOME/sesbox/actions.jsonl; repeatable: merged in time order)")
	f.StringVar(&table, "table", "", "team table `NAME` whose shared log to read too (default: the mailbox's team_table)")
	f.BoolVar(&reports, "reports", true, "show the bounces and complaints in the mailbox next to the sends they are about")
	f.StringVar(&after, "after", "", "print only the entries at or after `DATE` (2026-03-01, 2026-03-01T09:00, or an age: 7d, 2w, 1m)")
	f.StringVar(&before, "before", "", "print only the entries before `DATE`")
	f.StringArrayVar(&commands, "command", nil, "print only the entries of `NAME` (reply, forward, export, snapshot; repeatable)")
	f.StringVar(&user, "user", "", "print only the entries of the OS `USER` (or USER@HOST)")
	return cmd
}

// loggedActions are the entries of the local action log and, with a team
// table, of the shared one: what verify checks a manifest's hash against.
// Their own integrity is `audit log --verify`'s business.
func (a *app) loggedActions(ctx context.Context) ([]actionlog.Action, error) {
	return a.loggedActionsFrom(ctx, nil, nil)
}

// loggedActionsFrom is loggedActions with the local logs read from paths
// (action logs collected from operators' machines) instead of this
// machine's own, when any are given. A log that fails its own check is
// named on warn (when not nil): its entries are still read.
func (a *app) loggedActionsFrom(ctx context.Context, paths []string, warn io.Writer) ([]actionlog.Action, error) {
	if len(paths) == 0 {
		path, err := actionlog.DefaultLogPath()
		if err != nil {
			return nil, err
		}
		paths = []string{path}
	} else {
		// A log named by hand that is not there is a mistyped path, not
		// an empty log (which would read as "no entry records this").
		read := make([]string, len(paths))
		for i, p := range paths {
			var err error
			if read[i], err = givenLog(p); err != nil {
				return nil, err
			}
		}
		paths = read
	}
	actions := []actionlog.Action{}
	for _, path := range paths {
		got, problems, err := actionlog.VerifyLog(path)
		if err != nil {
			return nil, err
		}
		if n := len(problems); n > 0 && warn != nil {
			fmt.Fprintf(warn, "sesbox: warning: run sesbox audit log --verify --log %s: that action log fails its own check (%s), so what it records of this manifest is weaker evidence\n",
				sanitize.Line(shellescape.Quote(path)), mailstore.Count(n, "problem"))
		}
		actions = append(actions, got...)
	}
	ts, err := a.auditTeamStore(ctx, "")
	if err != nil || ts == nil {
		return append([]actionlog.Action{}, actions...), err
	}
	shared, _, _, err := ts.VerifyLog(ctx)
	if err != nil {
		return nil, err
	}
	return append(actions, shared...), nil
}

// auditTeamStore is the team table `audit log` reads besides the local
// log: --table, else the selected mailbox's team_table. The log needs no
// mailbox, so without one (or without a table) it is nil.
func (a *app) auditTeamStore(ctx context.Context, table string) (*team.Store, error) {
	if table == "" {
		_, mcs, err := a.mailboxConfigs(false)
		if err != nil || mcs[0].TeamTable == "" {
			return nil, nil
		}
		return a.teamStore(ctx, mcs[0])
	}
	mc, err := a.teamTarget(table)
	if err != nil {
		return nil, err
	}
	return a.teamStore(ctx, mc)
}

func printSharedVerdict(w io.Writer, table string, n int, problems []actionlog.Problem, head *actionlog.SharedHead) {
	if len(problems) == 0 {
		fmt.Fprintf(w, "shared log (team table %s) intact: %s, chain and head agree\n", sanitize.Line(table), mailstore.Count(n, "entry"))
	} else {
		fmt.Fprintf(w, "shared log (team table %s) FAILED its check (%s):\n", sanitize.Line(table), mailstore.Count(len(problems), "problem"))
		for _, p := range problems {
			fmt.Fprintf(w, "  %s\n", sanitize.Line(p.String()))
		}
	}
	if head != nil {
		fmt.Fprintf(w, "shared head: %s, last sha256 %s\n", mailstore.Count(head.Count, "entry"), sanitize.Line(head.Last))
	}
}

// logVerifyRecord is the last line of audit log --verify --json: the
// check of the log (with several --log, one a log, naming it in Log).
type logVerifyRecord struct {
	Record         string              `json:"record"` // "verify"
	Log            string              `json:"log,omitempty"`
	OK             bool                `json:"ok"`
	Problems       []actionlog.Problem `json:"problems"`
	Head           *logHead            `json:"head,omitempty"`
	Table          string              `json:"table,omitempty"`
	SharedProblems []actionlog.Problem `json:"sharedProblems,omitempty"`
	SharedHead     *logHead            `json:"sharedHead,omitempty"`
}

// logHead is what an auditor records of a log elsewhere (the text
// output prints it too).
type logHead struct {
	Entries int64  `json:"entries"`
	SHA256  string `json:"sha256"`
}

// givenLog is the file to read for a log given with --log (audit log,
// audit verify): one rule for both. A log that is not there is a
// mistyped path, not an empty log (which --verify called intact, and
// verify "no entry records this"), and so is a link that leads nowhere;
// a directory is no log. A --log given by path, like a manifest, is the
// auditor's file, arranged as they like: a symbolic link is read where
// it leads (the head beside that file), not named "replaced". This
// machine's own log is sesbox's file, which it never makes a link: given
// by its own path it is read as without --log, and VerifyLog names a
// link there as replaced.
func givenLog(p string) (string, error) {
	if own, err := actionlog.DefaultLogPath(); err == nil && sameFileName(p, own) {
		return p, nil
	}
	to, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", fmt.Errorf("check the --log path: %w", err)
	}
	fi, err := os.Stat(to)
	if err != nil {
		return "", fmt.Errorf("check the --log path: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("check the --log path: %s is not a regular file: give the actions.jsonl collected from an operator's machine", p)
	}
	return to, nil
}

// sameFileName reports whether a and b name the same path once made
// absolute and clean (links not followed).
func sameFileName(a, b string) bool {
	a, errA := filepath.Abs(a)
	b, errB := filepath.Abs(b)
	return errA == nil && errB == nil && a == b
}

// printLogs is audit log with several --log: the logs collected from
// several machines, each checked on its own, merged in time order
// (actionlog.MergeByTime), each entry naming its log.
func (a *app) printLogs(cmd *cobra.Command, paths []string, filter actionlog.Filter, asJSON, verify, reports bool) error {
	logs := make([][]actionlog.Action, len(paths))
	problems := make([][]actionlog.Problem, len(paths))
	for i, p := range paths {
		read, err := givenLog(p)
		if err != nil {
			return err
		}
		if logs[i], problems[i], err = actionlog.VerifyLog(read); err != nil {
			return err
		}
	}
	merged := slices.DeleteFunc(actionlog.MergeByTime(paths, logs), func(x actionlog.MergedAction) bool { return !filter.Match(x.Action) })
	explicit := cmd.Flags().Changed("reports")
	// Each log numbers its own entries: the reports are matched log by log.
	links := map[string]map[int64][]bounces.Link{}
	if reports && len(merged) > 0 && (!asJSON || explicit) {
		found, err := a.reportsFound(cmd.Context(), explicit)
		if err != nil {
			return err
		}
		if found != nil {
			for i, p := range paths {
				links[p] = bounces.Match(logs[i], found)
			}
		}
	}
	linksOf := func(x actionlog.MergedAction) []bounces.Link { return links[x.Logs[0]][x.Seq] }
	ok := true
	for _, ps := range problems {
		ok = ok && len(ps) == 0
	}
	if asJSON {
		enc := jsonLines(a.stdout)
		for _, x := range merged {
			if err := enc.Encode(x); err != nil {
				return err
			}
			for _, l := range linksOf(x) {
				if err := enc.Encode(reportRecord(l)); err != nil {
					return err
				}
			}
		}
		for i, p := range paths {
			if !verify {
				break // the verify records only follow --verify
			}
			rec := logVerifyRecord{Record: "verify", Log: p, OK: len(problems[i]) == 0, Problems: append([]actionlog.Problem{}, problems[i]...)}
			if count, last, err := actionlog.LogHead(p); err == nil {
				rec.Head = &logHead{count, last}
			}
			if err := enc.Encode(rec); err != nil {
				return err
			}
		}
	} else {
		all := make([]actionlog.Action, len(merged))
		from := make([]string, len(merged))
		rowLinks := make([][]bounces.Link, len(merged))
		for i, x := range merged {
			all[i], from[i], rowLinks[i] = x.Action, strings.Join(x.Logs, ","), linksOf(x)
		}
		printActionRows(textOut(a.stdout), all, from, rowLinks)
		for i, p := range paths {
			if !verify {
				break
			}
			fmt.Fprintf(textOut(a.stdout), "%s:\n", sanitize.Line(p))
			printLogVerdict(textOut(a.stdout), p, len(logs[i]), problems[i])
		}
	}
	if verify && !ok {
		return exitError{1}
	}
	return nil
}

func printActions(w io.Writer, actions []actionlog.Action, links map[int64][]bounces.Link) {
	rowLinks := make([][]bounces.Link, len(actions))
	for i, x := range actions {
		rowLinks[i] = links[x.Seq]
	}
	printActionRows(w, actions, nil, rowLinks)
}

// printActionRows prints the actions as a table, each with its reports
// (links[i]); with from, a first column LOG names each action's log.
func printActionRows(w io.Writer, actions []actionlog.Action, from []string, links [][]bounces.Link) {
	if len(actions) == 0 {
		fmt.Fprintln(w, "no actions logged")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if from != nil {
		fmt.Fprint(tw, "LOG\t")
	}
	fmt.Fprintln(tw, "TIME\tWHO\tCOMMAND\tMESSAGE\tTO\tRESULT")
	for i, x := range actions {
		if from != nil {
			fmt.Fprintf(tw, "%s\t", sanitize.Line(from[i]))
		}
		msg, to := mailstore.SESMessageID(x.Key), strings.Join(x.Destinations, ",")
		if e := x.Export; e != nil {
			// An export names what it wrote and the kind of file.
			msg, to = fmt.Sprintf("%d messages", e.Count), e.Kind
			if e.What != "" {
				msg += " (" + e.What + ")"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", x.Time.Local().Format("2006-01-02 15:04:05"),
			sanitize.Line(x.User+"@"+x.Host), sanitize.Line(x.Command), sanitize.Line(msg),
			sanitize.Line(to), sanitize.Line(x.Result)+linkText(links[i]))
	}
	tw.Flush()
}

func printLogVerdict(w io.Writer, path string, n int, problems []actionlog.Problem) {
	if len(problems) == 0 {
		fmt.Fprintf(w, "log intact: %s, chain and head agree\n", mailstore.Count(n, "entry"))
	} else {
		fmt.Fprintf(w, "log FAILED its check (%s):\n", mailstore.Count(len(problems), "problem"))
		for _, p := range problems {
			fmt.Fprintf(w, "  %s\n", sanitize.Line(p.String()))
		}
	}
	if count, last, err := actionlog.LogHead(path); err == nil {
		fmt.Fprintf(w, "head: %s, last sha256 %s\n", mailstore.Count(count, "entry"), last)
	}
}

// auditProgress draws snapshot/verify/export progress on stderr: a redrawn
// line on a terminal; elsewhere a line every few seconds and a last one, so
// logs stay readable. While no object finishes for waitAfter (a stalled
// connection is cut only after a minute, and each break is retried) the
// line is drawn again on its own and says it is waiting: it stood still,
// "1 of 8+ objects exported" for as long as the stall lasted.
type auditProgress struct {
	mu    sync.Mutex
	w     io.Writer
	tty   bool
	verb  string
	last  audit.Progress
	seen  bool
	drawn bool
	at    time.Time
	// finished: finish has run.
	finished bool
	stall    stalled
}

// waitAfter is how long the counts may stand still before the progress
// line says that sesbox is waiting.
const waitAfter = 5 * time.Second

func newAuditProgress(w io.Writer, tty bool, verb string) *auditProgress {
	p := &auditProgress{w: w, tty: tty, verb: verb}
	p.stall.start(time.Now, p.tick)
	p.at = p.stall.now()
	return p
}

// tick draws the line when the counts have stood still for waitAfter.
func (p *auditProgress) tick() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.finished && p.stall.since() >= waitAfter {
		p.draw()
	}
}

func (p *auditProgress) update(pr audit.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.seen || pr.Done+pr.Skipped != p.last.Done+p.last.Skipped || pr.Listed != p.last.Listed {
		if p.stall.moving() {
			p.at = time.Time{} // at once: the line says it waits
		}
	}
	p.last, p.seen = pr, true
	p.draw()
}

// draw writes the line, at most every 100 ms on a terminal and every 5 s
// elsewhere.
func (p *auditProgress) draw() {
	every := 5 * time.Second
	if p.tty {
		every = 100 * time.Millisecond
	}
	now := p.stall.now()
	if now.Sub(p.at) < every {
		return
	}
	p.at = now
	line := p.stall.line(p.seen, p.verb, func() string { return auditProgressLine(p.last, p.verb, now) })
	if p.tty {
		fmt.Fprintf(p.w, "\r\x1b[K%s", line)
		p.drawn = true
	} else {
		fmt.Fprintln(p.w, line)
	}
}

// clear removes the progress line before other output on the same terminal.
func (p *auditProgress) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearLocked()
}

func (p *auditProgress) clearLocked() {
	if p.tty && p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}

// finish prints the last line; with stopped (the run was interrupted), it
// begins "interrupted: " so it does not read as a finished run.
func (p *auditProgress) finish(stopped bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.finished = true
	p.stall.stop()
	p.clearLocked()
	if !p.seen {
		return
	}
	if stopped {
		fmt.Fprint(p.w, "interrupted: ")
	}
	now := p.stall.now()
	fmt.Fprintf(p.w, "%s in %s\n", auditProgressLine(p.last, p.verb, now), now.Sub(p.last.Started).Round(time.Millisecond))
}

// auditProgressLine renders "1234 of 5000 objects read, 12.3M, 350/s, ETA 10s".
func auditProgressLine(p audit.Progress, verb string, now time.Time) string {
	total := fmt.Sprintf("%d", p.Listed)
	if p.Listing {
		total += "+"
	}
	s := fmt.Sprintf("%d of %s objects %s, %s, %.0f/s", p.Done+p.Skipped, total, verb, mailstore.FormatSize(p.Bytes), p.Rate(now))
	if r := p.Rate(now); r > 0 && !p.Listing && p.Listed > p.Done+p.Skipped {
		eta := time.Duration(float64(p.Listed-p.Done-p.Skipped) / r * float64(time.Second)).Round(time.Second)
		s += ", ETA " + eta.String()
	}
	if p.Skipped > 0 {
		s += fmt.Sprintf(" (%d from before the resume)", p.Skipped)
	}
	if p.Changed+p.Deleted+p.Errors > 0 {
		s += fmt.Sprintf(" — %d changed, %d deleted, %d errors", p.Changed, p.Deleted, p.Errors)
	}
	return s
}

// reportLinks reads the selected mailbox's delivery reports and matches
// them to the logged sends. Without a mailbox (or when it cannot be read)
// the log is printed alone, with a note, unless --reports was asked for.
func (a *app) reportLinks(ctx context.Context, actions []actionlog.Action, explicit bool) (map[int64][]bounces.Link, error) {
	found, err := a.reportsFound(ctx, explicit)
	if err != nil || found == nil {
		return nil, err
	}
	return bounces.Match(actions, found), nil
}

// reportsFound are the delivery reports in the selected mailbox, for
// reportLinks; nil (and a note on stderr unless --reports was given)
// when there is no mailbox or they cannot be read.
func (a *app) reportsFound(ctx context.Context, explicit bool) ([]bounces.Found, error) {
	fail := func(err error) ([]bounces.Found, error) {
		if explicit {
			return nil, fmt.Errorf("--reports: %w", err)
		}
		fmt.Fprintln(a.stderr, "sesbox: note: bounces and complaints not linked:", sanitize.Line(err.Error()))
		return nil, nil
	}
	if _, _, err := a.mailboxConfigs(false); err != nil {
		if !explicit {
			return nil, nil // no mailbox: a plain log, as before
		}
		return fail(err)
	}
	m, _, err := a.mailbox(ctx)
	if err != nil {
		return fail(err)
	}
	if _, err := a.refreshSaying(ctx, m, true, "indexing the mailbox to link the log's sends to their bounces and complaints (--reports=false skips it)"); err != nil {
		return fail(err)
	}
	found, skipped, err := bounces.Collect(ctx, m, 0)
	if err != nil {
		return fail(err)
	}
	if skipped > 0 {
		fmt.Fprintf(a.stderr, "sesbox: note: %d reports could not be read\n", skipped)
	}
	return found, nil
}

// linkText is what the RESULT column adds for the reports about a send:
// "; bounced: a@b.example 5.1.1", or "; bounced (unverified report): …"
// for a report not signed by SES (see bounces.Found.Verified).
func linkText(links []bounces.Link) string {
	var b strings.Builder
	for _, l := range links {
		b.WriteString("; " + bounces.Word(l.Kind))
		if !l.Verified {
			b.WriteString(" (unverified report)")
		}
		if len(l.Recipients) > 0 {
			b.WriteString(": " + strings.Join(l.Recipients, ", "))
		}
	}
	return sanitize.Line(b.String())
}

// reportRecord is the --json line for a link, after its action's line,
// its values exact, as in ls --json (jsonLines keeps them off the
// terminal).
func reportRecord(l bounces.Link) any {
	return struct {
		Record string `json:"record"`
		bounces.Link
	}{"report", l}
}
