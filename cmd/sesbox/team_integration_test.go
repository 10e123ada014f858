//go:build integration

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/demo"
	"github.com/sesbox/sesbox/mailstore/forward"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/mailstore/team"
	"github.com/sesbox/sesbox/mailstore/testutil/dynfault"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
	"github.com/sesbox/sesbox/mailstore/testutil/sesfault"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// buildSesbox builds the real binary, once for the package's tests (it
// is left in the system's temp dir, which the test binary does not own).
func buildSesbox(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sesbox-team-test-")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "sesbox")
		if out, err := exec.Command("go", "build", "-o", builtBin, ".").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// operator is one machine: its own XDG dirs and config file.
type operator struct {
	name string
	env  []string
}

func newOperator(t *testing.T, name, config string) operator {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	env := []string{
		"HOME=" + dir, "PATH=" + os.Getenv("PATH"),
		"XDG_CACHE_HOME=" + filepath.Join(dir, "cache"), "XDG_CONFIG_HOME=" + filepath.Join(dir, "config"),
		"XDG_STATE_HOME=" + filepath.Join(dir, "state"), "XDG_DATA_HOME=" + filepath.Join(dir, "data"),
		"AWS_ACCESS_KEY_ID=" + peer.AccessKey, "AWS_SECRET_ACCESS_KEY=" + peer.SecretKey, "AWS_REGION=us-east-1",
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "none"),
		"AWS_EC2_METADATA_DISABLED=true",
	}
	if err := os.MkdirAll(filepath.Join(dir, "config", "sesbox"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config", "sesbox", "config.toml"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	return operator{name: name, env: env}
}

func (o operator) command(bin string, extraEnv []string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(slices.Clone(o.env), extraEnv...)
	return cmd
}

func (o operator) run(t *testing.T, bin string, extraEnv []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := o.command(bin, extraEnv, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// teamForwarder writes the team tests' forwarder config (every recipient
// forwarded to desk@team.example) into dir: its path and what it parses to.
func teamForwarder(t *testing.T, dir string) (string, forward.Config) {
	t.Helper()
	const cfgJSON = `{"fromEmail": "forwarder@acme-demo.example", "forwardMapping": {"@": ["desk@team.example"]}}`
	path := filepath.Join(dir, "forwarder.json")
	if err := os.WriteFile(path, []byte(cfgJSON), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := forward.ParseConfig([]byte(cfgJSON))
	if err != nil {
		t.Fatal(err)
	}
	return path, cfg
}

// teamBucket puts 30 forwardable demo messages into a versitygw bucket.
func teamBucket(t *testing.T, cfg forward.Config) (*peer.S3, []string, map[string][]byte) {
	t.Helper()
	srv := peer.StartS3(t, false)
	c := srv.Client()
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("mail")}); err != nil {
		t.Fatal(err)
	}
	msgs := map[string][]byte{}
	var keys []string
	all := demo.Messages()
	var sorted []string
	for k := range all {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		raw := all[k]
		s := mime.Summarize(raw)
		if s.Kind != mailstore.KindMail || s.Verdicts.Failed() || len(s.Recipients) == 0 {
			continue
		}
		if out, _ := expectedForward(t, cfg, raw); out == nil {
			continue
		}
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("mail"), Key: aws.String(k), Body: bytes.NewReader(raw)}); err != nil {
			t.Fatal(err)
		}
		msgs[k] = raw
		keys = append(keys, k)
		if len(keys) == 30 {
			break
		}
	}
	if len(keys) != 30 {
		t.Fatalf("only %d forwardable demo messages", len(keys))
	}
	return srv, keys, msgs
}

func teamConfig(s3URL, sesURL, fwdPath, table string) string {
	return fmt.Sprintf(`default = "team"
[mailbox.team]
bucket = "mail"
prefix = %q
endpoint = %q
ses_endpoint = %q
forward_config = %q
team_table = %q
`, demo.Prefix, s3URL, sesURL, fwdPath, table)
}

// TestTeamForwardTwoOperators is the scenario with the real
// binary: two operators (separate XDG dirs) run `sesbox forward --yes` on
// the same 30 messages at once; one is killed with SIGKILL while SES holds
// the answer to one of its sends, then run again. Exactly 30 sends reach
// SES, one per message, and the one in flight is reported uncertain by the
// rerun and by `team status`. Then read state set by one is seen by the
// other, and the action log both wrote verifies until an item is edited.
func TestTeamForwardTwoOperators(t *testing.T) {
	bin := buildSesbox(t)
	dir := t.TempDir()
	fwdPath, cfg := teamForwarder(t, dir)
	s3srv, keys, msgs := teamBucket(t, cfg)
	ses := peer.StartSES(t)
	db := peer.StartDynamoDB(t)
	const held = 4
	proxyA := sesfault.Start(t, ses.URL, func(n int) sesfault.Fault {
		if n == held {
			return sesfault.Hold
		}
		return sesfault.Pass
	})
	proxyB := sesfault.Start(t, ses.URL, func(int) sesfault.Fault { return sesfault.Slow })
	const table = "sesbox-team"
	opA := newOperator(t, "alice", teamConfig(s3srv.URL, proxyA.URL, fwdPath, table))
	opB := newOperator(t, "bob", teamConfig(s3srv.URL, proxyB.URL, fwdPath, table))
	dyn := []string{"--dynamodb-endpoint", db.URL}

	// Nothing creates the table but team init.
	_, stderr, code := opA.run(t, bin, nil, append(dyn, "team", "status")...)
	if code != 1 || !strings.Contains(stderr, "sesbox team init --table "+table) {
		t.Fatalf("status before init: exit %d: %s", code, stderr)
	}
	policy, stderr, code := opA.run(t, bin, nil, append(dyn, "team", "init")...)
	if code != 0 || !strings.Contains(policy, `"Resource": "arn:aws:dynamodb:us-east-1:`) || !strings.Contains(policy, ":table/"+table+`"`) ||
		!json.Valid([]byte(policy)) {
		t.Fatalf("team init: exit %d: %s\n%s", code, policy, stderr)
	}
	// The second operator runs the documented setup too: told the table
	// is fit, with the same policy (it exited 1, "already exists").
	if policyB, stderr, code := opB.run(t, bin, nil, append(dyn, "team", "init")...); code != 0 || policyB != policy ||
		!strings.Contains(stderr, "sesbox: team table "+table+" exists and is fit (keys pk, sk (strings); no TTL; schema 1, set up by ") {
		t.Fatalf("second init: exit %d: %s", code, stderr)
	}
	// A table sesbox cannot use says why first, and is left as it is.
	if _, err := db.Client().CreateTable(context.Background(), &dynamodb.CreateTableInput{TableName: aws.String("not-sesbox"),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}}}); err != nil {
		t.Fatal(err)
	}
	if out, stderr, code := opB.run(t, bin, nil, append(dyn, "team", "init", "--table", "not-sesbox")...); code != 1 || out != "" ||
		!strings.HasPrefix(stderr, "sesbox: give another table's name (--table or team_table): team table not-sesbox exists with keys HASH id (S)") {
		t.Fatalf("init of a table of another schema: exit %d: %q", code, stderr)
	}

	keysFile := filepath.Join(dir, "keys.txt")
	os.WriteFile(keysFile, []byte(strings.Join(keys, "\n")+"\n"), 0o600)
	fwd := append(slices.Clone(dyn), "forward", "--yes", "--keys-from", keysFile)

	a := opA.command(bin, nil, fwd...)
	b := opB.command(bin, nil, fwd...)
	var aOut, aErr, bOut, bErr bytes.Buffer
	a.Stdout, a.Stderr, b.Stdout, b.Stderr = &aOut, &aErr, &bOut, &bErr
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	// Bob starts once Alice has sent: a run that meets another's live
	// claim waits for its outcome, so a Bob who claimed first kept
	// Alice one message behind him to the end, and she never reached
	// her held send.
	for deadline := time.Now().Add(60 * time.Second); len(proxyA.Emails()) == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			a.Process.Kill()
			a.Wait()
			t.Fatalf("alice sent nothing:\n%s\n%s", aOut.String(), aErr.String())
		}
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-proxyA.Held:
	case <-time.After(60 * time.Second):
		a.Process.Kill()
		b.Process.Kill()
		a.Wait()
		b.Wait()
		t.Fatalf("alice never reached her send %d:\n%s\n%s", held, aOut.String(), aErr.String())
	}
	if err := a.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	a.Wait()
	if err := b.Wait(); err != nil {
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
			t.Fatalf("bob: %v\n%s", err, bErr.String())
		}
	}
	emailsA := proxyA.Emails()
	inFlight := keyOfForward(t, cfg, msgs, emailsA[len(emailsA)-1].Raw)
	t.Logf("alice sent %d before the kill (in flight: %s), bob sent %d", len(emailsA), inFlight, len(proxyB.Emails()))

	// Alice again, on her own machine: her dead claim is known at once.
	out, stderr, code := opA.run(t, bin, nil, fwd...)
	rows := forwardRows(t, out)
	if code != 2 || len(rows) != 30 {
		t.Fatalf("rerun: exit %d, %d rows: %s\n%s", code, len(rows), out, stderr)
	}
	for _, r := range rows {
		switch {
		case r["key"] == inFlight:
			if r["status"] != "uncertain" || !strings.Contains(r["reason"].(string), "--retry-uncertain") {
				t.Errorf("the killed send: %v", r)
			}
		case r["status"] != "skipped" || r["sesMessageId"] == nil:
			t.Errorf("rerun sent or failed: %v", r)
		}
	}
	// Bob's view of the same: uncertain from his machine too.
	out, _, _ = opB.run(t, bin, nil, append(slices.Clone(dyn), "forward", "--yes", inFlight)...)
	if rows := forwardRows(t, out); len(rows) != 1 || rows[0]["status"] != "uncertain" {
		t.Errorf("bob on the killed send: %s", out)
	}

	count := map[string]int{}
	for _, em := range append(proxyA.Emails(), proxyB.Emails()...) {
		count[keyOfForward(t, cfg, msgs, em.Raw)]++
	}
	total := len(proxyA.Emails()) + len(proxyB.Emails())
	if total != 30 {
		t.Errorf("%d sends reached SES, want 30", total)
	}
	for _, k := range keys {
		if count[k] != 1 {
			t.Errorf("%s reached SES %d times", k, count[k])
		}
	}

	// team status, reached through AWS_ENDPOINT_URL_DYNAMODB this time.
	out, stderr, code = opB.run(t, bin, []string{"AWS_ENDPOINT_URL_DYNAMODB=" + db.URL}, "team", "status", "--json")
	var st struct {
		Counts map[string]int
		Claims []struct{ Key, State, Owner string }
	}
	if err := json.Unmarshal([]byte(out), &st); code != 0 || err != nil {
		t.Fatalf("status: exit %d %v: %s", code, err, stderr)
	}
	if st.Counts["claim"] != 30 || len(st.Claims) != 1 || st.Claims[0].Key != inFlight || st.Claims[0].State != "uncertain" {
		t.Errorf("status: %+v", st)
	}
	text, _, _ := opB.run(t, bin, nil, append(dyn, "team", "status")...)
	if !strings.Contains(text, "30 claim") || !strings.Contains(text, "uncertain") {
		t.Errorf("status text:\n%s", text)
	}

	// Read state: alice marks two messages read, bob sees them at his
	// next refresh; bob marks one unread again, alice sees that.
	readOf := func(op operator) map[string]bool {
		t.Helper()
		out, stderr, code := op.run(t, bin, nil, append(dyn, "ls", "--json")...)
		if code != 0 {
			t.Fatalf("%s ls: %s", op.name, stderr)
		}
		m := map[string]bool{}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var r struct {
				Key  string
				Read bool
			}
			json.Unmarshal([]byte(line), &r)
			m[r.Key] = r.Read
		}
		return m
	}
	if r := readOf(opB); r[keys[0]] || r[keys[1]] {
		t.Fatal("read before anyone read it")
	}
	if _, stderr, code := opA.run(t, bin, nil, append(dyn, "mark", keys[0], mailstore.SESMessageID(keys[1]))...); code != 0 {
		t.Fatalf("mark: %s", stderr)
	}
	if r := readOf(opB); !r[keys[0]] || !r[keys[1]] || r[keys[2]] {
		t.Errorf("bob does not see alice's read state: %v %v %v", r[keys[0]], r[keys[1]], r[keys[2]])
	}
	if _, stderr, code := opB.run(t, bin, nil, append(dyn, "mark", "--unread", keys[1])...); code != 0 {
		t.Fatalf("mark --unread: %s", stderr)
	}
	if r := readOf(opA); !r[keys[0]] || r[keys[1]] {
		t.Errorf("alice does not see bob's unread: %v %v", r[keys[0]], r[keys[1]])
	}

	// The action log: both wrote to it; it verifies from either machine
	// (and from a third with no local log at all), and --json merges.
	carol := newOperator(t, "carol", teamConfig(s3srv.URL, proxyB.URL, fwdPath, table))
	out, stderr, code = carol.run(t, bin, nil, append(dyn, "audit", "log", "--verify")...)
	// Alice's killed send never got its entry (the process died before
	// SES answered); the other 29 sends are there.
	if code != 0 || !strings.Contains(out, "shared log (team table "+table+") intact: 29 entries") {
		t.Fatalf("verify: exit %d\n%s\n%s", code, out, stderr)
	}
	out, _, _ = opB.run(t, bin, nil, append(dyn, "audit", "log", "--json")...)
	var local, shared, both int
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var m struct {
			Logs []string
			Host string
		}
		json.Unmarshal([]byte(line), &m)
		switch {
		case slices.Equal(m.Logs, []string{"local", "shared"}):
			both++
		case slices.Equal(m.Logs, []string{"shared"}):
			shared++
		default:
			local++
		}
	}
	if both != len(proxyB.Emails()) || shared != 29-both || local != 0 {
		t.Errorf("bob's merged log: %d in both, %d shared only, %d local only (bob sent %d)", both, shared, local, len(proxyB.Emails()))
	}

	// Tamper with one entry in the table: --verify names it, on any machine.
	client := db.Client()
	item, err := client.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(table),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "log"}, "sk": &types.AttributeValueMemberS{Value: "00000000000000000011"}}})
	if err != nil || item.Item == nil {
		t.Fatalf("read entry 11: %v", err)
	}
	entry := item.Item["entry"].(*types.AttributeValueMemberS).Value
	item.Item["entry"] = &types.AttributeValueMemberS{Value: strings.Replace(entry, "desk@team.example", "attacker@evil.example", 1)}
	if _, err := client.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: item.Item}); err != nil {
		t.Fatal(err)
	}
	out, _, code = carol.run(t, bin, nil, append(dyn, "audit", "log", "--verify")...)
	if code != 1 || !strings.Contains(out, "item log/00000000000000000011: edited") {
		t.Errorf("verify after tampering: exit %d\n%s", code, out)
	}
}

