package posture

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sesbox/sesbox/mailstore"
)

// Severity ranks a posture finding.
type Severity string

// Severities, from worst.
const (
	Critical Severity = "critical" // mail can be lost or silently replaced
	Warning  Severity = "warning"  // a loss is possible under some conditions
	Info     Severity = "info"     // worth knowing; no loss
	OK       Severity = "ok"       // as it should be
	Unknown  Severity = "unknown"  // could not be read (not implemented, or denied)
)

// Rank orders severities, worst first, for sorting and exit statuses.
func (s Severity) Rank() int {
	switch s {
	case Critical:
		return 0
	case Warning:
		return 1
	case Unknown:
		return 2
	case Info:
		return 3
	}
	return 4
}

// Finding is one conclusion about the bucket's configuration.
type Finding struct {
	Check    string   `json:"check"` // versioning, object-lock, lifecycle, encryption, public-access, policy
	Severity Severity `json:"severity"`
	Summary  string   `json:"summary"`
	Fix      string   `json:"fix,omitempty"` // one line: what to do about it
	Detail   string   `json:"detail,omitempty"`
}

// Posture reads (never changes) the bucket's versioning, Object Lock,
// lifecycle rules, default encryption, public access block and policy and
// says for each whether it lets mail under the prefix vanish or change. A
// setting the server does not implement, or that the credentials may not
// read, is a finding of severity Unknown, not an error; the error is for a
// cancelled ctx only.
func Posture(ctx context.Context, c BucketConfig) ([]Finding, error) {
	loc := c.Location()
	b := loc.Bucket
	var out []Finding
	add := func(f ...Finding) { out = append(out, f...) }

	ver, verErr := c.Versioning(ctx)
	if mailstore.Hint(verErr) != "" {
		// The store says what to check first (no such bucket, another
		// region): there is no bucket to review, and six "unknown"
		// findings, each asking for a permission, would hide that.
		return nil, verErr
	}
	add(versioningFindings(b, ver, verErr)...)
	lock, lockErr := c.ObjectLock(ctx)
	add(objectLockFindings(b, lock, lockErr, ver.Status == "Enabled")...)
	rules, lcErr := c.Lifecycle(ctx)
	add(lifecycleFindings(b, loc.Prefix, rules, lcErr, ver.Status == "Enabled")...)
	enc, encErr := c.Encryption(ctx)
	add(encryptionFindings(b, enc, encErr)...)
	pab, pabErr := c.PublicAccessBlock(ctx)
	add(publicAccessFindings(b, pab, pabErr)...)
	pol, polErr := c.Policy(ctx)
	add(policyFindings(b, loc.Prefix, pol, polErr)...)
	return out, ctx.Err()
}

// unknown turns a failed read into a finding, or reports whether the
// error means "not configured" (notSet) so the caller can say what that
// means for this setting.
func unknown(check, what, bucket string, err error) (f Finding, notSet bool) {
	if errors.Is(err, ErrNotConfigured) {
		return Finding{}, true
	}
	reason := "could not be read"
	r := reads[check]
	fix := "allow " + r.perm + " to these credentials, or read it with: aws s3api " + r.call + " --bucket " + bucket
	if errors.Is(err, mailstore.ErrUnsupported) {
		reason = "the server does not implement this call"
		fix = "read it with the server's own tools (on AWS S3: aws s3api " + r.call + " --bucket " + bucket + ")"
	}
	return Finding{Check: check, Severity: Unknown, Summary: what + ": unknown (" + reason + ")",
		Fix: fix, Detail: err.Error()}, false
}

// reads are the call and the IAM permission each check reads its setting
// with: an unknown finding's fix names them.
var reads = map[string]struct{ call, perm string }{
	"versioning":    {"get-bucket-versioning", "s3:GetBucketVersioning"},
	"object-lock":   {"get-object-lock-configuration", "s3:GetBucketObjectLockConfiguration"},
	"lifecycle":     {"get-bucket-lifecycle-configuration", "s3:GetLifecycleConfiguration"},
	"encryption":    {"get-bucket-encryption", "s3:GetEncryptionConfiguration"},
	"public-access": {"get-public-access-block", "s3:GetBucketPublicAccessBlock"},
	"policy":        {"get-bucket-policy", "s3:GetBucketPolicy"},
}

