// Package sessend is the mailstore.Sender over Amazon SES v2: SendEmail
// with Content.Raw, and GetAccount for the send quota.
package sessend

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/awscreds"
	"github.com/sesbox/sesbox/mailstore/sesaccount"
)

// MaxMessageSize is SES v2's limit for a raw message, encoding included.
const MaxMessageSize = 40 << 20

// MaxDestinations is how many recipients one SendEmail call may carry.
const MaxDestinations = mailstore.MaxDestinations

// sesAPI is the part of *sesv2.Client the sender uses.
type sesAPI interface {
	SendEmail(ctx context.Context, in *sesv2.SendEmailInput, opts ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
	GetAccount(ctx context.Context, in *sesv2.GetAccountInput, opts ...func(*sesv2.Options)) (*sesv2.GetAccountOutput, error)
}

// Sender sends through SES.
type Sender struct {
	api sesAPI
	// ConfigurationSet, when set, is named on every send.
	ConfigurationSet string
	// profile is the shared config profile the client's configuration
	// was loaded with, for the hint on credentials SES rejects.
	profile string
}

var _ mailstore.Sender = (*Sender)(nil)

// New returns a sender over client.
func New(client sesAPI, configurationSet string) *Sender {
	return &Sender{api: client, ConfigurationSet: configurationSet}
}

// WithProfile names the shared config profile the client's configuration
// was loaded with ("": none named, the default), so that credentials SES
// rejects are said to come from it when they did.
func (s *Sender) WithProfile(profile string) *Sender {
	s.profile = profile
	return s
}

// ErrTooLarge is returned for messages over MaxMessageSize; nothing is sent.
var ErrTooLarge = errors.New("message is larger than SES's 40 MB limit")

// SendRaw implements mailstore.Sender.
func (s *Sender) SendRaw(ctx context.Context, destinations []string, raw []byte) (string, error) {
	if len(raw) > MaxMessageSize {
		return "", fmt.Errorf("send: %w (%d bytes)", ErrTooLarge, len(raw))
	}
	if len(destinations) == 0 {
		return "", errors.New("send: no destinations")
	}
	if len(destinations) > MaxDestinations {
		return "", fmt.Errorf("send: %d destinations, SES takes at most %d per message", len(destinations), MaxDestinations)
	}
	in := &sesv2.SendEmailInput{
		Destination: &types.Destination{ToAddresses: destinations},
		Content:     &types.EmailContent{Raw: &types.RawMessage{Data: raw}},
	}
	if s.ConfigurationSet != "" {
		in.ConfigurationSetName = aws.String(s.ConfigurationSet)
	}
	out, err := s.api.SendEmail(ctx, in)
	if err != nil && mailstore.ClockHint(err) != "" {
		// Refused for the time it was signed at, so never taken: the
		// client has set its clock by SES's answer, and one more send
		// is signed at SES's time (sends are otherwise never retried).
		out, err = s.api.SendEmail(ctx, in)
	}
	if err != nil {
		return "", fmt.Errorf("send: %w", s.explainSend(err))
	}
	return aws.ToString(out.MessageId), nil
}

// Quota implements mailstore.Sender.
func (s *Sender) Quota(ctx context.Context) (mailstore.Quota, error) {
	out, err := s.api.GetAccount(ctx, &sesv2.GetAccountInput{})
	if err != nil {
		return mailstore.Quota{}, fmt.Errorf("read SES send quota: %w", explain(err, sendPermission, s.api, s.profile))
	}
	if out.SendQuota == nil {
		return mailstore.Quota{}, errors.New("read SES send quota: the account reports none")
	}
	return mailstore.Quota{
		MaxSendRate:     out.SendQuota.MaxSendRate,
		Max24HourSend:   out.SendQuota.Max24HourSend,
		SentLast24Hours: out.SendQuota.SentLast24Hours,
	}, nil
}

// IsThrottle reports whether err is SES asking to slow down: worth a
// back-off and a retry, unlike every other send error.
func IsThrottle(err error) bool {
	var tm *types.TooManyRequestsException
	var lee *types.LimitExceededException
	if errors.As(err, &tm) || errors.As(err, &lee) {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "Throttling", "ThrottlingException", "TooManyRequestsException", "MaxSendRateExceeded":
			return true
		}
	}
	return false
}

