// Package cwlogs reads the forwarding Lambda's log group from Amazon
// CloudWatch Logs (FilterLogEvents, DescribeLogGroups) for mailstore/fwdlog.
package cwlogs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/aws/smithy-go"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/awscreds"
	"github.com/sesbox/sesbox/mailstore/fwdlog"
)

// LogsAPI is the part of the CloudWatch Logs client sesbox uses (IAM:
// logs:FilterLogEvents and logs:DescribeLogGroups on the group).
type LogsAPI interface {
	FilterLogEvents(context.Context, *cloudwatchlogs.FilterLogEventsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error)
	DescribeLogGroups(context.Context, *cloudwatchlogs.DescribeLogGroupsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogGroupsOutput, error)
}

var _ LogsAPI = (*cloudwatchlogs.Client)(nil)

// Reader is a fwdlog.Source over a CloudWatch Logs client.
type Reader struct {
	api LogsAPI
	// profile is the shared config profile the client was loaded with
	// (WithProfile).
	profile string
}

// New returns the reader of api.
func New(api LogsAPI) *Reader { return &Reader{api: api} }

// WithProfile names the shared config profile the client's configuration
// was loaded with ("": none named, the default), so that credentials
// CloudWatch Logs rejects are said to come from it when they did.
func (r *Reader) WithProfile(profile string) *Reader {
	r.profile = profile
	return r
}

var _ fwdlog.Source = (*Reader)(nil)

// DescribeGroup reads the group's creation time and retention.
func (r *Reader) DescribeGroup(ctx context.Context, name string) (fwdlog.Group, error) {
	p := cloudwatchlogs.NewDescribeLogGroupsPaginator(r.api, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fwdlog.Group{}, r.hint(fmt.Errorf("describe log group %s: %w", name, err), name)
		}
		for _, g := range page.LogGroups {
			if aws.ToString(g.LogGroupName) != name {
				continue
			}
			return fwdlog.Group{Name: name, Created: time.UnixMilli(aws.ToInt64(g.CreationTime)).UTC(), RetentionDays: aws.ToInt32(g.RetentionInDays)}, nil
		}
	}
	return fwdlog.Group{}, &mailstore.HintError{Hint: noGroup(name), Err: fmt.Errorf("log group %s: %w", name, fwdlog.ErrNoGroup)}
}

// Fetch reads the group's events from from to to (both inclusive, to the
// millisecond) with FilterLogEvents, calling fn with each page.
//
// A page token given a second time is an error: the SDK's paginator sends
// each token it gets (its StopOnDuplicateToken is off, and on it would
// end the read as if whole), so a service or a proxy that answers a page
// with a token it gave before read the same pages, and called fn with
// the same events, until the process was stopped.
func (r *Reader) Fetch(ctx context.Context, name string, from, to time.Time, fn func([]fwdlog.Event) error) error {
	in := &cloudwatchlogs.FilterLogEventsInput{
		LogGroupName: aws.String(name),
		StartTime:    aws.Int64(from.UnixMilli()),
		EndTime:      aws.Int64(to.UnixMilli()),
	}
	seen := map[string]bool{}
	for pages := 1; ; pages++ {
		page, err := r.api.FilterLogEvents(ctx, in)
		if err != nil {
			return r.hint(fmt.Errorf("read log group %s: %w", name, err), name)
		}
		events := make([]fwdlog.Event, 0, len(page.Events))
		for _, e := range page.Events {
			events = append(events, fwdlog.Event{ID: aws.ToString(e.EventId), Time: time.UnixMilli(aws.ToInt64(e.Timestamp)).UTC(), Message: aws.ToString(e.Message)})
		}
		if len(events) > 0 {
			if err := fn(events); err != nil {
				return err
			}
		}
		tok := aws.ToString(page.NextToken)
		if tok == "" {
			return nil
		}
		if seen[tok] {
			return &mailstore.HintError{
				Hint: fmt.Sprintf("CloudWatch Logs gave page %d of log group %s a page token it gave before, so its read would never end — try again later; if it goes on, check --logs-endpoint or logs_endpoint (or AWS_ENDPOINT_URL_CLOUDWATCH_LOGS)", pages, name),
				Err:  fmt.Errorf("read log group %s: page token %q repeated", name, tok),
			}
		}
		seen[tok] = true
		in.NextToken = page.NextToken
	}
}

func noGroup(name string) string {
	return fmt.Sprintf("no log group %q in this region: check forwarder_logs (--forwarder-logs) and the mailbox's region", name)
}

// hint says what to do about the errors an operator can fix: an endpoint
// that cannot be reached names the endpoint and the setting to check;
// credentials refused are said to come from where r's client took them,
// as S3's and SES's hints say it.
func (r *Reader) hint(err error, name string) error {
	// Where the group was looked for, first, as for the team table: the
	// SDK's "request send failed ... connection refused" came alone.
	if h := mailstore.ClockHint(err); h != "" {
		return &mailstore.HintError{Hint: "cannot read the forwarder's log group " + name + ": " + h, Err: err}
	}
	if h := mailstore.ReachHint(err, "the CloudWatch Logs endpoint", "--logs-endpoint or logs_endpoint (or AWS_ENDPOINT_URL_CLOUDWATCH_LOGS)", "--region"); h != "" {
		return &mailstore.HintError{Hint: "cannot reach the forwarder's log group " + name + ": " + h, Err: err}
	}
	var api smithy.APIError
	if !errors.As(err, &api) {
		return err
	}
	if awscreds.RejectedCode(api.ErrorCode()) {
		from := ""
		if c, ok := r.api.(*cloudwatchlogs.Client); ok {
			from = awscreds.Of(c.Options().Credentials, r.profile)
		}
		return &mailstore.HintError{Hint: awscreds.Rejected("CloudWatch Logs", from, err), Err: err}
	}
	switch api.ErrorCode() {
	case "AccessDeniedException":
		return &mailstore.HintError{Hint: fmt.Sprintf("not allowed to read the log group %q: allow logs:FilterLogEvents and logs:DescribeLogGroups on it", name), Err: err}
	case "ResourceNotFoundException":
		return &mailstore.HintError{Hint: noGroup(name), Err: err}
	case "ThrottlingException", "LimitExceededException":
		// The SDK waited and asked again before giving up; its error
		// said only "exceeded maximum number of attempts".
		return &mailstore.HintError{Hint: fmt.Sprintf("CloudWatch Logs is throttling the reads of the forwarder's log group %s, and the retries ran out — try again in a minute (other readers of the account's logs in this region share its request rate)", name), Err: err}
	}
	return err
}
