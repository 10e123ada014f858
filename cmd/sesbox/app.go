package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/logging"

	"github.com/BurntSushi/toml"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/demo"
	"github.com/sesbox/sesbox/mailstore/fwdlog/cwlogs"
	"github.com/sesbox/sesbox/mailstore/index"
	"github.com/sesbox/sesbox/mailstore/inventory"
	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/mailstore/notify"
	"github.com/sesbox/sesbox/mailstore/s3store"
	"github.com/sesbox/sesbox/mailstore/sanitize"
	"github.com/sesbox/sesbox/mailstore/sessend"
)

type globalFlags struct {
	mailbox, bucket, prefix, region, profile, endpoint, sesEndpoint, config string
	dynamoEndpoint                                                          string
	logsEndpoint, forwarderLogs                                             string
	inventory                                                               string
	demo, debug                                                             bool
	// cached opens the TUI on the local index without listing the bucket.
	cached bool
}

// app holds what one invocation has opened; commands ask it for mailboxes.
type app struct {
	flags          globalFlags
	stdin          io.Reader
	stdout, stderr io.Writer

	cfg     *Config
	demo    *demo.Server
	indexes map[string]*index.Index // by path
	// awsConfigs are the AWS configurations loaded (awsConfig), under awsMu.
	awsMu      sync.Mutex
	awsConfigs map[awsConfigKey]aws.Config
	debug      *debugLog // --debug: every AWS request, logged
	// logUnread is the forwarder log a lenient refresh could not read
	// (refreshSaying): forward: terms then match stale statuses.
	logUnread error
}

func (a *app) close() {
	for _, x := range a.indexes {
		x.Close()
	}
	if a.demo != nil {
		a.demo.Close()
	}
}

func (a *app) config() (Config, error) {
	if a.cfg != nil {
		return *a.cfg, nil
	}
	path, explicit := a.flags.config, a.flags.config != ""
	if !explicit {
		path = defaultConfigPath()
	}
	c, err := loadConfig(path, explicit)
	if err != nil {
		return Config{}, err
	}
	a.cfg = &c
	return c, nil
}

// mailboxConfigs returns the mailboxes this invocation works on: the demo,
// the one named by flags, or every configured one (default first) when
// all is set and no flag narrows it.
func (a *app) mailboxConfigs(all bool) (names []string, mcs []MailboxConfig, err error) {
	if a.flags.demo {
		// Flags that do not name the bucket (--ses-endpoint, --region, ...)
		// still apply to the demo mailbox.
		mc := a.overlay(MailboxConfig{})
		mc.Bucket, mc.Prefix, mc.Endpoint = demo.Bucket, demo.Prefix, ""
		return []string{"demo"}, []MailboxConfig{mc}, nil
	}
	cfg, err := a.config()
	if err != nil {
		return nil, nil, err
	}
	name := a.flags.mailbox
	table := "" // the [mailbox.NAME] the file's values come from
	var mc MailboxConfig
	switch {
	case name != "":
		var ok bool
		if mc, ok = cfg.Mailboxes[name]; !ok {
			return nil, nil, cfg.noMailbox(name)
		}
		table = name
	case a.flags.bucket != "":
		// A bucket on the same service as the default mailbox, reached
		// the same way (docs/config.md): its endpoints, region and
		// profile, none of what is that mailbox's own. It was AWS's
		// with the SDK's defaults, whatever the default mailbox was on.
		name = a.flags.bucket
		if def, ok := cfg.defaultName(); ok {
			mc, table = cfg.Mailboxes[def].connection(), def
		}
	case all && len(cfg.Mailboxes) > 0:
		for _, n := range cfg.names() {
			mc := a.overlay(cfg.Mailboxes[n])
			mc.origins = a.origins(cfg, n, cfg.Mailboxes[n])
			if err := cfg.checkEndpoints(n, mc); err != nil {
				return nil, nil, err
			}
			names = append(names, n)
			mcs = append(mcs, mc)
		}
		return names, mcs, nil
	default:
		def, ok := cfg.defaultName()
		if !ok {
			return nil, nil, cfg.noMailbox("")
		}
		name, table, mc = def, def, cfg.Mailboxes[def]
	}
	file := mc
	mc = a.overlay(mc)
	mc.origins = a.origins(cfg, table, file)
	if err := cfg.checkEndpoints(table, mc); err != nil {
		return nil, nil, err
	}
	if mc.Bucket == "" {
		return nil, nil, configError(cfg.path, cfg.data, toml.Key{"mailbox", name}.String(), `add bucket = "..." to it, or give --bucket B`,
			fmt.Errorf("mailbox %q has no bucket", name))
	}
	return []string{name}, []MailboxConfig{mc}, nil
}