func versioningFindings(b string, v Versioning, err error) []Finding {
	const check = "versioning"
	if err != nil {
		if f, notSet := unknown(check, "versioning", b, err); !notSet {
			return []Finding{f}
		}
	}
	fix := versioningFix(b)
	switch v.Status {
	case "Enabled":
		f := Finding{Check: check, Severity: OK, Summary: "versioning is enabled: overwritten and deleted mail is kept as older versions"}
		if v.MFADelete == "Enabled" {
			f.Detail = "MFA delete is enabled"
		}
		return []Finding{f}
	case "Suspended":
		return []Finding{{Check: check, Severity: Critical, Summary: "versioning is suspended: mail overwritten or deleted from now on is gone for good", Fix: fix}}
	}
	return []Finding{{Check: check, Severity: Critical, Summary: "versioning is off: an overwrite or delete destroys the message", Fix: fix}}
}

// versioningFix is the command that turns versioning on.
func versioningFix(b string) string {
	return "aws s3api put-bucket-versioning --bucket " + b + " --versioning-configuration Status=Enabled"
}

func objectLockFindings(b string, l ObjectLock, err error, versioned bool) []Finding {
	const check = "object-lock"
	fix := "aws s3api put-object-lock-configuration --bucket " + b +
		" --object-lock-configuration 'ObjectLockEnabled=Enabled,Rule={DefaultRetention={Mode=COMPLIANCE,Years=7}}'"
	if !versioned {
		// S3 refuses Object Lock on a bucket without versioning
		// (InvalidBucketState).
		fix = "enable versioning first (" + versioningFix(b) + "), then: " + fix
	}
	if err != nil {
		f, notSet := unknown(check, "Object Lock", b, err)
		if !notSet {
			return []Finding{f}
		}
		sev := Warning
		if !versioned {
			sev = Info // versioning is the first thing to fix; reported above
		}
		return []Finding{{Check: check, Severity: sev, Summary: "no Object Lock: anyone allowed s3:DeleteObjectVersion can destroy kept versions", Fix: fix}}
	}
	switch {
	case !l.Enabled:
		return []Finding{{Check: check, Severity: Warning, Summary: "Object Lock is not enabled", Fix: fix}}
	case l.Mode == "":
		return []Finding{{Check: check, Severity: Warning, Summary: "Object Lock is enabled but there is no default retention: new mail is not locked", Fix: fix}}
	}
	period := l.Retention()
	if l.Mode == "GOVERNANCE" {
		return []Finding{{Check: check, Severity: Info, Summary: "default retention GOVERNANCE for " + period + ": users with s3:BypassGovernanceRetention can still delete",
			Fix: "use COMPLIANCE mode for legal hold: " + fix}}
	}
	return []Finding{{Check: check, Severity: OK, Summary: "default retention " + l.Mode + " for " + period + ": versions cannot be deleted before it ends"}}
}

// Retention is the default retention period in words ("7 years").
func (l ObjectLock) Retention() string {
	switch {
	case l.Years > 0:
		return fmt.Sprintf("%d years", l.Years)
	case l.Days > 0:
		return fmt.Sprintf("%d days", l.Days)
	}
	return "an unstated period"
}

// archiveClasses are storage classes whose objects must be restored before
// they can be read.
var archiveClasses = map[string]bool{"GLACIER": true, "DEEP_ARCHIVE": true}

