// Package team is sesbox's shared state for operators on different
// machines, kept in one DynamoDB table: forward claims and their outcomes
// (so a bulk re-forward run by two operators sends each message once),
// read state, and a hash-chained action log.
//
// One partition/sort key schema (pk, sk: strings) holds every kind of
// record; the kind attribute says which:
//
//	kind    pk                        sk                  what
//	meta    "meta"                    "table"             written by `sesbox team init`
//	claim   "claim#" + sha256(send)   "claim"             one send: bucket, key, ETag, destinations, owner, lease, outcome
//	read    "read#" + bucket          key                 read/answered flags with their times (last writer wins)
//	log     "log"                     20-digit sequence   one action-log entry (the exact JSON bytes)
//	head    "loghead"                 "head"              the log's count and last hash
//
// The table never holds message bodies or credentials: keys, ids, hashes,
// addresses and outcomes only. Nothing here creates a table except Init.
//
// Every write that must not be lost or doubled is conditional, and written
// so that the SDK's own retries (throttling, network errors) are safe: a
// retried write whose first attempt did succeed fails its condition, and
// the item is then read back and recognised as this writer's own.
package team

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/user"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/awscreds"
	"github.com/sesbox/sesbox/mailstore/reforward"
	"github.com/sesbox/sesbox/mailstore/sesaccount"
	"github.com/sesbox/sesbox/mailstore/xdg"
)

