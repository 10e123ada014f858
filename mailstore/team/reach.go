package team

import (
	"context"
	"errors"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// RestartWait is how long a call waits out a refused connection once the
// store has talked to the table: a table restarting (dynalite, DynamoDB
// Local) refuses connections for a few seconds, and every operator's run
// stopped on it. Before the first answer a refused connection still fails
// fast (a wrong --dynamodb-endpoint: see s3store.FailFastRefused).
const RestartWait = 30 * time.Second

// restartPause is the pause between attempts while waiting.
const restartPause = 500 * time.Millisecond

// patientAPI is the client with every call patient once the store has
// talked to the table. A refused connection never reached the table, so
// trying the same request again is safe for the conditional writes too:
// a claim is still taken by the table's answer, never assumed.
type patientAPI struct {
	dynamoAPI
	s      *Store
	talked atomic.Bool
}

func (p *patientAPI) opts(opts []func(*dynamodb.Options)) []func(*dynamodb.Options) {
	if !p.talked.Load() {
		return opts
	}
	return append(opts, func(o *dynamodb.Options) {
		if base, ok := o.Retryer.(aws.RetryerV2); ok {
			o.Retryer = &waitRefused{RetryerV2: base, onWait: p.s.OnWait}
		}
	})
}

func answered[T any](p *patientAPI, out T, err error) (T, error) {
	if err == nil {
		p.talked.Store(true)
	}
	return out, err
}

func (p *patientAPI) GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	out, err := p.dynamoAPI.GetItem(ctx, in, p.opts(opts)...)
	return answered(p, out, err)
}

func (p *patientAPI) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	out, err := p.dynamoAPI.PutItem(ctx, in, p.opts(opts)...)
	return answered(p, out, err)
}

func (p *patientAPI) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	out, err := p.dynamoAPI.UpdateItem(ctx, in, p.opts(opts)...)
	return answered(p, out, err)
}

func (p *patientAPI) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	out, err := p.dynamoAPI.Query(ctx, in, p.opts(opts)...)
	return answered(p, out, err)
}

func (p *patientAPI) Scan(ctx context.Context, in *dynamodb.ScanInput, opts ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	out, err := p.dynamoAPI.Scan(ctx, in, p.opts(opts)...)
	return answered(p, out, err)
}

// waitRefused is one call's retryer while the store waits for the table:
// a refused connection is tried again every restartPause for up to
// RestartWait; every other error is left to the base retryer and its
// own bound on attempts.
type waitRefused struct {
	aws.RetryerV2
	onWait func(error)
	since  time.Time // the first refusal of this call
	extra  int       // attempts spent waiting
}

// waitAttempts bounds the attempts a wait can add (RestartWait/restartPause).
const waitAttempts = int(RestartWait / restartPause)

func (w *waitRefused) MaxAttempts() int { return w.RetryerV2.MaxAttempts() + waitAttempts }

func (w *waitRefused) IsErrorRetryable(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || w.RetryerV2.IsErrorRetryable(err)
}

func (w *waitRefused) RetryDelay(attempt int, err error) (time.Duration, error) {
	if errors.Is(err, syscall.ECONNREFUSED) {
		if w.since.IsZero() {
			w.since = time.Now()
		}
		if time.Since(w.since) < RestartWait {
			w.extra++
			if w.onWait != nil {
				w.onWait(err)
			}
			return restartPause, nil
		}
		return 0, &retry.MaxAttemptsError{Attempt: attempt, Err: err}
	}
	if attempt-w.extra >= w.RetryerV2.MaxAttempts() {
		return 0, &retry.MaxAttemptsError{Attempt: attempt, Err: err}
	}
	return w.RetryerV2.RetryDelay(attempt-w.extra, err)
}