// origins says where each S3 setting of the mailbox name (file: as its
// table in cfg says) comes from, for hints to name: the flag, the config
// key in its file, or the environment variable the SDK reads.
func (a *app) origins(cfg Config, name string, file MailboxConfig) mailstore.Origins {
	from := func(flag, key, fileValue string, envs ...string) string {
		if flag != "" {
			return "" // the flag, by its name
		}
		if fileValue != "" {
			return fmt.Sprintf("%s in %s [mailbox.%s]", key, cfg.path, name)
		}
		for _, e := range envs {
			if os.Getenv(e) != "" {
				return e
			}
		}
		return ""
	}
	return mailstore.Origins{
		Bucket:    from(a.flags.bucket, "bucket", file.Bucket),
		Prefix:    from(a.flags.prefix, "prefix", file.Prefix),
		Region:    from(a.flags.region, "region", file.Region, "AWS_REGION", "AWS_DEFAULT_REGION"),
		Endpoint:  from(a.flags.endpoint, "endpoint", file.Endpoint, "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"),
		Inventory: from(a.flags.inventory, "inventory", file.Inventory),
		Profile:   awsProfile(a.overlay(file)),
	}
}

// awsProfile is the name of the shared config profile a mailbox's AWS
// configuration is loaded with (awsConfig), as the SDK takes AWS_PROFILE
// when none is set: for the hints on credentials a service rejects.
func awsProfile(mc MailboxConfig) string { return cmp.Or(mc.Profile, os.Getenv("AWS_PROFILE")) }

// overlay applies the global flags over a configured mailbox.
func (a *app) overlay(mc MailboxConfig) MailboxConfig {
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&mc.Bucket, a.flags.bucket)
	set(&mc.Prefix, a.flags.prefix)
	set(&mc.Region, a.flags.region)
	set(&mc.Profile, a.flags.profile)
	set(&mc.Endpoint, a.flags.endpoint)
	set(&mc.SESEndpoint, a.flags.sesEndpoint)
	set(&mc.DynamoDBEndpoint, a.flags.dynamoEndpoint)
	set(&mc.LogsEndpoint, a.flags.logsEndpoint)
	set(&mc.ForwarderLogs, a.flags.forwarderLogs)
	set(&mc.Inventory, a.flags.inventory)
	return mc
}

// mailbox opens the one mailbox the flags select.
func (a *app) mailbox(ctx context.Context) (*mailbox.Mailbox, MailboxConfig, error) {
	names, mcs, err := a.mailboxConfigs(false)
	if err != nil {
		return nil, MailboxConfig{}, err
	}
	m, err := a.open(ctx, names[0], mcs[0])
	return m, mcs[0], err
}

// cachedMailbox opens the one mailbox the flags select on its index
// alone (mailbox.Cached): no AWS configuration is loaded, no demo server
// started.
func (a *app) cachedMailbox() (*mailbox.Mailbox, error) {
	names, mcs, err := a.mailboxConfigs(false)
	if err != nil {
		return nil, err
	}
	idx, err := a.readIndex(a.indexName(mcs[0]))
	if err != nil {
		return nil, err
	}
	return mailbox.Cached(names[0], mailstore.Location{Bucket: mcs[0].Bucket, Prefix: mcs[0].Prefix}, idx), nil
}

// indexName names a mailbox's index by the S3 endpoint it reads (so a
// local test server's buckets never mix with AWS's): the mailbox's
// endpoint, else the one the SDK takes from the environment, else AWS's.
func (a *app) indexName(mc MailboxConfig) string {
	if a.flags.demo {
		return "demo"
	}
	if mc.Endpoint != "" {
		return mc.Endpoint
	}
	return firstEnv("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")
}