// dynamoAPI is the part of the DynamoDB client the store uses.
type dynamoAPI interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	Scan(context.Context, *dynamodb.ScanInput, ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	CreateTable(context.Context, *dynamodb.CreateTableInput, ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	DescribeTable(context.Context, *dynamodb.DescribeTableInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
	DescribeTimeToLive(context.Context, *dynamodb.DescribeTimeToLiveInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTimeToLiveOutput, error)
}

var _ dynamoAPI = (*dynamodb.Client)(nil)

// Owner is who holds a claim or wrote a record.
type Owner struct {
	Host string
	User string
	PID  int
	// Boot identifies the running kernel (Linux boot_id): a claim of a
	// process that no longer runs on this very machine is known dead
	// without waiting for its lease.
	Boot string
}

func (o Owner) String() string {
	return fmt.Sprintf("%s@%s pid %d", o.User, o.Host, o.PID)
}

// CurrentOwner describes this process.
func CurrentOwner() Owner {
	o := Owner{PID: os.Getpid()}
	o.Host, _ = os.Hostname()
	if u, err := user.Current(); err == nil {
		o.User = u.Username
	}
	if o.User == "" {
		o.User = os.Getenv("USER")
	}
	if b, err := os.ReadFile("/proc/sys/kernel/random/boot_id"); err == nil {
		o.Boot = strings.TrimSpace(string(b))
	}
	return o
}

// Store is the team table.
type Store struct {
	api   dynamoAPI
	table string
	owner Owner
	// Lease is how long a claim stands without an outcome before every
	// machine calls the send uncertain. It must outlast one send (the
	// forward run bounds a send to 2 minutes).
	Lease time.Duration
	// Now is the clock (tests move it).
	Now func() time.Time
	// OnWait, when set, is told each time a call waits for the table to
	// come back (a refused connection after the store has talked to it):
	// the run's progress line says so.
	OnWait func(err error)
	// alive reports whether a process of this machine runs (tests replace it).
	alive func(pid int) bool

	mu        sync.Mutex
	down      error     // the last call that failed after every retry
	downUntil time.Time // calls fail at once until then
	// skew is how far the table's clock is ahead of this machine's, as
	// its last answer bounds it: leases are stamped and judged by the
	// table's clock (see observe, stampNow, judgeNow).
	skew     skewRange
	observed bool // skew is from an answer (see knowClock)
	// profile is the shared config profile the client was loaded with
	// (WithProfile).
	profile string

	// sends is the shared log's sends read so far (confirmed), under logMu.
	logMu sync.Mutex
	sends sendLog
}

// skewRange is what one answer says of the table's clock: it is ahead
// of this machine's by at least lo and at most hi.
type skewRange struct{ lo, hi time.Duration }

// downFor is how long the store answers with its last failure, without
// trying, after a call failed through every retry: a run that lost the
// table stops at once instead of waiting out the retries again for its
// last log entry, and a long-lived TUI tries again later.
const downFor = 30 * time.Second

// check fails fast while the table is known to be unreachable.
func (s *Store) check() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down != nil && time.Now().Before(s.downUntil) {
		return fmt.Errorf("team table %s is unreachable (earlier in this run: %w)", s.table, s.down)
	}
	return nil
}

// DefaultLease is Store.Lease unless set.
const DefaultLease = 5 * time.Minute

// New returns the store for table, written as owner.
func New(client dynamoAPI, table string, owner Owner) *Store {
	s := &Store{table: table, owner: owner, Lease: DefaultLease, Now: time.Now, alive: xdg.ProcessAlive}
	s.api = &patientAPI{dynamoAPI: client, s: s}
	return s
}

// WithProfile names the shared config profile the client's configuration
// was loaded with ("": none named, the default), so that credentials
// DynamoDB rejects are said to come from it when they did.
func (s *Store) WithProfile(profile string) *Store {
	s.profile = profile
	return s
}

// Table is the table's name.
func (s *Store) Table() string { return s.table }

func (s *Store) now() time.Time { return s.Now().UTC() }

// observe notes the table's clock from the Date of one of its answers to
// a request sent at sent. The Date counts whole seconds and was written
// somewhere between sent and the answer's arrival, so it bounds the
// difference between the clocks, and no more: a slow answer (its Date a
// minute old on arrival) was taken for a table clock a minute behind,
// and the claims stamped by it ended a minute early
// (TestTeam/DelayedAnswerIsNoClockSkew).
func (s *Store) observe(md middleware.Metadata, sent time.Time) {
	server, ok := awsmiddleware.GetServerTime(md)
	at, ok2 := awsmiddleware.GetResponseAt(md)
	if !ok || !ok2 || server.IsZero() || at.IsZero() || sent.IsZero() {
		return
	}
	r := skewRange{lo: server.Sub(at), hi: server.Add(time.Second).Sub(sent)}
	if r.lo > r.hi {
		return // the clock jumped between the two readings
	}
	s.mu.Lock()
	s.skew, s.observed = r, true
	s.mu.Unlock()
}

// knowClock makes sure the table's clock was read before a write is
// stamped by it: a first call that is a write (a read mark from a
// process that has not asked the table anything yet) reads the item
// first. Stamped by a clock ten minutes ahead, such a mark won over every
// later change for ten minutes (TestTeam/FirstReadMarkByTheTableClock).
func (s *Store) knowClock(ctx context.Context, key map[string]types.AttributeValue) error {
	s.mu.Lock()
	known := s.observed
	s.mu.Unlock()
	if known {
		return nil
	}
	sent := time.Now()
	out, err := s.api.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return s.wrap("read the table's clock", err)
	}
	s.observe(out.ResultMetadata, sent)
	return nil
}

// tableNow is the time by the table's clock, as the last answer showed
// it, carried on by this machine's, with the difference bounded by that
// answer (observe) taken at the given end. Every machine stamps and
// judges leases, and stamps read-state changes, by it: judged by their
// own clocks, a machine ten minutes ahead read a claim made a moment ago
// as past its five-minute lease, took it over with --retry-uncertain and
// sent while its owner sent too, and its read marks won over later ones.
func (s *Store) tableNow(end func(skewRange) time.Duration) time.Time {
	s.mu.Lock()
	r := s.skew
	s.mu.Unlock()
	return s.now().Add(end(r))
}

// stampNow is the table's time as late as the last answer allows: a
// lease stamped by it runs at least its length by the table's clock.
func (s *Store) stampNow() time.Time {
	return s.tableNow(func(r skewRange) time.Duration { return r.hi })
}