// explainSend is explain for a SendEmail error, which also names the
// sender's configuration set when SES does not know it, and marks the
// refusals every other send would meet too (mailstore.ErrEverySendRefused).
func (s *Sender) explainSend(err error) error {
	var nf *types.NotFoundException
	if s.ConfigurationSet != "" && errors.As(err, &nf) {
		return &mailstore.HintError{Hint: fmt.Sprintf("the configuration set %s does not exist in this region — create it (aws sesv2 create-configuration-set --configuration-set-name %s) or remove configuration_set from the mailbox's config",
			s.ConfigurationSet, s.ConfigurationSet), Err: everySend{err}}
	}
	err = explain(err, sendPermission, s.api, s.profile)
	var mark func(error) error
	switch {
	case refusesEverySend(err):
		mark = func(e error) error { return everySend{e} }
	case refusesMessage(err):
		mark = func(e error) error { return messageRefused{e} }
	default:
		return err
	}
	if h, ok := err.(*mailstore.HintError); ok {
		return &mailstore.HintError{Hint: h.Hint, Err: mark(h.Err)}
	}
	return mark(err)
}

// errorCode is the SES error code of err ("" when it has none): the
// typed errors of SES v2 and the codes only SES v1 or a proxy answers
// with alike.
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// suspendedMessage is how SES's MessageRejected says the account may not
// send at all ("Sending suspended for this account. For more information,
// please check the inbox of the email address associated with your AWS
// account."): no message of the run would be taken.
func suspendedMessage(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "MessageRejected" {
		return false
	}
	m := strings.ToLower(ae.ErrorMessage())
	return strings.Contains(m, "sending suspended") || strings.Contains(m, "sending paused") || strings.Contains(m, "sending is paused")
}

// refusesMessage reports an SES refusal of the message itself, which SES
// would give again to the same bytes and destinations: rejected (its
// content, an address not verified), or malformed. A sender's own
// address not verified is one of these to SES; the run, which knows the
// address it sends as, tells it apart (mailstore.UnverifiedIdentities).
func refusesMessage(err error) bool {
	var mr *types.MessageRejected
	var br *types.BadRequestException
	if errors.As(err, &mr) || errors.As(err, &br) {
		return true
	}
	switch errorCode(err) {
	case "MessageRejected", "BadRequestException", "InvalidParameterValue", "InvalidParameterValueException":
		return true
	}
	return false
}

// messageRefused marks a refusal of this message that SES would give it
// again (mailstore.ErrMessageRefused).
type messageRefused struct{ error }

func (e messageRefused) Unwrap() error { return e.error }

func (messageRefused) Is(target error) bool { return target == mailstore.ErrMessageRefused }

// refusesEverySend reports an SES refusal that is not about the message:
// the account, its permissions or its sending identity.
func refusesEverySend(err error) bool {
	var nv *types.MailFromDomainNotVerifiedException
	var ap *types.AccountSuspendedException
	var sp *types.SendingPausedException
	if errors.As(err, &nv) || errors.As(err, &ap) || errors.As(err, &sp) || mailstore.ClockHint(err) != "" || suspendedMessage(err) {
		// A clock SES refuses refuses every send signed by it.
		return true
	}
	switch errorCode(err) {
	case "AccessDeniedException", "AccessDenied",
		"UnrecognizedClientException", "InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredTokenException", "ExpiredToken":
		return true
	case pausedCodes[0], pausedCodes[1], pausedCodes[2], pausedCodes[3], mailFromCodes[0], mailFromCodes[1]:
		// SES v1's names (and a proxy's) for the typed errors above.
		return true
	}
	return false
}

// pausedCodes are the error codes of an account or configuration set
// that may not send (SES v2 and v1); mailFromCodes those of a MAIL FROM
// domain not verified.
var (
	pausedCodes   = [...]string{"SendingPausedException", "AccountSuspendedException", "AccountSendingPausedException", "ConfigurationSetSendingPausedException"}
	mailFromCodes = [...]string{"MailFromDomainNotVerifiedException", "MailFromDomainNotVerified"}
)

// everySend marks a refusal every other send would meet too.
type everySend struct{ error }

func (e everySend) Unwrap() error { return e.error }

func (everySend) Is(target error) bool { return target == mailstore.ErrEverySendRefused }

// sendPermission is what a sender's calls need.
const sendPermission = "ses:SendRawEmail / ses:SendEmail and ses:GetAccount"

