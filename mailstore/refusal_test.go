package mailstore

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

// apiErr is an error as smithy.APIError exposes it.
type apiErr struct{ code, msg string }

func (e apiErr) Error() string        { return e.code + ": " + e.msg }
func (e apiErr) ErrorCode() string    { return e.code }
func (e apiErr) ErrorMessage() string { return e.msg }

// TestUnverifiedIdentitiesReadsSESsList: the identities SES names as not
// verified are read from its MessageRejected, wrapped or not, one or
// several, a domain among them; any other error or code reads none.
func TestUnverifiedIdentitiesReadsSESsList(t *testing.T) {
	for _, tc := range []struct {
		err    error
		region string
		ids    []string
		ok     bool
	}{
		{apiErr{"MessageRejected", "Email address is not verified. The following identities failed the check in region EU-WEST-1: a@x.example, b@y.example"}, "EU-WEST-1", []string{"a@x.example", "b@y.example"}, true},
		{fmt.Errorf("send: %w", apiErr{"MessageRejected", "Email address is not verified. The following identities failed the check in region US-EAST-1: x.example."}), "US-EAST-1", []string{"x.example"}, true},
		{apiErr{"MessageRejected", "Email address is not verified."}, "", nil, true},
		{apiErr{"MessageRejected", "Illegal address"}, "", nil, false},
		{apiErr{"BadRequestException", "Email address is not verified. The following identities failed the check in region US-EAST-1: a@x.example"}, "", nil, false},
		{errors.New("Email address is not verified"), "", nil, false},
	} {
		region, ids, ok := UnverifiedIdentities(tc.err)
		if region != tc.region || !slices.Equal(ids, tc.ids) || ok != tc.ok {
			t.Errorf("%v: %q %q %v, want %q %q %v", tc.err, region, ids, ok, tc.region, tc.ids, tc.ok)
		}
	}
}