// readIndex opens the index of that name for a command that only reads
// it (ls --cached): as index does when it can; else, when the index may
// be read but not written (a read-only cache directory or file), read
// only; else it fails, hint first. It worked in memory there, and ls
// --cached said "no messages" of an index full of them.
func (a *app) readIndex(name string) (*index.Index, error) {
	path, _ := index.DefaultPath(name)
	if path == "" || a.indexes[path] != nil {
		return a.index(name)
	}
	idx, err := index.Open(path)
	if err == nil {
		// As index: a damaged file healed is said (ls --cached said "no
		// messages" alone after its index was moved aside).
		return a.keepIndex(path, idx, idx.Notice()), nil
	}
	if idx, err = index.OpenReadOnly(path); err != nil {
		if mailstore.Hint(err) == "" && errors.Is(err, fs.ErrNotExist) {
			err = &mailstore.HintError{Hint: "there is no local index at " + path + " to read (ls --cached reads only that): run sesbox index (or ls without --cached) first", Err: err}
		}
		return nil, err
	}
	return a.keepIndex(path, idx, idx.Notice()), nil
}

// index opens the index of that name once per run. No usable cache (no
// home, a file where the directory belongs, a symlink, a newer sesbox's
// index): OpenCache works in memory, so show and save of a known key
// still read S3 directly.
func (a *app) index(name string) (*index.Index, error) {
	path, _ := index.DefaultPath(name)
	if a.indexes == nil {
		a.indexes = map[string]*index.Index{}
	}
	if idx := a.indexes[path]; idx != nil {
		return idx, nil
	}
	idx, notice, err := index.OpenCache(path)
	if err != nil {
		return nil, err
	}
	return a.keepIndex(path, idx, notice), nil
}

// keepIndex keeps idx, opened at path, for the rest of the run, saying
// notice (what opening it did: a damaged file moved aside) and whatever
// it says later on stderr.
func (a *app) keepIndex(path string, idx *index.Index, notice string) *index.Index {
	if notice != "" {
		fmt.Fprintln(a.stderr, "sesbox: warning:", sanitize.Line(notice))
	}
	stderr := a.stderr
	idx.SetNotify(func(n string) { fmt.Fprintln(stderr, "sesbox: warning:", sanitize.Line(n)) })
	if a.indexes == nil {
		a.indexes = map[string]*index.Index{}
	}
	a.indexes[path] = idx
	return idx
}

func (a *app) open(ctx context.Context, name string, mc MailboxConfig) (*mailbox.Mailbox, error) {
	client, kmsClient, err := a.clients(ctx, mc)
	if err != nil {
		return nil, err
	}
	idx, err := a.index(a.indexName(mc))
	if err != nil {
		return nil, err
	}
	st := a.store(client, mc)
	if kmsClient != nil {
		st.WithKMS(kmsClient)
	}
	m := mailbox.New(name, st, idx)
	ts, err := a.teamStore(ctx, mc)
	if err != nil {
		return nil, err
	}
	if ts != nil {
		m.ShareReadState(ts)
	}
	if mc.Inventory != "" && !a.flags.demo {
		u, err := inventory.ParseURL(mc.Inventory)
		if err != nil {
			return nil, err
		}
		m.ListFrom(inventory.Lister(st.InventorySource(), u, st.Location(), os.TempDir()))
		m.FetchHeaders(mailbox.HeaderFetch{Rate: mc.HeaderRate})
	}
	// With the demo, only from a --logs-endpoint (demoFlags).
	if mc.ForwarderLogs != "" && (!a.flags.demo || a.flags.logsEndpoint != "") {
		logs, err := a.logsClient(ctx, mc)
		if err != nil {
			return nil, err
		}
		m.ReadForwarderLogs(mailbox.ForwarderLogs{API: cwlogs.New(logs).WithProfile(awsProfile(mc)), Group: mc.ForwarderLogs})
	}
	return m, nil
}

// logsClient builds the CloudWatch Logs client that reads the forwarding
// Lambda's log group: --logs-endpoint or the mailbox's logs_endpoint,
// else the SDK's own resolution (which honours
// AWS_ENDPOINT_URL_CLOUDWATCH_LOGS).
func (a *app) logsClient(ctx context.Context, mc MailboxConfig) (*cloudwatchlogs.Client, error) {
	cfg, err := a.awsConfig(ctx, mc)
	if err != nil {
		return nil, err
	}
	return cloudwatchlogs.NewFromConfig(cfg, func(o *cloudwatchlogs.Options) {
		if mc.LogsEndpoint != "" {
			o.BaseEndpoint = aws.String(mc.LogsEndpoint)
		}
		o.Logger = logging.Nop{}
	}), nil
}

