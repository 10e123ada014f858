package main

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/xdg"
	"github.com/sesbox/sesbox/tui/keys"

	"github.com/BurntSushi/toml"
)

// Config is $XDG_CONFIG_HOME/sesbox/config.toml. Credentials are never in
// it: they come from the standard AWS chain.
type Config struct {
	// Default names the mailbox used when --mailbox is not given.
	Default   string                   `toml:"default"`
	Mailboxes map[string]MailboxConfig `toml:"mailbox"`
	// Keys rebinds TUI actions: action name -> keys.
	Keys map[string][]string `toml:"keys"`
	// Mouse turns on mouse support in the TUI.
	Mouse bool `toml:"mouse"`
	// Refresh is how often the TUI lists each bucket again for new mail
	// ("2m" when unset; "0" or "off" turns it off).
	Refresh string `toml:"refresh"`

	// path is where the config was looked for ("" without a home
	// directory); found is whether a file was there. Errors about
	// mailboxes name both: the user's next step depends on them. data
	// is the file's text, for the line of a key an error names.
	path  string
	found bool
	data  []byte
}

// configError is the one shape of an error in a key of the config file
// at path (its text data), hint first: "fix KEY at line N of PATH —
// FIX", the key dotted as TOML writes it ("mailbox.work.endpoint", or a
// table, "mailbox.work"), "in PATH" where no line defines it plainly;
// err says what is wrong, after.
func configError(path string, data []byte, key, fix string, err error) error {
	return configErrorAt(path, data, key, key, fix, err)
}

// configErrorAt is configError for a key found at the line of another,
// at: an unknown table's key ([mailboxes.a] bucket) is at the line of
// what it is in.
func configErrorAt(path string, data []byte, key, at, fix string, err error) error {
	return &mailstore.HintError{Hint: fmt.Sprintf("fix %s %s — %s", key, keyAt(data, at, path), fix), Err: err}
}

// refreshEvery parses Refresh: 0 for the default, negative for off.
func (c Config) refreshEvery() (time.Duration, error) {
	switch strings.TrimSpace(c.Refresh) {
	case "":
		return 0, nil
	case "0", "off", "false", "never":
		return -1, nil
	}
	d, err := time.ParseDuration(c.Refresh)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("refresh = %q: want a duration such as \"2m\", or \"off\"", c.Refresh)
	}
	if d < 10*time.Second {
		// Each refresh lists the whole bucket: more often costs requests
		// without showing mail sooner in any way a person notices.
		d = 10 * time.Second
	}
	return d, nil
}