// judgeNow is the table's time as early as the last answer allows: a
// lease judged run out by it has run out by the table's clock.
func (s *Store) judgeNow() time.Time {
	return s.tableNow(func(r skewRange) time.Duration { return r.lo })
}

// markNow is the table's time for a read-state change: no correction
// when the last answer allows none (the clocks agree to its precision),
// else the Date less the answer's arrival, as the Date's whole seconds
// lean early: a change a moment later on a machine whose clock agrees
// with the table's is then the later one (TestTeam/ReadStateByTheTableClock).
func (s *Store) markNow() time.Time {
	return s.tableNow(func(r skewRange) time.Duration {
		if r.lo <= 0 && r.hi >= 0 {
			return 0
		}
		return r.lo
	})
}

// reachHint says first where table was looked for when err is a failure
// to reach its endpoint, or that the clock is off when DynamoDB refused
// the request for its time; err as it is otherwise.
func reachHint(table string, err error) error {
	if h := mailstore.ClockHint(err); h != "" {
		return &mailstore.HintError{Hint: h, Err: err}
	}
	if h := mailstore.ReachHint(err, "the table's endpoint", "--dynamodb-endpoint or dynamodb_endpoint (or AWS_ENDPOINT_URL_DYNAMODB)", "--region"); h != "" {
		return &mailstore.HintError{Hint: "cannot reach team table " + table + ": " + h, Err: err}
	}
	return err
}

// wrap names the table in an error and says what a missing table means.
// A call that failed through every retry marks the table unreachable.
func (s *Store) wrap(what string, err error) error {
	// Where the table was looked for, first (a table restarting, a wrong
	// endpoint), here and in the calls refused after (check).
	err = reachHint(s.table, err)
	var ae smithy.APIError
	if errors.As(err, &ae) && awscreds.RejectedCode(ae.ErrorCode()) && mailstore.Hint(err) == "" {
		// Where they came from, as S3's and SES's hints say it.
		from := ""
		if c, ok := s.api.(*patientAPI).dynamoAPI.(*dynamodb.Client); ok {
			from = awscreds.Of(c.Options().Credentials, s.profile)
		}
		err = &mailstore.HintError{Hint: awscreds.Rejected("DynamoDB", from, err), Err: err}
	}
	var gaveUp *retry.MaxAttemptsError
	if errors.As(err, &gaveUp) {
		s.mu.Lock()
		s.down, s.downUntil = err, time.Now().Add(downFor)
		s.mu.Unlock()
		code := ""
		if errors.As(err, &ae) {
			code = ae.ErrorCode()
		}
		if _, throttled := retry.DefaultThrottleErrorCodes[code]; throttled && mailstore.Hint(err) == "" {
			// Said first: the run stopped for the table, not for a fault of
			// its own, and the same command goes on where it stopped.
			err = &mailstore.HintError{Hint: fmt.Sprintf(mailstore.RunAgain+" in a minute (what was sent is skipped): team table %s "+
				"throttled every one of %d attempts (%s; a provisioned table needs more capacity, AWS_MAX_ATTEMPTS allows more attempts)",
				s.table, gaveUp.Attempt, code), Err: err}
		}
	}
	var nf *types.ResourceNotFoundException
	if errors.As(err, &nf) {
		return fmt.Errorf("team table %s: %s: the table does not exist (create it with `sesbox team init --table %s`): %w", s.table, what, s.table, err)
	}
	return fmt.Errorf("team table %s: %s: %w", s.table, what, err)
}

func isConditionFailed(err error) bool {
	var cf *types.ConditionalCheckFailedException
	return errors.As(err, &cf)
}