// queueWatcher builds the watcher of a mailbox's queue_url, taking only
// its topic_arn's notifications when that is set. Its SQS client honours
// AWS_ENDPOINT_URL_SQS; without it, a queue_url of a server that is not
// AWS's (ElasticMQ, LocalStack, fauxqs) is asked at that server: the SDK
// sends every call to the region's AWS endpoint whatever host the queue
// URL names, so `index --watch` and the TUI asked
// sqs.us-east-1.amazonaws.com for a local queue, retrying "no such host"
// for a name the config never held (TestQueueURLOfAnotherServerIsAsked).
func (a *app) queueWatcher(ctx context.Context, mc MailboxConfig, loc mailstore.Location) (*notify.Watcher, error) {
	cfg, err := a.awsConfig(ctx, mc)
	if err != nil {
		return nil, err
	}
	endpoint, from := "", ""
	if env := firstEnvName("AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL"); env != "" {
		from = env
	} else if endpoint = queueEndpoint(mc.QueueURL); endpoint != "" {
		from = "queue_url in " + a.mailboxTable() + " (or AWS_ENDPOINT_URL_SQS)"
	}
	client := sqs.NewFromConfig(cfg, func(o *sqs.Options) {
		o.Logger = logging.Nop{}
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
	w := notify.NewWatcher(client, mc.QueueURL, loc).WithProfile(awsProfile(mc)).WithOrigins(from, mc.origins.RegionFrom())
	w.TopicARN = mc.TopicARN
	return w, nil
}

// queueEndpoint is the endpoint of the server a queue URL names
// (scheme://host:port) when that server is not AWS's own, "" for AWS's
// (sqs.REGION.amazonaws.com, its .cn and dual-stack api.aws forms, the
// legacy queue.amazonaws.com), whose endpoint the SDK resolves from the
// region, and for a URL that names no server.
func queueEndpoint(queueURL string) string {
	u, err := url.Parse(queueURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	h := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	for _, aws := range []string{"amazonaws.com", "amazonaws.com.cn", "api.aws"} {
		if h == aws || strings.HasSuffix(h, "."+aws) {
			return ""
		}
	}
	return u.Scheme + "://" + u.Host
}

// store is the S3 store of a mailbox, reading with the retry policy.
func (a *app) store(client *s3.Client, mc MailboxConfig) *s3store.Store {
	return s3store.New(client, mailstore.Location{Bucket: mc.Bucket, Prefix: mc.Prefix}).WithRetry(retryPolicy()).WithOrigins(mc.origins)
}

// s3Client builds the S3 client for a mailbox, and names its index
// (indexName).
func (a *app) s3Client(ctx context.Context, mc MailboxConfig) (*s3.Client, string, error) {
	client, _, err := a.clients(ctx, mc)
	// The endpoint goes into manifests and the action log: never a
	// password it holds.
	return client, mailstore.RedactURL(a.indexName(mc)), err
}

// clients builds a mailbox's S3 client (see s3Client) and, for a real
// mailbox, a KMS client from the same configuration, for mail the receipt
// rule stored with a KMS key. The store sends Decrypt to the region of the
// key each message names; the SDK honours AWS_ENDPOINT_URL_KMS. The demo
// mailbox has no encrypted mail and no KMS client.
func (a *app) clients(ctx context.Context, mc MailboxConfig) (*s3.Client, *kms.Client, error) {
	if a.flags.demo {
		if a.demo == nil {
			srv, err := demo.Start()
			if err != nil {
				return nil, nil, fmt.Errorf("start demo mailbox: %w", err)
			}
			a.demo = srv
		}
		cfg := a.withDebug(aws.Config{
			Region:      "us-east-1",
			Credentials: credentials.NewStaticCredentialsProvider("demo", "demo", ""),
		})
		return s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.BaseEndpoint = aws.String(a.demo.URL())
			o.UsePathStyle = true
			quiet(o)
		}), nil, nil
	}
	cfg, err := a.awsConfig(ctx, mc)
	if err != nil {
		return nil, nil, err
	}
	// The SDK reads AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL itself; a
	// custom endpoint almost always wants path-style addressing.
	endpoint := mc.Endpoint
	envEndpoint := firstEnv("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		if endpoint != "" || envEndpoint != "" {
			o.UsePathStyle = true
		}
		quiet(o)
	})
	kmsClient := kms.NewFromConfig(cfg, func(o *kms.Options) { o.Logger = logging.Nop{} })
	return client, kmsClient, nil
}