// MailboxConfig is one [mailbox.NAME] table.
type MailboxConfig struct {
	Bucket      string `toml:"bucket"`
	Prefix      string `toml:"prefix"`
	Region      string `toml:"region"`
	Profile     string `toml:"profile"`
	Endpoint    string `toml:"endpoint"`
	SESEndpoint string `toml:"ses_endpoint"`
	// From is the identity replies are sent from.
	From string `toml:"from"`
	// ConfigurationSet is named on every SES send.
	ConfigurationSet string `toml:"configuration_set"`
	// ForwardConfig is the forwarding Lambda's JSON config file.
	ForwardConfig string `toml:"forward_config"`
	// IdentityDomains are the SES-verified domains replies may be sent
	// from: without from, a reply is sent from the address the message was
	// delivered to when it is in one of them.
	IdentityDomains []string `toml:"identity_domains"`
	// SentPrefix, when set, keeps a copy of every reply in the bucket under
	// this prefix (never under the inbound prefix). Off by default; it is
	// the only write sesbox ever makes to a bucket.
	SentPrefix string `toml:"sent_prefix"`
	// TeamTable names the DynamoDB table (same region and profile as the
	// mailbox) shared with other operators: forward claims, read state and
	// the action log. Empty: everything stays on this machine.
	TeamTable string `toml:"team_table"`
	// DynamoDBEndpoint is the DynamoDB endpoint of the team table, as
	// --dynamodb-endpoint (which wins over it) gives it: a local
	// DynamoDB. Empty: the SDK's own (AWS_ENDPOINT_URL_DYNAMODB, ...).
	DynamoDBEndpoint string `toml:"dynamodb_endpoint"`
	// ForwarderLogs names the forwarding Lambda's CloudWatch log group
	// ("/aws/lambda/NAME", same region and profile as the mailbox): each
	// index refresh reads it and marks every message forwarded, failed,
	// skipped, none or unknown.
	ForwarderLogs string `toml:"forwarder_logs"`
	// LogsEndpoint is the CloudWatch Logs endpoint of forwarder_logs, as
	// --logs-endpoint (which wins over it) gives it. Empty: the SDK's own
	// (AWS_ENDPOINT_URL_CLOUDWATCH_LOGS, ...).
	LogsEndpoint string `toml:"logs_endpoint"`
	// Inventory names the mailbox bucket's S3 Inventory configuration
	// ("s3://dest-bucket/dest-prefix/source-bucket/config-id/"): index
	// refreshes read its newest report instead of listing the bucket.
	Inventory string `toml:"inventory"`
	// QueueURL is the SQS queue subscribed to the receipt rule's SNS
	// topic: index --watch (and the TUI) take new mail from it.
	QueueURL string `toml:"queue_url"`
	// TopicARN, when set, is the SNS topic the receipt rule publishes to:
	// the queue's notifications of other topics, and bodies without SNS's
	// envelope, are left for their consumer (docs/scale.md).
	TopicARN string `toml:"topic_arn"`

	// origins says where the S3 settings came from (a flag, this file,
	// the environment), for hints; set by mailboxConfigs.
	origins mailstore.Origins
	// HeaderRate bounds the header reads per second after an inventory
	// (0: as fast as the workers go), so a background fill of millions of
	// rows stays polite to the bucket.
	HeaderRate float64 `toml:"header_rate"`
	// SendRate bounds the recipients per second a forward run sends to,
	// below the account's MaxSendRate (0: the account's), so operators
	// sharing one SES account can split its rate.
	SendRate float64 `toml:"send_rate"`
}

// defaultConfigPath is $XDG_CONFIG_HOME/sesbox/config.toml.
func defaultConfigPath() string {
	p, err := xdg.Config("config.toml")
	if err != nil {
		return "" // no home directory: flags must name the mailbox
	}
	return p
}

// trustedConfig refuses the default config file when another user could
// have written it (xdg.CheckTrustedFile): it names the endpoints replies
// and forwards are sent to. A file given with --config is the user's
// choice, as OpenSSH checks ~/.ssh/config and not ssh -F FILE.
func trustedConfig(path string) error {
	err := xdg.CheckTrustedFile(path)
	var pe *fs.PathError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, xdg.ErrWritableByAll):
		return &mailstore.HintError{
			Hint: fmt.Sprintf("chmod o-w %s, or move it to a file only you can write: any user could have written where sesbox sends mail", path),
			Err:  fmt.Errorf("config %s: %w", path, err)}
	case errors.Is(err, xdg.ErrOtherUser) && errors.As(err, &pe):
		return &mailstore.HintError{
			Hint: fmt.Sprintf("set XDG_CONFIG_HOME to a directory of yours, or give --config FILE: %s belongs to another user, who could have written where sesbox sends mail", pe.Path),
			Err:  fmt.Errorf("config %s: %w", path, err)}
	}
	return fmt.Errorf("config %s: %w", path, err)
}