// Item attribute helpers: the table is small and flat, so the maps are
// written out rather than marshalled by reflection.
func str(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func num(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}
func list(vs []string) types.AttributeValue {
	l := make([]types.AttributeValue, len(vs))
	for i, v := range vs {
		l[i] = str(v)
	}
	return &types.AttributeValueMemberL{Value: l}
}

func getS(it map[string]types.AttributeValue, k string) string {
	if v, ok := it[k].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func getN(it map[string]types.AttributeValue, k string) int64 {
	if v, ok := it[k].(*types.AttributeValueMemberN); ok {
		n, _ := strconv.ParseInt(v.Value, 10, 64)
		return n
	}
	return 0
}

func getBool(it map[string]types.AttributeValue, k string) bool {
	v, ok := it[k].(*types.AttributeValueMemberBOOL)
	return ok && v.Value
}

func getL(it map[string]types.AttributeValue, k string) []string {
	v, ok := it[k].(*types.AttributeValueMemberL)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(v.Value))
	for _, x := range v.Value {
		if s, ok := x.(*types.AttributeValueMemberS); ok {
			out = append(out, s.Value)
		}
	}
	return out
}

func getTime(it map[string]types.AttributeValue, k string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, getS(it, k))
	return t
}

func timeAttr(t time.Time) types.AttributeValue { return str(t.UTC().Format(time.RFC3339Nano)) }

func keyOf(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": str(pk), "sk": str(sk)}
}

// sendSet is the destinations as a set of mailboxes: sorted, without
// repeats, each domain in lower case (sesaccount.AddressKey): c@X.example
// and c@x.example are one mailbox, and one send to it.
func sendSet(dests []string) []string {
	set := make([]string, len(dests))
	for i, d := range dests {
		set[i] = sesaccount.AddressKey(d)
	}
	slices.Sort(set)
	return slices.Compact(set)
}

// claimPK identifies a send (bucket, key, ETag without quotes,
// destinations as a set of mailboxes).
func claimPK(bucket, key, etag string, dests []string) string {
	return sendPK(bucket, key, etag, sendSet(dests))
}

// legacyClaimPK is the key sesbox gave a send before its destinations
// were keyed as mailboxes (byte for byte), or "" where it is claimPK's: a
// send recorded under it by a teammate's older sesbox is still found.
func legacyClaimPK(bucket, key, etag string, dests []string) string {
	set := slices.Clone(dests)
	slices.Sort(set)
	set = slices.Compact(set)
	if slices.Equal(set, sendSet(dests)) {
		return ""
	}
	return sendPK(bucket, key, etag, set)
}

// sendPK hashes a send's parts, each length-prefixed so no choice of names
// makes two sends collide: a key plus fifty addresses may be longer than
// a partition key may be.
func sendPK(bucket, key, etag string, set []string) string {
	var b strings.Builder
	for _, s := range append([]string{bucket, key, strings.Trim(etag, `"`)}, set...) {
		b.WriteString(strconv.Itoa(len(s)))
		b.WriteByte(':')
		b.WriteString(s)
	}
	sum := sha256.Sum256([]byte(b.String()))
	return "claim#" + hex.EncodeToString(sum[:])
}

func newToken() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	return hex.EncodeToString(b[:])
}

// Initialized is what Init found or made.
type Initialized struct {
	ARN string
	// Created: Init created the table. Otherwise it existed, and Fit says
	// what Init checked of it.
	Created bool
	Fit     string
}