// checkEndpoint accepts what the SDK takes as a custom endpoint: an http or
// https URL with a host. Its own error ("endpoint rule error, Custom
// endpoint `x` was not a valid URI") comes only at the first request.
func checkEndpoint(v string) error {
	if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("want an http:// or https:// URL with a host, such as http://127.0.0.1:7070")
	}
	return nil
}

// firstEnvName is the name of the first of names set to a value, "" when
// none is.
func firstEnvName(names ...string) string {
	for _, n := range names {
		if os.Getenv(n) != "" {
			return n
		}
	}
	return ""
}

// firstEnv is the value of the first of names set to one, "" when none is.
func firstEnv(names ...string) string {
	if n := firstEnvName(names...); n != "" {
		return os.Getenv(n)
	}
	return ""
}

// quiet keeps the SDK from writing to stderr, which the TUI owns (ranged
// reads have no checksum to validate, and the SDK would say so each time).
func quiet(o *s3.Options) {
	o.Logger = logging.Nop{}
	o.DisableLogOutputChecksumValidationSkipped = true
}

// readTimeout is how long a connection to AWS may stay silent while an
// answer is awaited or read. A minute: S3 sends a GET's first bytes within
// a second or two, and the longest wait sesbox asks for, SQS's long poll,
// is 20 s. Tests shorten it.
var readTimeout = time.Minute

// awsConfig loads the standard AWS configuration chain for a mailbox's
// region and profile, once per run: each load reads the shared config
// files and parses the certificates of AWS_CA_BUNDLE (8-10 ms with a
// system-sized bundle), and the TUI builds five clients per mailbox
// before its first screen. Credentials stay inside the SDK.
func (a *app) awsConfig(ctx context.Context, mc MailboxConfig) (aws.Config, error) {
	key := awsConfigKey{mc.Region, mc.Profile}
	a.awsMu.Lock()
	defer a.awsMu.Unlock()
	if cfg, ok := a.awsConfigs[key]; ok {
		// Clipped: a caller appending options gets its own copy.
		cfg.APIOptions = slices.Clip(cfg.APIOptions)
		return cfg, nil
	}
	// The SDK keeps 10 idle connections per host; the index reads with
	// 32 header fetchers and 32 listings at once, so the rest would be
	// closed after each answer and dialled (TLS handshake: two more round
	// trips) again for the next.
	//
	// The read timeout ends a connection that goes silent: the SDK sets
	// none for S3, so a GET whose body stalled midway (the connection open,
	// nothing more coming) held its command forever; cut, it is read again
	// from the byte it reached, as a reset body is.
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithHTTPClient(awshttp.NewBuildableClient().
		WithTransportOptions(func(t *http.Transport) { t.MaxIdleConnsPerHost = 2 * index.DefaultWorkers }).
		WithReadTimeout(readTimeout))}
	if mc.Region != "" {
		opts = append(opts, awsconfig.WithRegion(mc.Region))
	}
	if mc.Profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(mc.Profile))
	}
	// The SDK logs to stderr, which the TUI owns, and its messages (an
	// IMDSv1 fallback) say nothing a user can act on: failures come back
	// as errors, with a hint.
	opts = append(opts, awsconfig.WithLogger(logging.Nop{}))
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		var pe awsconfig.SharedConfigProfileNotExistError
		if errors.As(err, &pe) {
			files := pe.Filename
			if len(files) == 0 {
				// The SDK names the files only when they exist.
				files = []string{cmp.Or(os.Getenv("AWS_CONFIG_FILE"), awsconfig.DefaultSharedConfigFilename()),
					cmp.Or(os.Getenv("AWS_SHARED_CREDENTIALS_FILE"), awsconfig.DefaultSharedCredentialsFilename())}
			}
			err = &mailstore.HintError{Hint: fmt.Sprintf("no AWS profile %q in %s — check --profile, the mailbox's profile and AWS_PROFILE", pe.Profile, strings.Join(files, ", ")), Err: err}
		}
		return aws.Config{}, fmt.Errorf("AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Credentials != nil {
		if aws.IsCredentialsProvider(cfg.Credentials, (*ec2rolecreds.Provider)(nil)) {
			// Nothing else was found: only an instance role can answer.
			// Off EC2 a network that takes the connection and never
			// answers held every command 5 s per lookup (a dry run
			// without credentials took 12 s to write its file:
			// TestNoCredentialsFailsFastWhereIMDSHangs); on EC2 the
			// service answers in milliseconds.
			cfg.Credentials = boundedCredentials{cfg.Credentials, imdsCredentialsTimeout}
		}
		cfg.Credentials = hintedCredentials{cfg.Credentials}
	}
	base := cfg.Retryer
	cfg.Retryer = func() aws.Retryer {
		if base != nil {
			return failFast(base())
		}
		return failFast(retry.NewStandard())
	}
	cfg = a.withDebug(cfg)
	if a.awsConfigs == nil {
		a.awsConfigs = map[awsConfigKey]aws.Config{}
	}
	a.awsConfigs[key] = cfg
	cfg.APIOptions = slices.Clip(cfg.APIOptions)
	return cfg, nil
}

