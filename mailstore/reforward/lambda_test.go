package reforward

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore"
)

// lambdaSource is a memSource that knows what the forwarding Lambda did
// (as the index does once it has read the Lambda's log).
type lambdaSource struct {
	*memSource
	fw map[string]mailstore.Forward
}

func (s lambdaSource) LambdaForward(_ context.Context, key string) (mailstore.Forward, error) {
	return s.fw[key], nil
}

func TestNeverResendWhatTheLambdaDelivered(t *testing.T) {
	e := newEnv(t)
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	delivered := e.src.put("delivered", message("delivered", "info@acme.example", "PASS"))
	partly := e.src.put("partly", message("partly", "info@acme.example", "PASS"))
	failed := e.src.put("failed", message("failed", "info@acme.example", "PASS"))
	src := lambdaSource{e.src, map[string]mailstore.Forward{
		delivered: {Status: mailstore.ForwardForwarded, Time: at, Destinations: []string{"OPS@team.example", "lead@team.example"}},
		partly:    {Status: mailstore.ForwardForwarded, Time: at, Destinations: []string{"ops@team.example"}},
		failed:    {Status: mailstore.ForwardFailed, Time: at, Destinations: []string{"ops@team.example", "lead@team.example"}, Error: "MessageRejected"},
	}}
	r := e.runner()
	r.Source = src
	p, err := r.Plan(context.Background(), []string{delivered, partly, failed}, Options{Config: testConfig})
	if err != nil {
		t.Fatal(err)
	}
	it := p.Items
	if it[0].Status != StatusSkipped || !strings.Contains(it[0].Reason, "the forwarding Lambda delivered it 2026-12-01T10:00:00Z") {
		t.Errorf("delivered: %s %q", it[0].Status, it[0].Reason)
	}
	if it[1].Status != "" || !slices.Equal(it[1].Destinations, []string{"lead@team.example"}) || len(it[1].Sends) != 1 {
		t.Errorf("partly delivered: %s %v", it[1].Status, it[1].Destinations)
	}
	if it[2].Status != "" || len(it[2].Destinations) != 2 {
		t.Errorf("failed: %s %v", it[2].Status, it[2].Destinations)
	}
	var res []Result
	tot, err := r.Run(context.Background(), p, func(x Result) { res = append(res, x) }, nil)
	if err != nil || tot.Sent != 2 || tot.Skipped != 1 || len(res) != 3 {
		t.Fatalf("run: %+v %v", tot, err)
	}
	if n := len(e.ses.sends); n != 2 || !slices.Equal(e.ses.sends[0].dests, []string{"lead@team.example"}) {
		t.Errorf("SES got %d sends, first to %v", n, e.ses.sends[0].dests)
	}
	// --again sends it all the same.
	p, err = r.Plan(context.Background(), []string{delivered}, Options{Config: testConfig, Again: true})
	if err != nil || p.Items[0].Status != "" || len(p.Items[0].Destinations) != 2 {
		t.Fatalf("--again: %+v %v", p.Items, err)
	}
}
