// Package sesident is a minimal fake of the three SES v2 operations no
// emulator offers — GetSuppressedDestination, GetEmailIdentity and
// GetConfigurationSet (aws-ses-v2-local 2.10.2 implements none) — put in
// front of the real SES peer as a reverse proxy: those paths are answered
// from tables the test fills, every other request (SendEmail, GetAccount) goes to the peer
// unchanged, so sends still reach the real one. Every request is recorded.
package sesident

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	suppressionPath = "/v2/email/suppression/addresses/"
	identityPath    = "/v2/email/identities/"
	configSetPath   = "/v2/email/configuration-sets/"
)

// Fake is a running fake.
type Fake struct {
	URL string

	mu         sync.Mutex
	suppressed map[string]suppression
	identities map[string]identity
	configSets map[string]bool
	requests   []string
}

type suppression struct {
	Reason string
	Since  time.Time
}

type identity struct {
	Type     string
	Status   string
	Verified bool
}

// Start starts the fake in front of target (the SES peer's URL; "" when
// the test needs only the two faked operations: every other request then
// gets a 501).
func Start(t testing.TB, target string) *Fake {
	t.Helper()
	f := &Fake{suppressed: map[string]suppression{}, identities: map[string]identity{}, configSets: map[string]bool{}}
	var next http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "sesident: no peer behind the fake", http.StatusNotImplemented)
	})
	if target != "" {
		u, err := url.Parse(target)
		if err != nil {
			t.Fatal(err)
		}
		next = httputil.NewSingleHostReverseProxy(u)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, suppressionPath):
			f.getSuppressed(w, strings.TrimPrefix(r.URL.Path, suppressionPath))
		case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, identityPath):
			f.getIdentity(w, strings.TrimPrefix(r.URL.Path, identityPath))
		case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, configSetPath):
			f.getConfigSet(w, strings.TrimPrefix(r.URL.Path, configSetPath))
		default:
			f.record(r.Method + " " + r.URL.Path)
			next.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// Suppress puts addr on the suppression list.
func (f *Fake) Suppress(addr, reason string, since time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.suppressed[strings.ToLower(addr)] = suppression{reason, since}
}

// SetIdentity makes SES know an identity (typ EMAIL_ADDRESS or DOMAIN,
// status SUCCESS, PENDING, ...).
func (f *Fake) SetIdentity(name, typ, status string, verified bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.identities[strings.ToLower(name)] = identity{typ, status, verified}
}

// AddConfigurationSet makes SES have a configuration set.
func (f *Fake) AddConfigurationSet(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.configSets[name] = true
}

// Requests lists what reached the fake, in order: "GetSuppressedDestination
// addr", "GetEmailIdentity name", or "METHOD path" for what was passed on.
func (f *Fake) Requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...)
}

// Count counts the recorded requests that start with prefix.
func (f *Fake) Count(prefix string) int {
	n := 0
	for _, r := range f.Requests() {
		if strings.HasPrefix(r, prefix) {
			n++
		}
	}
	return n
}

func (f *Fake) record(s string) {
	f.mu.Lock()
	f.requests = append(f.requests, s)
	f.mu.Unlock()
}

func (f *Fake) getSuppressed(w http.ResponseWriter, addr string) {
	f.record("GetSuppressedDestination " + addr)
	f.mu.Lock()
	s, ok := f.suppressed[strings.ToLower(addr)]
	f.mu.Unlock()
	if !ok {
		notFound(w, addr+" is not on the suppression list")
		return
	}
	writeJSON(w, map[string]any{"SuppressedDestination": map[string]any{
		"EmailAddress": addr, "Reason": s.Reason, "LastUpdateTime": s.Since.Unix(),
		"Attributes": map[string]any{"MessageId": "fake-message-id", "FeedbackId": "fake-feedback-id"},
	}})
}

func (f *Fake) getIdentity(w http.ResponseWriter, name string) {
	f.record("GetEmailIdentity " + name)
	f.mu.Lock()
	id, ok := f.identities[strings.ToLower(name)]
	f.mu.Unlock()
	if !ok {
		notFound(w, "Email identity "+name+" does not exist.")
		return
	}
	writeJSON(w, map[string]any{
		"IdentityType": id.Type, "VerificationStatus": id.Status, "VerifiedForSendingStatus": id.Verified,
		"FeedbackForwardingStatus": true,
		"DkimAttributes":           map[string]any{"SigningEnabled": id.Type == "DOMAIN", "Status": id.Status},
	})
}

func (f *Fake) getConfigSet(w http.ResponseWriter, name string) {
	f.record("GetConfigurationSet " + name)
	f.mu.Lock()
	ok := f.configSets[name]
	f.mu.Unlock()
	if !ok {
		notFound(w, "Configuration set <"+name+"> does not exist.")
		return
	}
	writeJSON(w, map[string]any{"ConfigurationSetName": name})
}

// notFound answers as SES does: HTTP 404 with the error type in a header.
func notFound(w http.ResponseWriter, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", "NotFoundException")
	w.WriteHeader(http.StatusNotFound)
	json.NewEncoder(w).Encode(map[string]string{"message": msg})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
