//go:build bench

package bench

import (
	"cmp"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sesbox/sesbox/mailstore/testutil/peer"
)

// TestBenchColdIndex compares cold indexes of the same generated bucket,
// through the same simulated network, by binaries built from different
// commits: BENCH_BINS is a comma list of sesbox binaries (default: this
// checkout's), each run BENCH_COLD_RUNS times (default 3), alternating,
// every run into a fresh index (with BENCH_PROFILE, a CPU profile of each:
// cold-<binary>-<run>.pprof). It prints each run's wall and CPU per
// message: an A/B of a change to the index path, in one run, which the
// whole bench (minutes apart, a 10-15% spread between runs on a shared
// machine) cannot give.
//
//	go test -tags bench -run TestBenchColdIndex -v ./bench/
func TestBenchColdIndex(t *testing.T) {
	n := envInt("BENCH_N", 10_000)
	runs := envInt("BENCH_COLD_RUNS", 3)
	rtt := envDur("BENCH_RTT", 20*time.Millisecond)
	linkMBs := float64(envInt("BENCH_LINK_MBPS", 50))
	bins := strings.Split(cmp.Or(os.Getenv("BENCH_BINS"), buildSesbox(t)), ",")
	srv := peer.StartS3(t, false)
	admin := srv.Client()
	if _, err := admin.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	newGenerator(1).fill(t, admin, 0, n)
	_, h := newNetProxy(srv.URL, rtt, linkMBs*1e6)
	ps := httptest.NewServer(h)
	defer ps.Close()
	peak := buildPeakRSS(t)
	for r := range runs {
		for b, bin := range bins {
			peer0, self0 := procCPU(t, srv.PID), selfCPU(t)
			res := runPeak(t, peak, bin, profiled(sesboxEnv(t, ps.URL), fmt.Sprintf("cold-%d-%d", b+1, r+1)), "index")
			others := procCPU(t, srv.PID) - peer0 + selfCPU(t) - self0
			fmt.Printf("run %d  %-40s  %6.2f s  %5.3f ms CPU/message  peak RSS %4.0f MB  versitygw+proxy CPU %.1f s\n",
				r+1, bin, res.wall.Seconds(), float64(res.cpu)/float64(n)/1e6, float64(res.maxRSS)/1e6, others.Seconds())
		}
	}
}