// failFast is r trying a refused connection twice only
// (s3store.FailFastRefused), for every client built here: the SDK's
// retryers all implement aws.RetryerV2.
func failFast(r aws.Retryer) aws.Retryer {
	if v2, ok := r.(aws.RetryerV2); ok {
		return s3store.FailFastRefused(v2)
	}
	return r
}

// hintedCredentials is the credential chain, saying what to set when it
// finds nothing: every client built from the configuration (S3, SES,
// DynamoDB, ...) reports it the same way. Credentials themselves never
// appear in an error.
type hintedCredentials struct{ aws.CredentialsProvider }

func (h hintedCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c, err := h.CredentialsProvider.Retrieve(ctx)
	if err != nil && mailstore.Hint(err) == "" {
		err = &mailstore.HintError{Hint: "no AWS credentials found — set --profile (or the mailbox's profile, or AWS_PROFILE; run aws sso login for SSO), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", Err: err}
	}
	return c, err
}

// imdsCredentialsTimeout bounds a lookup of the instance role's
// credentials, as the AWS CLI bounds it (1 s, one attempt): enough for
// an IMDSv2 token refused by a container's hop limit (0.5 s) and the
// IMDSv1 requests after it; the SDK waits up to 5 s per lookup.
const imdsCredentialsTimeout = time.Second

// boundedCredentials gives up a lookup after timeout.
type boundedCredentials struct {
	aws.CredentialsProvider
	timeout time.Duration
}

func (b boundedCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	return b.CredentialsProvider.Retrieve(ctx)
}

// awsConfigKey is what a mailbox's AWS configuration is loaded from.
type awsConfigKey struct{ region, profile string }

// demoNoSES is why the demo mailbox sent nothing: see demoWithoutSES.
const demoNoSES = "the demo mailbox has no SES: give --ses-endpoint URL (a local SES such as aws-ses-v2-local)"

// demoWithoutSES: the demo mailbox sends, and reads an SES account, only
// through a local SES that --ses-endpoint names; never through the SES the
// environment's credentials reach. Replies stay drafts, forwards dry runs.
func (a *app) demoWithoutSES(mc MailboxConfig) bool { return a.flags.demo && mc.SESEndpoint == "" }

// sender builds the SES sender for a mailbox: --ses-endpoint or the
// mailbox's ses_endpoint, else the SDK's own resolution (which honours
// AWS_ENDPOINT_URL_SESV2). The SDK's own retries are off: after a lost
// answer it would send the same message again, the one thing sesbox must
// never do on its own. Forwarding retries throttling itself and reports a
// send whose answer was lost as uncertain; a failed reply keeps its draft.
func (a *app) sender(ctx context.Context, mc MailboxConfig) (*sessend.Sender, error) {
	client, err := a.sesClient(ctx, mc, func(o *sesv2.Options) { o.RetryMaxAttempts = 1 })
	if err != nil {
		return nil, err
	}
	return sessend.New(client, mc.ConfigurationSet).WithProfile(awsProfile(mc)), nil
}

// sesClient builds the SESv2 client for a mailbox: its ses_endpoint when
// set, no SDK logging, then opts.
func (a *app) sesClient(ctx context.Context, mc MailboxConfig, opts ...func(*sesv2.Options)) (*sesv2.Client, error) {
	cfg, err := a.awsConfig(ctx, mc)
	if err != nil {
		return nil, err
	}
	return sesv2.NewFromConfig(cfg, append([]func(*sesv2.Options){func(o *sesv2.Options) {
		if mc.SESEndpoint != "" {
			o.BaseEndpoint = aws.String(mc.SESEndpoint)
		}
		o.Logger = logging.Nop{}
	}}, opts...)...), nil
}
