package sessend

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/sesbox/sesbox/mailstore/sesaccount"
)

// accountAPI is the part of *sesv2.Client AccountReader uses.
type accountAPI interface {
	GetAccount(ctx context.Context, in *sesv2.GetAccountInput, opts ...func(*sesv2.Options)) (*sesv2.GetAccountOutput, error)
	GetEmailIdentity(ctx context.Context, in *sesv2.GetEmailIdentityInput, opts ...func(*sesv2.Options)) (*sesv2.GetEmailIdentityOutput, error)
	GetSuppressedDestination(ctx context.Context, in *sesv2.GetSuppressedDestinationInput, opts ...func(*sesv2.Options)) (*sesv2.GetSuppressedDestinationOutput, error)
	GetConfigurationSet(ctx context.Context, in *sesv2.GetConfigurationSetInput, opts ...func(*sesv2.Options)) (*sesv2.GetConfigurationSetOutput, error)
}

// AccountReader is sesaccount.API over SES v2.
type AccountReader struct {
	api accountAPI
	// profile: see WithProfile.
	profile string
	// configSet: see WithConfigurationSet.
	configSet string
}

var _ sesaccount.API = (*AccountReader)(nil)

// NewAccountReader returns the account reader over client.
func NewAccountReader(client accountAPI) *AccountReader { return &AccountReader{api: client} }

// WithProfile names the shared config profile the client's configuration
// was loaded with, as Sender.WithProfile does.
func (r *AccountReader) WithProfile(profile string) *AccountReader {
	r.profile = profile
	return r
}

// WithConfigurationSet names the configuration set the mailbox sends
// with (its configuration_set), which ConfigurationSet reads.
func (r *AccountReader) WithConfigurationSet(name string) *AccountReader {
	r.configSet = name
	return r
}

// ConfigurationSet implements sesaccount.API: GetConfigurationSet, where
// NotFoundException means the region does not have the set.
func (r *AccountReader) ConfigurationSet(ctx context.Context) (sesaccount.ConfigurationSet, bool, error) {
	if r.configSet == "" {
		return sesaccount.ConfigurationSet{}, false, nil
	}
	c := sesaccount.ConfigurationSet{Name: r.configSet}
	if cl, ok := r.api.(*sesv2.Client); ok {
		c.Region = cl.Options().Region
	}
	_, err := r.api.GetConfigurationSet(ctx, &sesv2.GetConfigurationSetInput{ConfigurationSetName: aws.String(r.configSet)})
	var nf *types.NotFoundException
	switch {
	case errors.As(err, &nf):
		return c, true, nil
	case err != nil:
		return c, true, fmt.Errorf("read SES configuration set %s: %w", r.configSet, explain(err, "ses:GetConfigurationSet", r.api, r.profile))
	}
	c.Found = true
	return c, true, nil
}

// Account implements sesaccount.API: GetAccount.
func (r *AccountReader) Account(ctx context.Context) (sesaccount.Account, error) {
	out, err := r.api.GetAccount(ctx, &sesv2.GetAccountInput{})
	if err != nil {
		return sesaccount.Account{}, fmt.Errorf("read the SES account: %w", explain(err, "ses:GetAccount", r.api, r.profile))
	}
	a := sesaccount.Account{
		Sandbox:           !out.ProductionAccessEnabled,
		SendingEnabled:    out.SendingEnabled,
		EnforcementStatus: aws.ToString(out.EnforcementStatus),
	}
	if q := out.SendQuota; q != nil {
		a.Max24HourSend, a.SentLast24Hours, a.MaxSendRate = q.Max24HourSend, q.SentLast24Hours, q.MaxSendRate
	}
	a.Remaining24Hours = max(a.Max24HourSend-a.SentLast24Hours, 0)
	if a.Max24HourSend < 0 {
		a.Remaining24Hours = -1
	}
	if sa := out.SuppressionAttributes; sa != nil {
		for _, r := range sa.SuppressedReasons {
			a.SuppressedReasons = append(a.SuppressedReasons, string(r))
		}
	}
	if d := out.Details; d != nil && d.ReviewDetails != nil {
		a.ReviewStatus = string(d.ReviewDetails.Status)
	}
	return a.Normalize(), nil
}

// Identity implements sesaccount.API: GetEmailIdentity.
func (r *AccountReader) Identity(ctx context.Context, name string) (sesaccount.Identity, error) {
	out, err := r.api.GetEmailIdentity(ctx, &sesv2.GetEmailIdentityInput{EmailIdentity: aws.String(name)})
	var nf *types.NotFoundException
	if errors.As(err, &nf) {
		return sesaccount.Identity{Name: name, Status: sesaccount.StatusNotFound}, nil
	}
	if err != nil {
		return sesaccount.Identity{}, fmt.Errorf("read SES identity %s: %w", name, explain(err, "ses:GetEmailIdentity", r.api, r.profile))
	}
	id := sesaccount.Identity{
		Name: name, Type: string(out.IdentityType), Status: string(out.VerificationStatus),
		VerifiedForSending: out.VerifiedForSendingStatus,
	}
	if d := out.DkimAttributes; d != nil {
		id.DKIMStatus = string(d.Status)
	}
	return id, nil
}

// Suppressed implements sesaccount.API: GetSuppressedDestination, where
// NotFoundException means "not on the list".
func (r *AccountReader) Suppressed(ctx context.Context, address string) (sesaccount.Suppression, bool, error) {
	out, err := r.api.GetSuppressedDestination(ctx, &sesv2.GetSuppressedDestinationInput{EmailAddress: aws.String(address)})
	var nf *types.NotFoundException
	if errors.As(err, &nf) {
		return sesaccount.Suppression{}, false, nil
	}
	if err != nil {
		return sesaccount.Suppression{}, false, fmt.Errorf("read the SES suppression list for %s: %w", address, explain(err, "ses:GetSuppressedDestination", r.api, r.profile))
	}
	d := out.SuppressedDestination
	if d == nil {
		return sesaccount.Suppression{}, false, nil
	}
	s := sesaccount.Suppression{Address: aws.ToString(d.EmailAddress), Reason: string(d.Reason), Since: aws.ToTime(d.LastUpdateTime)}
	if s.Address == "" {
		s.Address = address
	}
	return s, true, nil
}