// Init creates the table (on-demand billing, string pk and sk), waits
// until it is active, writes the meta record and returns its ARN. A table
// that exists already is checked instead, changing nothing but a missing
// meta record: a second operator running the documented setup is told it
// is fit (exit 0: it failed with "already exists", exit 1), or, hint
// first, why sesbox cannot use it (TestTeam/InitOfAnExistingTable). It
// asks DescribeTable before CreateTable, so an operator without
// CreateTable is answered too.
func Init(ctx context.Context, client dynamoAPI, table string) (Initialized, error) {
	var res Initialized
	d, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	var nf *types.ResourceNotFoundException
	if errors.As(err, &nf) {
		created, cerr := client.CreateTable(ctx, &dynamodb.CreateTableInput{
			TableName:   aws.String(table),
			BillingMode: types.BillingModePayPerRequest,
			AttributeDefinitions: []types.AttributeDefinition{
				{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
				{AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeS},
			},
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange},
			},
		})
		var inUse *types.ResourceInUseException
		switch {
		case errors.As(cerr, &inUse):
			// Another operator created it a moment ago: checked as existing.
			d, err = client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
		case cerr != nil:
			return res, reachHint(table, fmt.Errorf("create team table %s: %w", table, cerr))
		default:
			res.Created = true
			if created.TableDescription != nil {
				res.ARN = aws.ToString(created.TableDescription.TableArn)
			}
		}
	}
	if !res.Created {
		if err != nil {
			return res, reachHint(table, fmt.Errorf("create team table %s: %w", table, err))
		}
		res.ARN = aws.ToString(d.Table.TableArn)
		if res.Fit, err = checkFit(ctx, client, table, d.Table); err != nil {
			return res, err
		}
	}
	w := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 200*time.Millisecond, 5*time.Second
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}, 5*time.Minute); err != nil {
		return res, fmt.Errorf("team table %s: waiting for it to become active: %w", table, err)
	}
	o := CurrentOwner()
	_, err = client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(table),
		Item: map[string]types.AttributeValue{
			"pk": str("meta"), "sk": str("table"), "kind": str("meta"), "schema": num(schemaVersion),
			"created_at": timeAttr(time.Now()), "created_by": str(o.String()),
		},
		ConditionExpression: aws.String("attribute_not_exists(pk)"),
	})
	if err != nil && !isConditionFailed(err) {
		return res, fmt.Errorf("team table %s: write the meta record: %w", table, err)
	}
	return res, nil
}

// schemaVersion is the meta record's schema: the records this sesbox
// reads and writes.
const schemaVersion = 1

// checkFit says what makes an existing table fit for sesbox, or why it is
// not, hint first: its keys must be the string pk and sk every record is
// stored under; a TTL must not be on an attribute sesbox writes (DynamoDB
// would delete claims by their "ver" or "owner_pid", and the next run
// sent those messages again); its meta record, when there is one, must be
// of this schema.
func checkFit(ctx context.Context, client dynamoAPI, table string, td *types.TableDescription) (string, error) {
	attrType := map[string]types.ScalarAttributeType{}
	for _, a := range td.AttributeDefinitions {
		attrType[aws.ToString(a.AttributeName)] = a.AttributeType
	}
	var keys []string
	for _, k := range td.KeySchema {
		keys = append(keys, fmt.Sprintf("%s %s (%s)", k.KeyType, aws.ToString(k.AttributeName), attrType[aws.ToString(k.AttributeName)]))
	}
	want := []string{"HASH pk (S)", "RANGE sk (S)"}
	if !slices.Equal(keys, want) {
		return "", &mailstore.HintError{
			Hint: fmt.Sprintf("give another table's name (--table or team_table): team table %s exists with keys %s, and sesbox needs a string partition key pk and a string sort key sk",
				table, strings.Join(keys, ", ")),
			Err: fmt.Errorf("team table %s exists with another schema: nothing was changed", table),
		}
	}
	fit := []string{"keys pk, sk (strings)"}
	ttl, err := client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table)})
	switch {
	case err != nil:
		fit = append(fit, "TTL not checked ("+mailstore.Explain(err)+")")
	case ttl.TimeToLiveDescription == nil || ttl.TimeToLiveDescription.TimeToLiveStatus == types.TimeToLiveStatusDisabled:
		fit = append(fit, "no TTL")
	default:
		attr := aws.ToString(ttl.TimeToLiveDescription.AttributeName)
		if slices.Contains(itemAttributes, attr) {
			return "", &mailstore.HintError{
				Hint: fmt.Sprintf("turn the TTL off (aws dynamodb update-time-to-live --table-name %s --time-to-live-specification Enabled=false,AttributeName=%s) or give another table: team table %s deletes items by %q, which sesbox writes, and a claim deleted so is a message sent again",
					table, attr, table, attr),
				Err: fmt.Errorf("team table %s has a TTL on %q: nothing was changed", table, attr),
			}
		}
		fit = append(fit, fmt.Sprintf("TTL on %q, which sesbox never writes", attr))
	}
	meta, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: keyOf("meta", "table"), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return "", reachHint(table, fmt.Errorf("team table %s: read the meta record: %w", table, err))
	}
	if v := getN(meta.Item, "schema"); len(meta.Item) > 0 && v != schemaVersion {
		return "", &mailstore.HintError{
			Hint: fmt.Sprintf("use a sesbox that knows schema %d, or give another table: team table %s was set up for schema %d, this sesbox's is %d", v, table, v, schemaVersion),
			Err:  fmt.Errorf("team table %s: meta record of schema %d: nothing was changed", table, v),
		}
	}
	if len(meta.Item) > 0 {
		fit = append(fit, fmt.Sprintf("schema %d, set up by %s", schemaVersion, getS(meta.Item, "created_by")))
	}
	fit = append(fit, fmt.Sprintf("%s, %s", td.TableStatus, billing(td)))
	return strings.Join(fit, "; "), nil
}

