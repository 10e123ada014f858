// Package demo is the embedded demo mailbox: realistic raw messages, stored
// byte for byte the way Amazon SES's S3 receipt action writes them, served
// from an in-process S3 (gofakes3) on loopback. It lets sesbox run without an
// AWS account and gives tests elsewhere a mailbox full of awkward mail:
// legacy charsets, threads, attachments, failed verdicts, malformed MIME,
// terminal escapes and a header block larger than one ranged read.
package demo

import (
	"bufio"
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"log"
	"maps"
	"net"
	"net/http"
	"net/mail"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/sesbox/sesbox/mailstore"
)

// The files are named <SES message id>.eml so that .gitattributes
// (*.eml -text) keeps their CRLFs and 8-bit bytes exact; the object key
// drops the extension, as SES's keys have none.
//
//go:embed messages/*.eml
var messageFiles embed.FS

const (
	// Bucket is the demo mailbox's bucket.
	Bucket = "sesbox-demo"
	// Prefix is the object key prefix of the demo receipt rule.
	Prefix = "inbox/"
)

// Server serves the demo mailbox from an in-process gofakes3 on loopback.
type Server struct {
	url  string
	http *http.Server
	done chan struct{}
}

// Messages returns every demo message by object key (Prefix + SES message
// id, or Prefix + "AMAZON_SES_SETUP_NOTIFICATION"). The map and the byte
// slices are fresh copies; callers may keep or modify them.
func Messages() map[string][]byte {
	entries, err := messageFiles.ReadDir("messages")
	if err != nil {
		panic(fmt.Sprintf("demo: embedded messages: %v", err)) // cannot happen: the directory is embedded
	}
	msgs := make(map[string][]byte, len(entries))
	for _, e := range entries {
		raw, err := messageFiles.ReadFile(path.Join("messages", e.Name()))
		if err != nil {
			panic(fmt.Sprintf("demo: embedded message %s: %v", e.Name(), err))
		}
		msgs[Prefix+strings.TrimSuffix(e.Name(), ".eml")] = raw
	}
	return msgs
}

// Start serves the demo mailbox on a free loopback port: it creates Bucket
// and stores every message under Prefix, each with its SES receipt time as
// LastModified. Close the server when done.
func Start() (*Server, error) {
	clock := &pinnableClock{}
	backend := s3mem.New(
		s3mem.WithTimeSource(clock),
		// s3mem gives every object a version id (and gofakes3 sends it as
		// x-amz-version-id even for an unversioned bucket); a fixed seed
		// keeps them the same from run to run, like everything else here.
		s3mem.WithVersionSeed(1),
	)
	if err := fill(backend, clock, Messages()); err != nil {
		return nil, err
	}

	faker := gofakes3.New(backend,
		// The demo runs under a TUI: nothing may reach stdout or stderr.
		gofakes3.WithLogger(gofakes3.DiscardLog()),
	)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo: listen on loopback: %w", err)
	}
	s := &Server{
		url: "http://" + ln.Addr().String(),
		http: &http.Server{
			Handler:           faker.Server(),
			ReadHeaderTimeout: 10 * time.Second,
			// net/http logs broken connections to stderr by default.
			ErrorLog: log.New(io.Discard, "", 0),
		},
		done: make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		_ = s.http.Serve(ln) // returns http.ErrServerClosed after Close
	}()
	return s, nil
}

// fill creates the bucket and stores msgs in it.
//
// It writes through the backend rather than through an S3 client: that is
// exact, and a client upload is not. gofakes3 keeps every X-Amz-* request
// header of a PUT (X-Amz-Date, X-Amz-Content-Sha256, ...) as object metadata
// and replays it on every GET and HEAD, which objects written by SES do not
// have. Writing directly also lets each object get its message's receipt
// time as LastModified without turning off gofakes3's clock-skew check, and
// keeps AWS clients out of this package (cmd/ builds them).
func fill(backend *s3mem.Backend, clock *pinnableClock, msgs map[string][]byte) error {
	if err := backend.CreateBucket(Bucket); err != nil {
		return fmt.Errorf("demo: create bucket %s: %w", Bucket, err)
	}
	defer clock.pin(time.Time{})
	for _, key := range slices.Sorted(maps.Keys(msgs)) {
		raw := msgs[key]
		received, err := receivedAt(raw)
		if err != nil {
			return fmt.Errorf("demo: %s: %w", mailstore.ObjectName(Bucket, key), err)
		}
		clock.pin(received)
		meta := map[string]string{
			// What gofakes3's own PUT handler would record; GET and HEAD
			// answer Last-Modified from it, listings from the backend clock.
			"Last-Modified": received.UTC().Format(http.TimeFormat),
			// S3's type for objects stored without one; without it net/http
			// would sniff the body and call the mail text/plain.
			"Content-Type": "application/octet-stream",
		}
		if _, err := backend.PutObject(Bucket, key, meta, bytes.NewReader(raw), int64(len(raw)), nil); err != nil {
			return fmt.Errorf("demo: put %s: %w", mailstore.ObjectName(Bucket, key), err)
		}
	}
	return nil
}

// URL is the S3 endpoint, for a path-style client
// (o.BaseEndpoint = aws.String(s.URL()); o.UsePathStyle = true).
func (s *Server) URL() string { return s.url }

// Close stops the server and waits for it to finish.
func (s *Server) Close() {
	_ = s.http.Close()
	<-s.done
}

// receivedAt is when SES received the message: the date of the Received
// header SES prepends (the first one), or failing that the Date header.
func receivedAt(raw []byte) (time.Time, error) {
	var received, date string
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(nil, len(raw)+1)
	var field strings.Builder
	flush := func() {
		name, value, ok := strings.Cut(field.String(), ":")
		field.Reset()
		if !ok {
			return
		}
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "received":
			if received == "" {
				received = value
			}
		case "date":
			if date == "" {
				date = value
			}
		}
	}
	for sc.Scan() {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if line == "" {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			field.WriteString(line)
			continue
		}
		flush()
		field.WriteString(line)
	}
	flush()

	if i := strings.LastIndexByte(received, ';'); i >= 0 {
		if t, err := mail.ParseDate(strings.TrimSpace(received[i+1:])); err == nil {
			return t.UTC(), nil
		}
	}
	if t, err := mail.ParseDate(strings.TrimSpace(date)); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, errors.New("no date in the Received or Date header")
}

// pinnableClock is the s3mem backend's time source. While the demo objects
// are written it is pinned to each message's receipt time, so LastModified
// says when the mail arrived; afterwards it follows the wall clock.
type pinnableClock struct {
	mu     sync.Mutex
	pinned time.Time
}

var _ gofakes3.TimeSource = (*pinnableClock)(nil)

func (c *pinnableClock) pin(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pinned = t
}

func (c *pinnableClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.pinned.IsZero() {
		return c.pinned
	}
	return time.Now().UTC()
}

func (c *pinnableClock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }
