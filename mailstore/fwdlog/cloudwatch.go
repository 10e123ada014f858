package fwdlog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
)

// LogsAPI is the part of the CloudWatch Logs client sesbox uses (IAM:
// logs:FilterLogEvents and logs:DescribeLogGroups on the group).
type LogsAPI interface {
	FilterLogEvents(context.Context, *cloudwatchlogs.FilterLogEventsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error)
	DescribeLogGroups(context.Context, *cloudwatchlogs.DescribeLogGroupsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogGroupsOutput, error)
}

var _ LogsAPI = (*cloudwatchlogs.Client)(nil)

// Group is what DescribeLogGroups says of a log group.
type Group struct {
	Name    string
	Created time.Time
	// RetentionDays is how long events are kept; 0 is forever.
	RetentionDays int32
}

// CoveredFrom is the oldest time the group can still hold events for at
// now: its creation, or the retention limit when later.
func (g Group) CoveredFrom(now time.Time) time.Time {
	from := g.Created
	if g.RetentionDays > 0 {
		if r := now.AddDate(0, 0, -int(g.RetentionDays)); r.After(from) {
			from = r
		}
	}
	return from
}

// ErrNoGroup is returned (wrapped) when the log group does not exist.
var ErrNoGroup = errors.New("no such log group")

// DescribeGroup reads the group's creation time and retention.
func DescribeGroup(ctx context.Context, api LogsAPI, name string) (Group, error) {
	p := cloudwatchlogs.NewDescribeLogGroupsPaginator(api, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return Group{}, fmt.Errorf("describe log group %s: %w", name, err)
		}
		for _, g := range page.LogGroups {
			if aws.ToString(g.LogGroupName) != name {
				continue
			}
			return Group{Name: name, Created: time.UnixMilli(aws.ToInt64(g.CreationTime)).UTC(), RetentionDays: aws.ToInt32(g.RetentionInDays)}, nil
		}
	}
	return Group{}, fmt.Errorf("log group %s: %w", name, ErrNoGroup)
}

// Fetch reads the group's events from from to to (both inclusive, to the
// millisecond) with FilterLogEvents, calling fn with each page.
func Fetch(ctx context.Context, api LogsAPI, name string, from, to time.Time, fn func([]Event) error) error {
	in := &cloudwatchlogs.FilterLogEventsInput{
		LogGroupName: aws.String(name),
		StartTime:    aws.Int64(from.UnixMilli()),
		EndTime:      aws.Int64(to.UnixMilli()),
	}
	p := cloudwatchlogs.NewFilterLogEventsPaginator(api, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("read log group %s: %w", name, err)
		}
		events := make([]Event, 0, len(page.Events))
		for _, e := range page.Events {
			events = append(events, Event{ID: aws.ToString(e.EventId), Time: time.UnixMilli(aws.ToInt64(e.Timestamp)).UTC(), Message: aws.ToString(e.Message)})
		}
		if len(events) > 0 {
			if err := fn(events); err != nil {
				return err
			}
		}
	}
	return nil
}