// itemAttributes are the attributes sesbox writes on any record.
var itemAttributes = []string{
	"pk", "sk", "kind", "schema", "created_at", "created_by",
	"bucket", "key", "etag", "destinations", "state", "token", "owner_host", "owner_user", "owner_pid", "owner_boot",
	"claimed_at", "lease_until", "updated_at", "ver", "start", "started_at", "ses_message_id", "reason",
	"prior_state", "prior_ses_message_id", "prior_at", "prior_owner", "owner_note",
	"note", "resolution", "resolved_by", "resolved_at",
	"read", "read_at", "read_by", "answered", "answered_at", "answered_by",
	"seq", "entry", "count", "last", "next",
}

func billing(td *types.TableDescription) string {
	if td.BillingModeSummary != nil && td.BillingModeSummary.BillingMode != "" {
		return string(td.BillingModeSummary.BillingMode)
	}
	return string(types.BillingModeProvisioned)
}

// Policy is the least-privilege IAM policy for working with the table
// (account and region as given; "*" when unknown). No DeleteItem, no
// table administration: sesbox never removes a record.
func Policy(region, account, table string) string {
	if region == "" {
		region = "*"
	}
	if account == "" {
		account = "*"
	}
	return fmt.Sprintf(`{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "SesboxTeamTable",
      "Effect": "Allow",
      "Action": [
        "dynamodb:DescribeTable",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:Query",
        "dynamodb:Scan"
      ],
      "Resource": "arn:aws:dynamodb:%s:%s:table/%s"
    }
  ]
}
`, region, account, table)
}

// Status is what `sesbox team status` shows.
type Status struct {
	Table     string         `json:"table"`
	State     string         `json:"state"` // the table's status: ACTIVE, ...
	Billing   string         `json:"billing"`
	Counts    map[string]int `json:"counts"` // items by kind
	Claims    []ClaimInfo    `json:"claims"` // claims without an outcome: running or uncertain
	LogLength int64          `json:"logEntries"`
	// Unlogged are the sends claims call sent that the shared action log
	// holds no send of (the same key, ETag and SES message id): a run
	// that could not append its log entry (it stopped, saying so), or a
	// claim no sesbox wrote. Forward runs report them uncertain (and send
	// them only with --retry-uncertain), as they do claims in Claims.
	Unlogged []ClaimInfo `json:"unlogged"`
}

// ClaimInfo is one claim as status shows it.
type ClaimInfo struct {
	Bucket       string    `json:"bucket"`
	Key          string    `json:"key"`
	ETag         string    `json:"etag"`
	Destinations []string  `json:"destinations"`
	State        string    `json:"state"` // claimed (a run holds it) or uncertain
	Owner        string    `json:"owner"`
	ClaimedAt    time.Time `json:"claimedAt"`
	LeaseUntil   time.Time `json:"leaseUntil"`
	Reason       string    `json:"reason,omitempty"`
	// Suspect says why the item is not one sesbox writes (a "sent"
	// without its SES message id, a lease further ahead than any run
	// takes): it is uncertain whatever it says.
	Suspect string `json:"suspect,omitempty"`
	// SESMessageID is the SES id an unlogged send's claim gives.
	SESMessageID string `json:"sesMessageId,omitempty"`
}