// loadConfig reads path. A missing file is an empty config unless the path
// was given explicitly.
func loadConfig(path string, explicit bool) (Config, error) {
	c := Config{path: path}
	if path == "" {
		return c, nil
	}
	if !explicit {
		if err := trustedConfig(path); err != nil {
			return Config{}, err
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if !explicit {
				return Config{path: path}, nil
			}
			return Config{}, &mailstore.HintError{
				Hint: fmt.Sprintf("no config file at %s — check --config (without it: %s)", path, defaultConfigPath()),
				Err:  fmt.Errorf("config %s: %w", path, err)}
		}
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	md, err := toml.Decode(string(data), &c)
	var pe toml.ParseError
	if errors.As(err, &pe) {
		// Where to fix it first; the parser's words after.
		return Config{}, &mailstore.HintError{
			Hint: fmt.Sprintf("fix the TOML syntax at line %d, column %d of %s", pe.Position.Line, pe.Position.Col, path),
			Err:  err}
	}
	if h := typeHint(path, err); h != "" {
		return Config{}, &mailstore.HintError{Hint: h, Err: err}
	}
	if err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	c.found, c.data = true, data
	if und := md.Undecoded(); len(und) > 0 {
		return Config{}, unknownKey(path, data, und[0])
	}
	// [keys] is a map, so the decoder takes any name: the actions, and
	// the keys each is bound to, are checked here, for every command, as
	// the other keys are (a key name the TUI cannot take was found only
	// when the TUI started, worded otherwise).
	actions := keys.Actions()
	for _, name := range slices.Sorted(maps.Keys(c.Keys)) {
		if !slices.Contains(actions, name) {
			return Config{}, unknownKey(path, data, toml.Key{"keys", name})
		}
		for _, k := range c.Keys[name] {
			if err := keys.CheckName(k); err != nil {
				return Config{}, configError(path, data, toml.Key{"keys", name}.String(),
					`bind it to key names as bubbletea names them ("j", "ctrl+d", "space")`, fmt.Errorf("%s: %w", name, err))
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.Mailboxes)) {
		if r := c.Mailboxes[name].SendRate; r < 0 || math.IsNaN(r) {
			return Config{}, configError(path, data, toml.Key{"mailbox", name, "send_rate"}.String(),
				"set it to 0 (the account's rate) or a positive number of recipients per second", fmt.Errorf("send_rate = %v", r))
		}
		if r := c.Mailboxes[name].HeaderRate; r < 0 || math.IsNaN(r) {
			return Config{}, configError(path, data, toml.Key{"mailbox", name, "header_rate"}.String(),
				"set it to 0 (as fast as the reads go) or a positive number of header reads per second", fmt.Errorf("header_rate = %v", r))
		}
	}
	if _, ok := c.Mailboxes[c.Default]; c.Default != "" && !ok {
		defined := "none"
		if n := c.names(); len(n) > 0 {
			defined = strings.Join(n, ", ")
		}
		fix := "it names a [mailbox.NAME] table: " + defined
		if len(c.names()) == 0 {
			fix = fmt.Sprintf("the file defines no mailbox: add a [mailbox.%s] table with its bucket", c.Default)
		}
		if m := mailstore.Closest(c.Default, c.names()); m != "" {
			fix = "did you mean " + m + "? (" + fix + ")"
		}
		return Config{}, configError(path, data, "default", fix,
			fmt.Errorf("default = %q: that mailbox is not defined (no [mailbox.%s] table; defined: %s)", c.Default, c.Default, defined))
	}
	if _, err := c.refreshEvery(); err != nil {
		return Config{}, configError(path, data, "refresh", `it takes a duration such as "2m", or "off"`, err)
	}
	return c, nil
}

// decodeTypeError is the TOML decoder's words for a value of another type
// than its key takes ("prefix = 5"): unlike a syntax error
// (toml.ParseError), it is a plain error, which only its text tells apart.
var decodeTypeError = regexp.MustCompile(`^toml: line (\d+) \(last key ("(?:[^"\\]|\\.)*")\): incompatible types: TOML value has type (.+); destination has type (.+)$`)

// tomlValue names, for a person, the decoder's types of a TOML value
// (Go's) and of a destination (its own words).
var tomlValue = map[string]string{
	"int64": "an integer", "float64": "a number", "string": "a string", "bool": "true or false",
	"[]any": "a list", "map[string]any": "a table", "time.Time": "a date",
	"integer": "a whole number", "float": "a number", "boolean": "true or false",
	"slice": "a list ([...])", "map": "a table ([name])",
}

// typeHint says which key of the config file at path holds a value of
// the wrong type, where, and what it takes ("fix mailbox.a.prefix at line
// 3 of FILE — it takes a string, in quotes ("..."), not an integer"),
// when err is the decoder's error for that; "" otherwise.
func typeHint(path string, err error) string {
	if err == nil {
		return ""
	}
	m := decodeTypeError.FindStringSubmatch(err.Error())
	if m == nil {
		return ""
	}
	key, qerr := strconv.Unquote(m[2])
	if qerr != nil {
		return ""
	}
	takes := cmp.Or(tomlValue[m[4]], m[4])
	if m[4] == "string" {
		takes = `a string, in quotes ("...")`
	}
	return fmt.Sprintf("fix %s at line %s of %s — it takes %s, not %s", key, m[1], path, takes, cmp.Or(tomlValue[m[3]], m[3]))
}

// unknownKey says where key is in the config file (the TOML decoder keeps
// no position for keys it did not decode: the line is found again, "" when
// it cannot be), the key it may be a typo of and which keys its table
// takes. Under an unknown top-level name ([mailboxes.a]) that name is the
// mistake, and the one named.
func unknownKey(path string, data []byte, key toml.Key) error {
	at := key.String()
	var takes []string
	about := ""
	switch top := tomlKeys(Config{}); {
	case !slices.Contains(top, key[0]):
		key, takes, about = key[:1], top, "the top level takes "
	case len(key) == 3 && key[0] == "mailbox":
		takes, about = tomlKeys(MailboxConfig{}), "a mailbox takes "
	case len(key) == 2 && key[0] == "keys":
		takes, about = keys.Actions(), "an action of the help screen: "
	}
	fix := "sesbox takes no such key"
	if c := mailstore.Closest(key[len(key)-1], takes); c != "" {
		fix += ": did you mean " + c + "?"
	}
	if len(takes) > 0 {
		fix += " (" + about + strings.Join(takes, ", ") + ")"
	}
	return configErrorAt(path, data, key.String(), at, fix, fmt.Errorf("config %s: unknown key %s", path, key))
}

// keyAt says where the key named full is in the config file at path (its
// text data): "at line 2 of PATH", or "in PATH" when no line defines it
// plainly.
func keyAt(data []byte, full, path string) string {
	if n := keyLine(string(data), full); n > 0 {
		return fmt.Sprintf("at line %d of %s", n, path)
	}
	return "in " + path
}

// keyLine is the 1-based line of the key named full ("mailbox.a.bucket")
// in a TOML document (or of the table header [full]), 0 when no line
// defines it plainly (under its [table] header, as name = value).
func keyLine(doc, full string) int {
	table := ""
	for i, line := range strings.Split(doc, "\n") {
		l := strings.TrimSpace(line)
		if strings.HasPrefix(l, "[") {
			l, _, _ = strings.Cut(l, "#")
			table = strings.TrimSpace(strings.Trim(strings.TrimSpace(l), "[]"))
			if table == full { // an unknown table
				return i + 1
			}
			continue
		}
		name, _, ok := strings.Cut(l, "=")
		if !ok {
			continue
		}
		k := strings.TrimSpace(name)
		if table != "" {
			k = table + "." + k
		}
		if k == full {
			return i + 1
		}
	}
	return 0
}

// tomlKeys are the keys a config struct takes, in field order.
func tomlKeys(v any) []string {
	var out []string
	t := reflect.TypeOf(v)
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("toml"), ","); name != "" {
			out = append(out, name)
		}
	}
	return out
}