func lifecycleFindings(b, prefix string, rules []LifecycleRule, err error, versioned bool) []Finding {
	const check = "lifecycle"
	if err != nil {
		f, notSet := unknown(check, "lifecycle rules", b, err)
		if !notSet {
			return []Finding{f}
		}
		rules = nil
	}
	var out []Finding
	ignored := 0
	for _, r := range rules {
		scope, applies := ruleScope(r.Prefix, prefix)
		if !applies {
			ignored++
			continue
		}
		if r.Narrowed != "" {
			scope += " (only " + r.Narrowed + ")"
		}
		name := fmt.Sprintf("rule %q", r.ID)
		if !r.Enabled {
			if r.ExpirationDays > 0 || !r.ExpirationDate.IsZero() || r.NoncurrentExpirationDays > 0 {
				out = append(out, Finding{Check: check, Severity: Info, Summary: name + " would delete " + scope + " but is disabled",
					Fix: "delete the rule so it cannot be re-enabled by mistake"})
			}
			continue
		}
		fix := "remove the expiration from " + name + " (aws s3api put-bucket-lifecycle-configuration --bucket " + b + "), or copy mail elsewhere first"
		switch {
		case r.ExpirationDays > 0:
			sev := Critical
			what := "deletes"
			if versioned {
				// On a versioned bucket expiration adds a delete marker:
				// the message stays as a noncurrent version.
				sev, what = Warning, "hides (delete marker)"
			}
			out = append(out, Finding{Check: check, Severity: sev, Summary: fmt.Sprintf("%s %s %s %d days after arrival", name, what, scope, r.ExpirationDays), Fix: fix})
		case !r.ExpirationDate.IsZero():
			sev := Critical
			if versioned {
				sev = Warning
			}
			out = append(out, Finding{Check: check, Severity: sev, Summary: fmt.Sprintf("%s expires %s on %s", name, scope, r.ExpirationDate.Format(time.DateOnly)), Fix: fix})
		}
		if r.NoncurrentExpirationDays > 0 {
			s := fmt.Sprintf("%s permanently deletes old versions of %s %d days after they are replaced or deleted", name, scope, r.NoncurrentExpirationDays)
			if r.NoncurrentNewerVersions > 0 {
				s += fmt.Sprintf(" (keeping the newest %d)", r.NoncurrentNewerVersions)
			}
			out = append(out, Finding{Check: check, Severity: Warning, Summary: s + ": a changed or deleted message is recoverable only that long",
				Fix: "lengthen or remove NoncurrentVersionExpiration in " + name + ", or enable Object Lock retention"})
		}
		for _, t := range append(r.Transitions, r.NoncurrentTransitions...) {
			when := fmt.Sprintf("after %d days", t.Days)
			if !t.Date.IsZero() {
				when = "on " + t.Date.Format(time.DateOnly)
			}
			if archiveClasses[t.StorageClass] {
				out = append(out, Finding{Check: check, Severity: Info, Summary: fmt.Sprintf("%s moves %s to %s %s: it must be restored before sesbox (or verify) can read it", name, scope, t.StorageClass, when),
					Fix: "restore with aws s3api restore-object before a verify, or transition to GLACIER_IR instead"})
			} else {
				out = append(out, Finding{Check: check, Severity: Info, Summary: fmt.Sprintf("%s moves %s to %s %s (still readable)", name, scope, t.StorageClass, when)})
			}
		}
	}
	if len(out) == 0 {
		s := "no lifecycle rule expires or moves mail under the prefix"
		if ignored > 0 {
			s += fmt.Sprintf(" (%d rule(s) apply elsewhere in the bucket)", ignored)
		}
		out = append(out, Finding{Check: check, Severity: OK, Summary: s})
	}
	return out
}

// Reaches reports whether the rule's prefix reaches objects under prefix
// (all of them, or the part under a longer prefix of its own).
func (r LifecycleRule) Reaches(prefix string) bool {
	_, ok := ruleScope(r.Prefix, prefix)
	return ok
}

// ruleScope says whether a rule with prefix rp reaches objects under our
// prefix, and how much of them.
func ruleScope(rp, prefix string) (string, bool) {
	switch {
	case strings.HasPrefix(prefix, rp):
		if prefix == "" {
			return "all mail", true
		}
		return "all mail under " + prefix, true
	case strings.HasPrefix(rp, prefix):
		return "mail under " + rp, true
	}
	return "", false
}

func encryptionFindings(b string, e Encryption, err error) []Finding {
	const check = "encryption"
	if err != nil {
		f, notSet := unknown(check, "default encryption", b, err)
		if !notSet {
			return []Finding{f}
		}
		return []Finding{{Check: check, Severity: Info, Summary: "no default encryption configured",
			Fix: "aws s3api put-bucket-encryption --bucket " + b + ` --server-side-encryption-configuration '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}'`}}
	}
	if strings.HasPrefix(e.Algorithm, "aws:kms") {
		return []Finding{{Check: check, Severity: OK, Summary: "default encryption " + e.Algorithm + ": readers need kms:Decrypt, and ETags are not MD5s",
			Detail: "KMS key " + e.KMSKeyID}}
	}
	return []Finding{{Check: check, Severity: OK, Summary: "default encryption " + e.Algorithm}}
}