// explain puts what the user can do in front of the SES errors people
// meet (a mailstore.HintError, shown hint first by the CLI and the TUI),
// keeping the original in the chain; permission is what the failed call
// needs. Credentials SES rejected are said to come from where api's
// client took them (awscreds.Of; profile: see WithProfile), as S3's
// hint says it.
func explain(err error, permission string, api any, profile string) error {
	creds := ""
	if c, ok := api.(*sesv2.Client); ok && credentialsRejected(err) {
		creds = awscreds.Of(c.Options().Credentials, profile)
	}
	if h := hintFor(err, permission, creds); h != "" {
		if op, ok := missingOperation(err); ok {
			err = notOffered{&sesaccount.NotOfferedError{Operation: op}, err}
		}
		return &mailstore.HintError{Hint: h, Err: err}
	}
	return err
}

// notOffered is the SDK's error (Error) marked as an endpoint's answer
// that it has no such operation (in its chain: a
// sesaccount.NotOfferedError).
type notOffered struct {
	op  *sesaccount.NotOfferedError
	err error
}

func (e notOffered) Error() string { return e.err.Error() }

func (e notOffered) Unwrap() []error { return []error{e.op, e.err} }

// credentialsRejected says whether err is SES refusing the credentials
// the request was signed with.
func credentialsRejected(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && awscreds.RejectedCode(ae.ErrorCode())
}

// hintFor classifies an SES error; permission is what an access-denied call
// needs, creds where the credentials came from ("" when not known). ""
// when there is nothing better to say.
func hintFor(err error, permission, creds string) string {
	if err == nil || mailstore.Hint(err) != "" {
		return ""
	}
	var mr *types.MessageRejected
	var nv *types.MailFromDomainNotVerifiedException
	var ap *types.AccountSuspendedException
	var sp *types.SendingPausedException
	switch {
	case mailstore.ClockHint(err) != "":
		return mailstore.ClockHint(err)
	case errors.As(err, &nv), slices.Contains(mailFromCodes[:], errorCode(err)):
		return "the MAIL FROM domain is not verified in SES — verify it, or unset the identity's custom MAIL FROM"
	case errors.As(err, &ap), errors.As(err, &sp), slices.Contains(pausedCodes[:], errorCode(err)), suspendedMessage(err):
		return "sending is paused or suspended for this account or configuration set — see sesbox account"
	case errorCode(err) == "MessageRejected" || errors.As(err, &mr):
		if region, ids, ok := mailstore.UnverifiedIdentities(err); ok && len(ids) > 0 {
			return fmt.Sprintf("SES rejected the message: %s not verified in %s — verify it, or send from a verified identity (sesbox account lists them); in the sandbox every recipient must be verified too",
				strings.Join(ids, ", "), region)
		} else if ok {
			return "SES rejected the message — verify the From identity in this region (sesbox account lists them); in the sandbox every recipient must be verified too"
		}
		return "SES rejected this message, not the account — sent again as it is, it would be refused again (SES's reason follows)"
	case refusesMessage(err):
		return "SES refused this message as malformed — sent again as it is, it would be refused again (SES's reason follows)"
	case mailstore.QuotaUsedUp(err):
		return "the account's 24-hour sending quota is used up — SES frees it as sends age past 24 hours; sesbox account shows what is left"
	case IsThrottle(err):
		return "throttled by SES: over the account's send rate — wait, or send fewer at once (sesbox account shows the rate)"
	}
	var ae smithy.APIError
	switch {
	case errors.As(err, &ae) && (ae.ErrorCode() == "AccessDeniedException" || ae.ErrorCode() == "AccessDenied"):
		return "access denied by SES — the credentials need " + permission
	case credentialsRejected(err):
		return awscreds.Rejected("SES", creds, err)
	}
	if op, ok := missingOperation(err); ok {
		return "the SES endpoint does not offer " + op + " (HTTP 404, not an SES answer) — check --ses-endpoint"
	}
	return mailstore.ReachHint(err, "the SES endpoint", "--ses-endpoint", "--region")
}

// missingOperation reports an HTTP 404 whose body is not an SES error (a
// local SES without the operation, a proxy, another service): SES itself
// answers a 404 with a typed NotFoundException.
func missingOperation(err error) (string, bool) {
	var re *smithyhttp.ResponseError
	var de *smithy.DeserializationError
	var oe *smithy.OperationError
	if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusNotFound || !errors.As(err, &de) || !errors.As(err, &oe) {
		return "", false
	}
	return oe.Operation(), true
}
