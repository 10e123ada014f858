// Package peer starts the real server processes that integration tests run
// against: versitygw (S3), aws-ses-v2-local (SES v2) and dynalite
// (DynamoDB). Tests call it;
// .ci/run installs the programs. A missing program fails the test with the
// command that installs it: an integration test that did not run is not a
// passing one.
package peer

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Credentials the peers are started with; test-only values.
const (
	AccessKey = "sesboxtest"
	SecretKey = "sesboxtestsecret"
)

// S3 is a running versitygw.
type S3 struct {
	URL  string
	Root string // posix backend: every directory is a bucket
	PID  int    // the server process, whose CPU the bench reports
	// VersioningDir holds the versions that are not current (versioned
	// servers only): DIR/BUCKET/<sha256 of the key, split>/VERSION-ID.
	VersioningDir string
}

// Client returns a path-style SDK client for the server.
func (s *S3) Client() *s3.Client {
	return s3.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
	}, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(s.URL)
		o.UsePathStyle = true
	})
}

// StartS3 starts versitygw with a posix backend in a temp dir, with
// versioning support when versioned is set, and stops it when t ends.
func StartS3(t testing.TB, versioned bool) *S3 {
	t.Helper()
	bin := find(t, "versitygw", "go install github.com/versity/versitygw/cmd/versitygw@v1.8.0")
	root := t.TempDir()
	port := freePort(t)
	args := []string{"--access", AccessKey, "--secret", SecretKey, "--port", "127.0.0.1:" + port, "posix"}
	vdir := ""
	if versioned {
		vdir = t.TempDir()
		args = append(args, "--versioning-dir", vdir)
	}
	args = append(args, root)
	pid := start(t, bin, args, nil, port)
	return &S3{URL: "http://127.0.0.1:" + port, Root: root, PID: pid, VersioningDir: vdir}
}

// CreateBuckets creates each named bucket on the server and returns a
// client for it.
func (s *S3) CreateBuckets(t testing.TB, names ...string) *s3.Client {
	t.Helper()
	c := s.Client()
	for _, b := range names {
		if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatalf("create bucket %s: %v", b, err)
		}
	}
	return c
}

// CreateVersionedBuckets creates each named bucket on the server (which
// must have been started versioned) with versioning Enabled, and returns
// a client for it.
func (s *S3) CreateVersionedBuckets(t testing.TB, names ...string) *s3.Client {
	t.Helper()
	c := s.CreateBuckets(t, names...)
	for _, b := range names {
		SetVersioning(t, c, b, types.BucketVersioningStatusEnabled)
	}
	return c
}

// SetVersioning sets bucket's versioning status (Enabled, Suspended)
// through c.
func SetVersioning(t testing.TB, c *s3.Client, bucket string, status types.BucketVersioningStatus) {
	t.Helper()
	if _, err := c.PutBucketVersioning(context.Background(), &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: status}}); err != nil {
		t.Fatalf("versioning of bucket %s: %v", bucket, err)
	}
}

// SES is a running aws-ses-v2-local.
type SES struct {
	URL string
}

// StartSES starts aws-ses-v2-local with the account JSON in
// testdata/peers (found by walking up from the test's directory), so
// GetAccount answers.
func StartSES(t testing.TB) *SES {
	t.Helper()
	bin := find(t, "aws-ses-v2-local", "npm install -g aws-ses-v2-local@2.10.2")
	port := freePort(t)
	acct, err := findUp("testdata/peers/ses-account.json")
	if err != nil {
		t.Fatalf("SES account JSON: %v", err)
	}
	b, err := os.ReadFile(acct)
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"AWS_SES_ACCOUNT=" + string(b)}
	start(t, bin, []string{"--port", port, "--host", "127.0.0.1"}, env, port)
	return &SES{URL: "http://127.0.0.1:" + port}
}

// StartSESWithAccount starts aws-ses-v2-local answering GetAccount with
// accountJSON (the shape of testdata/peers/ses-account.json), for tests
// that need a particular send quota.
func StartSESWithAccount(t testing.TB, accountJSON string) *SES {
	t.Helper()
	bin := find(t, "aws-ses-v2-local", "npm install -g aws-ses-v2-local@2.10.2")
	port := freePort(t)
	start(t, bin, []string{"--port", port, "--host", "127.0.0.1"}, []string{"AWS_SES_ACCOUNT=" + accountJSON}, port)
	return &SES{URL: "http://127.0.0.1:" + port}
}