// TestTeamTableUnreachableStopsTheRun: the table stops answering in the
// middle of a run; the run stops with a clear message, and nothing is
// sent after.
func TestTeamTableUnreachableStopsTheRun(t *testing.T) {
	bin := buildSesbox(t)
	dir := t.TempDir()
	fwdPath, cfg := teamForwarder(t, dir)
	s3srv, keys, _ := teamBucket(t, cfg)
	ses := peer.StartSES(t)
	db := peer.StartDynamoDB(t)
	if _, err := team.Init(context.Background(), db.Client(), "sesbox-team"); err != nil {
		t.Fatal(err)
	}
	var cut atomic.Bool
	sesProxy := sesfault.Start(t, ses.URL, func(n int) sesfault.Fault {
		if n == 5 {
			cut.Store(true) // the table goes away while SES takes the fifth message
		}
		return sesfault.Pass
	})
	dynProxy := dynfault.Start(t, db.URL, func(int, string) dynfault.Fault {
		if cut.Load() {
			return dynfault.Refuse
		}
		return dynfault.Pass
	})
	op := newOperator(t, "alice", teamConfig(s3srv.URL, sesProxy.URL, fwdPath, "sesbox-team"))
	keysFile := filepath.Join(dir, "keys.txt")
	os.WriteFile(keysFile, []byte(strings.Join(keys[:12], "\n")+"\n"), 0o600)
	// Fewer retries than the default 8, through the SDK's own setting, to
	// keep the test short.
	out, stderr, code := op.run(t, bin, []string{"AWS_MAX_ATTEMPTS=3"}, "--dynamodb-endpoint", dynProxy.URL, "forward", "--yes", "--keys-from", keysFile)
	rows := forwardRows(t, out)
	if code != 1 || !strings.Contains(stderr, "team table sesbox-team") || !strings.Contains(stderr, "nothing more is sent") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if n := len(sesProxy.Emails()); n != 5 {
		t.Errorf("%d sends reached SES; the table went away during the fifth", n)
	}
	if len(rows) != 12 {
		t.Fatalf("%d rows", len(rows))
	}
	for i, r := range rows[5:] {
		if r["status"] != "failed" || !strings.Contains(r["reason"].(string), "not attempted") {
			t.Errorf("row %d after the table went away: %v", i+6, r)
		}
	}
	t.Logf("fifth message: %v; stderr: %s", rows[4], stderr)
}