// checkEndpoints checks a mailbox's endpoints (see checkEndpoint). The
// flags were checked as they were parsed: a bad value here is the config
// file's.
func (c Config) checkEndpoints(name string, mc MailboxConfig) error {
	for _, e := range []struct{ key, v string }{{"endpoint", mc.Endpoint}, {"ses_endpoint", mc.SESEndpoint},
		{"dynamodb_endpoint", mc.DynamoDBEndpoint}, {"logs_endpoint", mc.LogsEndpoint}} {
		if e.v == "" {
			continue
		}
		if err := checkEndpoint(e.v); err != nil {
			return configError(c.path, c.data, toml.Key{"mailbox", name, e.key}.String(), err.Error(), fmt.Errorf("%s = %q", e.key, e.v))
		}
	}
	return nil
}

// nameByFlags is how to name a mailbox without a config file.
const nameByFlags = "--bucket B [--prefix P] [--region R]"

// newMailbox says how to define mailbox name: in the config file (which
// the message has named), or by flags.
func (c Config) newMailbox(name string) string {
	verb := "add"
	if !c.found {
		verb = "create it with"
	}
	return fmt.Sprintf("%s a [mailbox.%s] table (bucket, prefix, region), give --config FILE, or name the bucket with %s", verb, name, nameByFlags)
}

// noMailbox explains why no mailbox is selected: flags named none and the
// config file (where it was looked for, and what it holds) picks none.
func (c Config) noMailbox(name string) error {
	switch {
	case !c.found && c.path == "":
		// No home directory: xdg.Config had nowhere to look.
		return fmt.Errorf("no config file (neither $XDG_CONFIG_HOME nor a home directory is set) and no --bucket: give --config FILE, or name the bucket with %s", nameByFlags)
	case !c.found && name != "":
		return fmt.Errorf("no config file at %s, so no mailbox %q: %s", c.path, name, c.newMailbox(name))
	case !c.found:
		return fmt.Errorf("no config file at %s and no --bucket: %s; `sesbox demo` needs neither", c.path, c.newMailbox("NAME"))
	case name != "" && len(c.Mailboxes) > 0:
		return fmt.Errorf("no mailbox %q in %s: it defines %s (--mailbox NAME picks one; %s names a bucket without one)", name, c.path, strings.Join(c.names(), ", "), nameByFlags)
	case name != "":
		return fmt.Errorf("no mailbox %q: %s defines none: %s", name, c.path, c.newMailbox(name))
	case len(c.Mailboxes) == 0:
		return fmt.Errorf("%s defines no mailbox and no --bucket was given: %s", c.path, c.newMailbox("NAME"))
	}
	n := c.names()
	return fmt.Errorf("%s defines several mailboxes (%s) and no default: give --mailbox %s, or set default = %q at its top", c.path, strings.Join(n, ", "), n[0], n[0])
}

// defaultName is the mailbox used when the flags name none: default, or
// the only one the file defines; ok is false when there is none (or
// several and no default).
func (c Config) defaultName() (string, bool) {
	if c.Default != "" {
		return c.Default, true // loadConfig checked that it is defined
	}
	if len(c.Mailboxes) == 1 {
		for n := range c.Mailboxes {
			return n, true
		}
	}
	return "", false
}

// connection is the part of a mailbox that says where its bucket is and
// as whom it is reached, not what is read there: the region, the
// profile and the endpoints. A --bucket given without --mailbox takes
// these from the default mailbox (docs/config.md).
func (mc MailboxConfig) connection() MailboxConfig {
	return MailboxConfig{Region: mc.Region, Profile: mc.Profile, Endpoint: mc.Endpoint, SESEndpoint: mc.SESEndpoint,
		DynamoDBEndpoint: mc.DynamoDBEndpoint, LogsEndpoint: mc.LogsEndpoint}
}

// names returns the configured mailbox names, default first, then sorted.
func (c Config) names() []string {
	var out []string
	for n := range c.Mailboxes {
		if n != c.Default {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	if _, ok := c.Mailboxes[c.Default]; ok {
		out = append([]string{c.Default}, out...)
	}
	return out
}