// DynamoDB is a running dynalite (in memory; conditional writes enforced).
type DynamoDB struct {
	URL string
	// bin, args and port start it again (Restart); pid is the process.
	bin, port string
	args      []string
	pid       int
}

// Client returns an SDK client for the server.
func (d *DynamoDB) Client() *dynamodb.Client {
	return dynamodb.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
	}, func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(d.URL)
	})
}

// StartDynamoDB starts dynalite 4.0.0 (installed by `make peers` into
// .peers/) with tables that become active at once.
func StartDynamoDB(t testing.TB) *DynamoDB {
	t.Helper()
	bin := find(t, "dynalite", "make peers (npm install dynalite@4.0.0 into .peers/)")
	port := freePort(t)
	args := []string{"--host", "127.0.0.1", "--port", port, "--createTableMs", "0", "--updateTableMs", "0", "--deleteTableMs", "0"}
	return &DynamoDB{URL: "http://127.0.0.1:" + port, bin: bin, port: port, args: args, pid: start(t, bin, args, nil, port)}
}

// StartDynamoDBOnDisk starts dynalite keeping its tables in a LevelDB
// store in a test directory, so that Restart keeps the data: a table
// restarting under a run.
func StartDynamoDBOnDisk(t testing.TB) *DynamoDB {
	t.Helper()
	bin := find(t, "dynalite", "make peers (npm install dynalite@4.0.0 into .peers/)")
	port := freePort(t)
	args := []string{"--host", "127.0.0.1", "--port", port, "--path", t.TempDir(), "--createTableMs", "0", "--updateTableMs", "0", "--deleteTableMs", "0"}
	return &DynamoDB{URL: "http://127.0.0.1:" + port, bin: bin, port: port, args: args, pid: start(t, bin, args, nil, port)}
}

// Kill kills the server (SIGKILL): connections to its port are refused
// until Restart.
func (d *DynamoDB) Kill(t testing.TB) {
	t.Helper()
	p, err := os.FindProcess(d.pid)
	if err == nil {
		err = p.Kill()
	}
	if err != nil {
		t.Fatalf("kill dynalite: %v", err)
	}
	for {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+d.port, 200*time.Millisecond)
		if err != nil {
			return
		}
		c.Close()
		time.Sleep(20 * time.Millisecond)
	}
}

// Restart starts the server again on the same port (with the same data,
// when started by StartDynamoDBOnDisk).
func (d *DynamoDB) Restart(t testing.TB) {
	t.Helper()
	d.pid = start(t, d.bin, d.args, nil, d.port)
}

// find looks a program up on PATH, then in GOPATH/bin and the npm prefix
// used by .ci/run.
func find(t testing.TB, name, install string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	var dirs []string
	if gp := os.Getenv("GOPATH"); gp != "" {
		dirs = append(dirs, filepath.Join(gp, "bin"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	if p := os.Getenv("SESBOX_NPM_BIN"); p != "" {
		dirs = append(dirs, p)
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	t.Fatalf("%s is not installed: run `%s` (or bash .ci/run)", name, install)
	return ""
}

func findUp(rel string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, rel)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}

func freePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
}

// start runs the program, waits until its port accepts connections and
// returns its process id.
func start(t testing.TB, bin string, args, env []string, port string) (pid int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start %s: %v", bin, err)
	}
	var log strings.Builder
	logDone := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if log.Len() < 64<<10 {
				log.WriteString(sc.Text() + "\n")
			}
		}
		close(logDone)
	}()
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return cmd.Process.Pid
		}
		select {
		case <-logDone:
			t.Fatalf("%s exited before listening:\n%s", filepath.Base(bin), log.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Fatalf("%s did not listen on %s within 30s", filepath.Base(bin), port)
	return 0
}

// SkewedDynamoDB is the table as a machine whose clock is off by skew
// sees it: the server's Date header is shifted by -skew on the way back,
// as it would read against that machine's clock (dynalite on loopback
// runs on the test's own clock). A sesbox pointed at it with a negative
// skew reads the table's clock as -skew ahead of its own, so what the
// others stamped a moment ago reads -skew old to it.
func SkewedDynamoDB(t testing.TB, db *DynamoDB, skew time.Duration) *DynamoDB {
	t.Helper()
	u, err := url.Parse(db.URL)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(r *http.Response) error {
		if d, err := http.ParseTime(r.Header.Get("Date")); err == nil {
			r.Header.Set("Date", d.Add(-skew).UTC().Format(http.TimeFormat))
		}
		return nil
	}
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	return &DynamoDB{URL: srv.URL}
}
