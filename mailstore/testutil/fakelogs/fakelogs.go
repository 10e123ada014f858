// Package fakelogs is the smallest fake of Amazon CloudWatch Logs that
// sesbox's tests need: FilterLogEvents (time bounds, pagination with
// nextToken, retention) and DescribeLogGroups (creation time, retention),
// spoken in the service's own JSON protocol (awsJson1_1, X-Amz-Target
// Logs_20140328.*) so the real aws-sdk-go-v2 client talks to it.
//
// It is a fake, not a peer: no CloudWatch Logs emulator is available from
// the registries this project can reach. Anything else (a filter pattern,
// another operation) is refused, so a change in what sesbox asks shows up
// as a failing test rather than as a fake answering what it does not know.
package fakelogs

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Event is one stored log event.
type Event struct {
	Timestamp     int64  `json:"timestamp"`
	IngestionTime int64  `json:"ingestionTime"`
	LogStreamName string `json:"logStreamName"`
	EventID       string `json:"eventId"`
	Message       string `json:"message"`
}

// Call is one request the server answered.
type Call struct {
	Operation string
	Body      map[string]any
}

type group struct {
	created   int64
	retention int32 // days; 0: never expire
	events    []Event
}

// Server is a running fake.
type Server struct {
	URL string
	// PageSize is how many events a FilterLogEvents page holds at most
	// (AWS: up to 10,000, and often far fewer); EmptyPages makes every
	// other page empty, with a nextToken, as CloudWatch does while it
	// searches streams.
	PageSize   int
	EmptyPages bool
	// RepeatToken answers a FilterLogEvents page asked for with a token
	// with that same token (and its page again), as a server or a
	// proxy stuck on one page would.
	RepeatToken bool
	// Now is the server's clock, for retention.
	Now func() time.Time

	mu     sync.Mutex
	groups map[string]*group
	calls  []Call
}

// New returns a server with no groups, to serve with net/http (Start
// serves it for a test).
func New() *Server { return &Server{PageSize: 50, Now: time.Now, groups: map[string]*group{}} }

// Start starts a server and stops it when t ends.
func Start(t testing.TB) *Server {
	s := New()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// CreateGroup adds a log group created at created, keeping events for
// retentionDays (0: forever).
func (s *Server) CreateGroup(name string, created time.Time, retentionDays int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[name] = &group{created: created.UnixMilli(), retention: retentionDays}
}

// Put stores events in a group (created if needed).
func (s *Server) Put(name string, events ...Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[name]
	if g == nil {
		g = &group{}
		s.groups[name] = g
	}
	g.events = append(g.events, events...)
	slices.SortStableFunc(g.events, func(a, b Event) int {
		if a.Timestamp != b.Timestamp {
			return int(a.Timestamp - b.Timestamp)
		}
		return strings.Compare(a.EventID, b.EventID)
	})
}

// Calls returns the requests answered so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "Logs_20140328.")
	if r.Method != http.MethodPost || !ok || r.Header.Get("Content-Type") != "application/x-amz-json-1.1" {
		fail(w, 400, "UnknownOperationException", "not a CloudWatch Logs JSON request")
		return
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		fail(w, 400, "MissingAuthenticationTokenException", "Missing Authentication Token")
		return
	}
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		fail(w, 400, "SerializationException", err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, Call{Operation: op, Body: body})
	switch op {
	case "FilterLogEvents":
		s.filter(w, body)
	case "DescribeLogGroups":
		s.describe(w, body)
	default:
		fail(w, 400, "UnknownOperationException", "the fake answers FilterLogEvents and DescribeLogGroups only")
	}
}

func (s *Server) filter(w http.ResponseWriter, body map[string]any) {
	name, _ := body["logGroupName"].(string)
	if name == "" {
		fail(w, 400, "InvalidParameterException", "logGroupName is required (the fake takes no identifier)")
		return
	}
	if p, _ := body["filterPattern"].(string); p != "" {
		fail(w, 400, "InvalidParameterException", "the fake supports no filter pattern")
		return
	}
	g := s.groups[name]
	if g == nil {
		fail(w, 400, "ResourceNotFoundException", "The specified log group does not exist.")
		return
	}
	start, hasStart := num(body, "startTime")
	end, hasEnd := num(body, "endTime")
	limit := s.PageSize
	if l, ok := num(body, "limit"); ok && int(l) < limit {
		limit = int(l)
	}
	var expired int64 = -1 << 62
	if g.retention > 0 {
		expired = s.Now().AddDate(0, 0, -int(g.retention)).UnixMilli()
	}
	var match []Event
	for _, e := range g.events {
		if (hasStart && e.Timestamp < start) || (hasEnd && e.Timestamp > end) || e.Timestamp < expired {
			continue
		}
		match = append(match, e)
	}
	from, empty := 0, false
	if tok, _ := body["nextToken"].(string); tok != "" {
		var err error
		if from, empty, err = parseToken(tok); err != nil || from > len(match) {
			fail(w, 400, "InvalidParameterException", "The specified nextToken is invalid.")
			return
		}
	}
	out := map[string]any{"searchedLogStreams": []any{}}
	if s.EmptyPages && !empty && from < len(match) {
		out["events"] = []Event{}
		out["nextToken"] = token(from, true)
		reply(w, out)
		return
	}
	to := min(from+limit, len(match))
	out["events"] = append([]Event{}, match[from:to]...)
	if to < len(match) {
		out["nextToken"] = token(to, false)
		if tok, _ := body["nextToken"].(string); tok != "" && s.RepeatToken {
			out["nextToken"] = tok
		}
	}
	reply(w, out)
}

func (s *Server) describe(w http.ResponseWriter, body map[string]any) {
	prefix, _ := body["logGroupNamePrefix"].(string)
	var names []string
	for n := range s.groups {
		if strings.HasPrefix(n, prefix) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	from := 0
	if tok, _ := body["nextToken"].(string); tok != "" {
		var err error
		if from, _, err = parseToken(tok); err != nil || from > len(names) {
			fail(w, 400, "InvalidParameterException", "The specified nextToken is invalid.")
			return
		}
	}
	// One group a page: pagination is exercised with two groups.
	out := map[string]any{}
	var groups []map[string]any
	for _, n := range names[from:min(from+1, len(names))] {
		g := s.groups[n]
		lg := map[string]any{"logGroupName": n, "creationTime": g.created, "storedBytes": 0,
			"arn": "arn:aws:logs:us-east-1:123456789012:log-group:" + n + ":*"}
		if g.retention > 0 {
			lg["retentionInDays"] = g.retention
		}
		groups = append(groups, lg)
	}
	out["logGroups"] = groups
	if from+1 < len(names) {
		out["nextToken"] = token(from+1, false)
	}
	reply(w, out)
}

func num(body map[string]any, k string) (int64, bool) {
	v, ok := body[k].(float64)
	return int64(v), ok
}

func token(i int, empty bool) string {
	return base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "%d/%t", i, empty))
}

func parseToken(tok string) (int, bool, error) {
	b, err := base64.StdEncoding.DecodeString(tok)
	if err != nil {
		return 0, false, err
	}
	n, e, _ := strings.Cut(string(b), "/")
	i, err := strconv.Atoi(n)
	return i, e == "true", err
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, code int, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
}