// Kinds are the kinds of item sesbox writes, in the order status shows
// them: Status counts each, none of them included as 0, so `team status
// --json`'s counts.read is 0 on a table without read state (it was left
// out, and a script read null, while the text said "0 read").
var Kinds = []string{"claim", "read", "log", "head", "meta"}

// Status describes the table: its state, its items by kind and the claims
// without an outcome. It reads the whole table (a Scan): the table holds
// small records only, but this is the one call whose cost grows with it.
func (s *Store) Status(ctx context.Context) (Status, error) {
	st := Status{Table: s.table, Counts: map[string]int{}, Claims: []ClaimInfo{}, Unlogged: []ClaimInfo{}}
	for _, k := range Kinds {
		st.Counts[k] = 0
	}
	// Sent claims, checked against the log's sends once both are read.
	type sentClaim struct {
		c  claim
		st reforward.SharedState
	}
	var sentClaims []sentClaim
	var logged sendLog
	d, err := s.api.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(s.table)})
	if err != nil {
		return st, s.wrap("describe", err)
	}
	st.State = string(d.Table.TableStatus)
	if d.Table.BillingModeSummary != nil {
		st.Billing = string(d.Table.BillingModeSummary.BillingMode)
	}
	p := dynamodb.NewScanPaginator(s.api, &dynamodb.ScanInput{TableName: aws.String(s.table), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		sent := time.Now()
		page, err := p.NextPage(ctx)
		if err != nil {
			return st, s.wrap("scan", err)
		}
		s.observe(page.ResultMetadata, sent)
		for _, it := range page.Items {
			kind := getS(it, "kind")
			if kind == "" {
				kind = "(none)"
			}
			st.Counts[kind]++
			switch kind {
			case "log":
				st.LogLength++
				if e, err := decodeEntry(it); err == nil {
					logged.add(e)
				}
			case "claim":
				c := decodeClaim(it)
				state := s.view(c)
				if state.State == reforward.SharedSent {
					sentClaims = append(sentClaims, sentClaim{c, state})
				}
				if state.State != stateClaimedView && state.State != stateUncertainView {
					continue
				}
				st.Claims = append(st.Claims, ClaimInfo{Bucket: c.bucket, Key: c.key, ETag: c.etag, Destinations: c.dests,
					State: state.State, Owner: c.owner.String(), ClaimedAt: c.claimedAt, LeaseUntil: c.leaseUntil, Reason: c.reason,
					Suspect: state.Suspect})
			}
		}
	}
	for _, sc := range sentClaims {
		// The same rule as a forward run's (confirmed).
		if s.unlogged(sc.c, sc.st, &logged) == "" {
			continue
		}
		c := sc.c
		st.Unlogged = append(st.Unlogged, ClaimInfo{Bucket: c.bucket, Key: c.key, ETag: c.etag, Destinations: c.dests,
			State: reforward.SharedSent, Owner: sc.st.Owner, ClaimedAt: c.claimedAt, LeaseUntil: c.leaseUntil, SESMessageID: sc.st.SESMessageID})
	}
	slices.SortFunc(st.Claims, func(a, b ClaimInfo) int { return a.ClaimedAt.Compare(b.ClaimedAt) })
	slices.SortFunc(st.Unlogged, func(a, b ClaimInfo) int { return a.ClaimedAt.Compare(b.ClaimedAt) })
	return st, nil
}

// NewRetryer is the retry policy of the team table's client: throttling,
// server errors and dropped connections are retried (every write the
// store makes is safe to repeat) up to attempts times (8 when 0), waiting
// at most maxBackoff between two. Without a retry budget: a run must not
// give up on the table early because an earlier call spent the budget.
// After the last attempt the call fails and a forward run stops.
func NewRetryer(attempts int, maxBackoff time.Duration) aws.Retryer {
	if attempts <= 0 {
		attempts = 8
	}
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = attempts
		o.MaxBackoff = maxBackoff
		o.RateLimiter = ratelimit.None
	})
}