func publicAccessFindings(b string, p PublicAccessBlock, err error) []Finding {
	const check = "public-access"
	fix := "aws s3api put-public-access-block --bucket " + b +
		" --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true"
	if err != nil {
		f, notSet := unknown(check, "public access block", b, err)
		if !notSet {
			return []Finding{f}
		}
		return []Finding{{Check: check, Severity: Warning, Summary: "no public access block on the bucket (an account-level one may still apply)", Fix: fix}}
	}
	var off []string
	for _, s := range []struct {
		name string
		on   bool
	}{{"BlockPublicAcls", p.BlockPublicAcls}, {"IgnorePublicAcls", p.IgnorePublicAcls}, {"BlockPublicPolicy", p.BlockPublicPolicy}, {"RestrictPublicBuckets", p.RestrictPublicBuckets}} {
		if !s.on {
			off = append(off, s.name)
		}
	}
	if len(off) == 0 {
		return []Finding{{Check: check, Severity: OK, Summary: "public access is blocked"}}
	}
	return []Finding{{Check: check, Severity: Warning, Summary: "public access block is partial: " + strings.Join(off, ", ") + " off", Fix: fix}}
}

// dangerous are the actions that destroy or replace stored mail.
var dangerous = []string{"s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObject"}

// sesPrincipal is the service that delivers mail into the bucket.
const sesPrincipal = "ses.amazonaws.com"

func policyFindings(b, prefix, doc string, err error) []Finding {
	const check = "policy"
	if err != nil {
		f, notSet := unknown(check, "bucket policy", b, err)
		if !notSet {
			return []Finding{f}
		}
		return []Finding{{Check: check, Severity: Info,
			Summary: "no bucket policy: only IAM identity policies (not visible here) grant access; SES needs a policy statement to deliver"}}
	}
	var p struct {
		Statement oneOrMany[statement]
	}
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		return []Finding{{Check: check, Severity: Unknown, Summary: "bucket policy: unknown (it does not parse)", Detail: err.Error(),
			Fix: "aws s3api get-bucket-policy --bucket " + b}}
	}
	// The mail's ARNs: the prefix, then an SES message id.
	mail := "arn:aws:s3:::" + b + "/" + prefix
	var out []Finding
	for i, st := range p.Statement {
		if !strings.EqualFold(st.Effect, "Allow") {
			continue
		}
		acts := st.grants()
		if len(acts) == 0 || !st.covers(mail) {
			continue
		}
		who, broad, onlySES := st.principals()
		if onlySES {
			continue
		}
		name := fmt.Sprintf("statement %d", i+1)
		if st.Sid != "" {
			name = fmt.Sprintf("statement %q", st.Sid)
		}
		sev := Warning
		if broad && len(st.Condition) == 0 {
			sev = Critical
		}
		s := fmt.Sprintf("%s allows %s to %s", name, who, strings.Join(acts, ", "))
		if len(st.Condition) > 0 {
			s += " (with conditions)"
		}
		out = append(out, Finding{Check: check, Severity: sev, Summary: s,
			Fix: "narrow " + name + " to the SES service principal, or add a Deny for those actions (aws s3api put-bucket-policy --bucket " + b + ")"})
	}
	if len(out) == 0 {
		out = append(out, Finding{Check: check, Severity: OK, Summary: "the bucket policy lets no one but SES delete or overwrite mail"})
	}
	return out
}

// oneOrMany decodes an IAM field that is a single value or a list of them.
type oneOrMany[T any] []T

func (o *oneOrMany[T]) UnmarshalJSON(b []byte) error {
	var many []T
	if err := json.Unmarshal(b, &many); err == nil {
		*o = many
		return nil
	}
	var one T
	if err := json.Unmarshal(b, &one); err != nil {
		return err
	}
	*o = []T{one}
	return nil
}

