//go:build bench

package bench

import (
	"cmp"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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

// TestBenchCallgrindColdIndex counts the instructions of a cold `sesbox
// index` of BENCH_N (default 1,000) generated messages in versitygw, no
// proxy, by each binary of BENCH_BINS, under valgrind --tool=callgrind
// (GODEBUG=asyncpreemptoff=1: callgrind stops at the runtime's
// preemption signals). Each run writes callgrind.out.<binary>-<run> into
// BENCH_CALLGRIND (a directory; default a temporary one) and prints its total a
// message (process start and listing included). The machine's load does
// not move the count: an A/B of a change to the index path where
// TestBenchColdIndex's CPU times cannot tell it from the load.
//
//	BENCH_CALLGRIND=/tmp/cg go test -tags bench -run TestBenchCallgrindColdIndex -v ./bench/
func TestBenchCallgrindColdIndex(t *testing.T) {
	dir := cmp.Or(os.Getenv("BENCH_CALLGRIND"), t.TempDir())
	n := envInt("BENCH_N", 1_000)
	runs := envInt("BENCH_COLD_RUNS", 1)
	bins := strings.Split(cmp.Or(os.Getenv("BENCH_BINS"), buildSesbox(t)), ",")
	srv := peer.StartS3(t, false)
	admin := srv.Client()
	if _, err := admin.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	newGenerator(1).fill(t, admin, 0, n)
	for r := range runs {
		for b, bin := range bins {
			out := filepath.Join(dir, fmt.Sprintf("callgrind.out.%d-%d", b+1, r+1))
			cmd := exec.Command("valgrind", "--tool=callgrind", "--callgrind-out-file="+out, bin, "index")
			cmd.Env = append(sesboxEnv(t, srv.URL), "GODEBUG=asyncpreemptoff=1")
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("callgrind of %s: %v\n%s", bin, err, b)
			}
			total, err := callgrindTotal(out)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Printf("run %d  %-40s  %6.3fM instructions/message  %s\n", r+1, bin, float64(total)/float64(n)/1e6, out)
		}
	}
}

// callgrindTotal is the instruction count of a callgrind output file (its
// "totals:" or "summary:" line).
func callgrindTotal(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "totals: "); ok {
			return strconv.ParseInt(strings.Fields(v)[0], 10, 64)
		}
		if v, ok := strings.CutPrefix(l, "summary: "); ok {
			return strconv.ParseInt(strings.Fields(v)[0], 10, 64)
		}
	}
	return 0, fmt.Errorf("%s: no totals line", path)
}