// keyOfForward finds the message whose rewrite SES received.
func keyOfForward(t *testing.T, cfg forward.Config, msgs map[string][]byte, raw []byte) string {
	t.Helper()
	for k, m := range msgs {
		if out, _ := expectedForward(t, cfg, m); bytes.Equal(out, raw) {
			return k
		}
	}
	t.Fatalf("SES received bytes that are no message's rewrite: %.200q", raw)
	return ""
}

// TestTeamDebugLeaksNoSecret runs the team commands (and mark, which
// writes the shared read state) with --debug against dynalite: each
// request is logged, and neither the secret key nor the session token
// appears in any output or in any file sesbox wrote.
func TestTeamDebugLeaksNoSecret(t *testing.T) {
	bin := buildSesbox(t)
	dir := t.TempDir()
	fwdPath, cfg := teamForwarder(t, dir)
	s3srv, keys, _ := teamBucket(t, cfg)
	ses := peer.StartSES(t)
	db := peer.StartDynamoDB(t)
	op := newOperator(t, "alice", teamConfig(s3srv.URL, ses.URL, fwdPath, "sesbox-team"))
	const token = "SESSIONTOKENMARKERteam0123456789"
	secrets := []string{peer.SecretKey, token}
	dyn := []string{"--dynamodb-endpoint", db.URL, "--debug"}
	var outputs []string
	for _, args := range [][]string{
		{"team", "status"},
		{"team", "init"},
		{"team", "status"},
		{"team", "status", "--json"},
		{"team", "resolve"},
		{"mark", keys[0]},
		{"mark", "--unread", keys[0]},
	} {
		// A session token for the team commands, which only DynamoDB
		// (dynalite takes any credentials) sees; versitygw refuses one.
		var env []string
		if args[0] == "team" {
			env = []string{"AWS_SESSION_TOKEN=" + token}
		}
		out, stderr, code := op.run(t, bin, env, append(slices.Clone(dyn), args...)...)
		outputs = append(outputs, out, stderr)
		if !strings.Contains(stderr, " DynamoDB ") || !strings.Contains(stderr, "sesbox debug: ") {
			t.Errorf("%v (exit %d): no DynamoDB request logged:\n%s", args, code, stderr)
		}
		if env != nil && !strings.Contains(stderr, "X-Amz-Security-Token: [redacted]") {
			t.Errorf("%v: the session token header is not shown redacted:\n%s", args, stderr)
		}
	}
	home := strings.TrimPrefix(op.env[0], "HOME=") // the operator's XDG dirs are under it
	files := 0
	filepath.WalkDir(home, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		outputs = append(outputs, string(b))
		return nil
	})
	if files == 0 {
		t.Error("no file written: the walk proves nothing")
	}
	for i, o := range outputs {
		for _, s := range secrets {
			if strings.Contains(o, s) {
				t.Errorf("output %d shows a credential:\n%s", i, o)
			}
		}
	}
}