type statement struct {
	Sid          string
	Effect       string
	Principal    json.RawMessage
	NotPrincipal json.RawMessage
	Action       oneOrMany[string]
	NotAction    oneOrMany[string]
	Resource     oneOrMany[string]
	NotResource  oneOrMany[string]
	Condition    map[string]json.RawMessage
}

// grants returns which dangerous actions the statement allows.
func (s statement) grants() []string {
	var out []string
	for _, a := range dangerous {
		switch {
		case len(s.NotAction) > 0:
			if !anyMatch(s.NotAction, a) {
				out = append(out, a)
			}
		case anyMatch(s.Action, a):
			out = append(out, a)
		}
	}
	return out
}

// covers reports whether the statement's resources include a message
// under mail (the ARN of the mailbox's prefix): for Resource, a pattern
// that matches the prefix followed by some SES message id, so a grant on
// part of the mail ("inbox/a*", one message's key) counts; for
// NotResource, a key whose id starts with each character SES ids start
// with is tried, and one not excluded is covered.
func (s statement) covers(mail string) bool {
	if len(s.NotResource) > 0 {
		for _, c := range sesIDStarts {
			if !anyMatch(s.NotResource, mail+string(c)+"0123456789abcdefghijklmnopqrstuv0123456") {
				return true
			}
		}
		return false
	}
	return slices.ContainsFunc(s.Resource, func(p string) bool { return matchesAnID(strings.ToLower(p), strings.ToLower(mail)) })
}

// sesIDStarts are the characters an SES message id starts with.
const sesIDStarts = "0123456789abcdefghijklmnopqrstuv"

// matchesAnID reports whether the IAM pattern p matches prefix followed by
// some message id (letters and digits): p's glob read over prefix, then
// what is left of p must be able to match one such id.
func matchesAnID(p, prefix string) bool {
	closure := func(states []int) []int {
		for i := 0; i < len(states); i++ {
			if j := states[i]; j < len(p) && p[j] == '*' && !slices.Contains(states, j+1) {
				states = append(states, j+1)
			}
		}
		return states
	}
	states := closure([]int{0})
	for k := 0; k < len(prefix) && len(states) > 0; k++ {
		var next []int
		for _, i := range states {
			switch {
			case i >= len(p):
			case p[i] == '*':
				next = append(next, i)
			case p[i] == '?' || p[i] == prefix[k]:
				next = append(next, i+1)
			}
		}
		slices.Sort(next)
		states = closure(slices.Compact(next))
	}
	for _, i := range states {
		rest := p[i:]
		if rest != "" && strings.Trim(rest, "0123456789abcdefghijklmnopqrstuvwxyz*?") == "" {
			return true
		}
	}
	return false
}

// principals describes who the statement is for: a phrase, whether it is
// everyone, and whether it is SES and nothing else.
func (s statement) principals() (who string, broad, onlySES bool) {
	if len(s.NotPrincipal) > 0 {
		return "everyone except " + string(s.NotPrincipal), true, false
	}
	var star string
	if json.Unmarshal(s.Principal, &star) == nil {
		if star == "*" {
			return "everyone (*)", true, false
		}
		return star, false, false
	}
	var m map[string]oneOrMany[string]
	if err := json.Unmarshal(s.Principal, &m); err != nil {
		return string(s.Principal), true, false
	}
	var names []string
	ses := 0
	total := 0
	for kind, vs := range m {
		for _, v := range vs {
			total++
			if v == "*" {
				broad = true
			}
			if kind == "Service" && v == sesPrincipal {
				ses++
				continue
			}
			names = append(names, kind+" "+v)
		}
	}
	if total > 0 && ses == total {
		return "SES", false, true
	}
	if broad {
		return "everyone (" + strings.Join(names, ", ") + ")", true, false
	}
	return strings.Join(names, ", "), false, false
}

// anyMatch matches IAM patterns: * spans any run of characters ("/"
// included), ? one character; case-insensitive, which for ARNs errs
// towards reporting.
func anyMatch(patterns []string, s string) bool {
	for _, p := range patterns {
		if wildMatch(strings.ToLower(p), strings.ToLower(s)) {
			return true
		}
	}
	return false
}

func wildMatch(p, s string) bool {
	// Iterative glob with backtracking to the last star.
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
