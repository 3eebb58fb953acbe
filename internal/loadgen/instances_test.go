package loadgen

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coffre/coffre/internal/testenv"
)

var instancesFull = flag.Bool("load.instances", false,
	"TestLoadInstances: the full scenario (50 helpers × 3 pages, 200 owners) instead of 5 × 3 and 20")

// instancesRun is the outcome of one scenario against n instances.
type instancesRun struct {
	n       int
	rep     Report
	rss     []int64   // peak RSS per instance
	share   []int     // timed requests per instance
	cpu     []float64 // CPU seconds per instance during the timed phase
	selfCPU float64   // CPU seconds of the load generator (this process)
	allCPU  float64   // CPU seconds of the whole machine
	stack   float64   // CPU seconds of PostgreSQL and MinIO (started by this test)
	busy    float64   // machine CPU busy during the timed phase, 0..1
}

// TestLoadInstances runs the load scenario of TestLoad on PostgreSQL +
// MinIO (started once), first against one `coffre serve`, then against two
// on the same PostgreSQL server and MinIO, each run on a fresh database and
// bucket, and logs both side by side. Each instance runs under GOMEMLIMIT;
// the people of the two-instance run alternate between the instances, as
// behind a load balancer without sticky sessions. Both runs must be free of
// errors besides deliberate 429/503, read back every accepted upload and
// spread the requests over every instance.
func TestLoadInstances(t *testing.T) {
	helpers, owners := 5, 20
	if *instancesFull {
		helpers, owners = 50, 200
	}
	start := time.Now()
	bin := testenv.CoffreBinary(t)
	pg := testenv.Postgres(t)
	mio := testenv.MinIO(t)
	page := pagePhoto(1200, 1600, 1)
	var runs []instancesRun
	for _, n := range []int{1, 2} {
		t.Run(fmt.Sprintf("%d instances", n), func(t *testing.T) {
			env := append(testenv.SharedCoffreEnv(t, bin, pg, mio), "COFFRE_LOG_LEVEL=warn", "GOMEMLIMIT="+memLimit)
			procs := make([]*testenv.CoffreProcess, n)
			urls := make([]string, n)
			for i := range procs {
				procs[i] = testenv.StartCoffre(t, bin, fmt.Sprintf("instance %d", i+1),
					[]string{"--data-dir", t.TempDir()}, env)
				urls[i] = procs[i].URL
			}
			run := instancesRun{n: n, cpu: make([]float64, n)}
			var before, after cpuSample
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
			defer cancel()
			rep, err := Run(ctx, Config{URLs: urls, Helpers: helpers, PagesPerHelper: 3, Owners: owners,
				Page: page, Secret: "citron bougie marmotte flocon",
				Mark: func(phase string) {
					if phase == "load" {
						before = sampleCPU(procs)
					} else {
						after = sampleCPU(procs)
					}
				}})
			if err != nil {
				t.Fatal(err)
			}
			run.rep = rep
			run.busy = after.busyShare(before)
			run.allCPU = (after.busy - before.busy) / clockTicks
			run.stack = after.stack - before.stack
			run.selfCPU = after.self - before.self
			for i, p := range procs {
				rss, err := p.PeakRSS()
				if err != nil {
					t.Fatal(err)
				}
				run.rss = append(run.rss, rss)
				run.share = append(run.share, rep.ByURL[p.URL])
				run.cpu[i] = after.procs[i] - before.procs[i]
			}
			t.Logf("%d instance(s), helpers %d × 3 pages, owners %d, GOMEMLIMIT=%s each: %s; peak RSS %v MiB; requests per instance %v; by status %v; by kind %v",
				n, helpers, owners, memLimit, rep, mib(run.rss), run.share, rep.ByStatus, rep.Latency)
			if rep.Errors != 0 {
				t.Errorf("%d errors: %v", rep.Errors, rep.ErrSamples)
			}
			if rep.Accepted != helpers*3 {
				t.Errorf("accepted %d uploads, want %d", rep.Accepted, helpers*3)
			}
			if rep.Verified != rep.Accepted {
				t.Errorf("%d accepted uploads, %d read back: lost uploads", rep.Accepted, rep.Verified)
			}
			for i, rss := range run.rss {
				if rss > rssBound {
					t.Errorf("instance %d: peak RSS %d MiB over %d MiB", i+1, rss>>20, rssBound>>20)
				}
				// Round-robin per request: every instance takes close to
				// its share (uploads retried after a 503 may skew it).
				if least := rep.Requests / n / 2; run.share[i] < least {
					t.Errorf("instance %d served %d of %d requests (fewer than %d)", i+1, run.share[i], rep.Requests, least)
				}
			}
			runs = append(runs, run)
		})
	}
	if len(runs) == 2 {
		t.Logf("one run, %d helpers × 3 pages + %d owners, PostgreSQL + MinIO, GOMEMLIMIT=%s per instance:\n%s",
			helpers, owners, memLimit, sideBySide(runs))
	}
	t.Logf("TestLoadInstances: %s", time.Since(start).Round(time.Millisecond))
}

func mib(b []int64) []int64 {
	out := make([]int64, len(b))
	for i, v := range b {
		out[i] = v >> 20
	}
	return out
}

// sideBySide renders the runs as a Markdown table, one column per run.
func sideBySide(runs []instancesRun) string {
	var b strings.Builder
	row := func(name string, f func(r instancesRun) string) {
		b.WriteString("| " + name)
		for _, r := range runs {
			b.WriteString(" | " + f(r))
		}
		b.WriteString(" |\n")
	}
	row("figure", func(r instancesRun) string { return fmt.Sprintf("%d instance(s)", r.n) })
	b.WriteString("|---" + strings.Repeat("|---", len(runs)) + "|\n")
	ms := func(d time.Duration) string { return d.Round(time.Millisecond).String() }
	row("requests", func(r instancesRun) string {
		return fmt.Sprintf("%d in %s", r.rep.Requests, r.rep.Duration.Round(100*time.Millisecond))
	})
	row("throughput", func(r instancesRun) string { return fmt.Sprintf("%.0f req/s", r.rep.RPS) })
	row("p50 / p95 / p99 (max)", func(r instancesRun) string {
		return fmt.Sprintf("%s / %s / %s (%s)", ms(r.rep.P50), ms(r.rep.P95), ms(r.rep.P99), ms(r.rep.Max))
	})
	row("errors", func(r instancesRun) string { return strconv.Itoa(r.rep.Errors) })
	row("deliberate 429/503 (retried)", func(r instancesRun) string { return strconv.Itoa(r.rep.Busy) })
	row("uploads accepted / read back", func(r instancesRun) string {
		return fmt.Sprintf("%d / %d", r.rep.Accepted, r.rep.Verified)
	})
	row("uploads / lists / downloads", func(r instancesRun) string {
		return fmt.Sprintf("%d / %d / %d", r.rep.Latency["upload"], r.rep.Latency["list"], r.rep.Latency["download"])
	})
	row("requests per instance", func(r instancesRun) string { return join(r.share, func(v int) string { return strconv.Itoa(v) }) })
	row("peak RSS per instance (VmHWM)", func(r instancesRun) string {
		return join(r.rss, func(v int64) string { return fmt.Sprintf("%d MiB", v>>20) })
	})
	row("CPU s per instance (timed phase)", func(r instancesRun) string {
		return join(r.cpu, func(v float64) string { return fmt.Sprintf("%.1f", v) })
	})
	row("CPU s: load generator / PostgreSQL + MinIO / rest of the machine", func(r instancesRun) string {
		rest := r.allCPU - r.selfCPU - r.stack
		for _, v := range r.cpu {
			rest -= v
		}
		return fmt.Sprintf("%.1f / %.1f / %.1f", r.selfCPU, r.stack, rest)
	})
	row("machine CPU busy (timed phase)", func(r instancesRun) string {
		if r.busy < 0 {
			return "n/a"
		}
		return fmt.Sprintf("%.0f %%", 100*r.busy)
	})
	return b.String()
}

func join[T any](vs []T, f func(T) string) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = f(v)
	}
	return strings.Join(s, " + ")
}

// cpuSample is a reading of the Linux CPU counters: the machine's busy and
// total ticks (/proc/stat), and CPU seconds of each process and of this one.
type cpuSample struct {
	busy, total float64
	procs       []float64
	self        float64
	stack       float64 // descendants of this process other than procs
}

// clockTicks is USER_HZ, 100 on every Linux Coffre runs on.
const clockTicks = 100

func sampleCPU(procs []*testenv.CoffreProcess) cpuSample {
	var s cpuSample
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		f := strings.Fields(line)
		for i, v := range f[1:] {
			n, _ := strconv.ParseFloat(v, 64)
			if i >= 8 { // guest time is already counted in user time
				break
			}
			s.total += n
			if i != 3 && i != 4 { // idle, iowait
				s.busy += n
			}
		}
	}
	for _, p := range procs {
		s.procs = append(s.procs, procCPU(strconv.Itoa(p.Cmd.Process.Pid)))
	}
	s.self = procCPU("self")
	s.stack = descendantsCPU(procs)
	return s
}

// descendantsCPU sums the CPU seconds of the live descendants of this
// process (PostgreSQL and its backends, MinIO), leaving out procs.
func descendantsCPU(procs []*testenv.CoffreProcess) float64 {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	parent := map[int]int{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		i := strings.LastIndexByte(string(b), ')')
		if f := strings.Fields(string(b[i+1:])); i >= 0 && len(f) > 1 {
			parent[pid], _ = strconv.Atoi(f[1])
		}
	}
	skip := map[int]bool{}
	for _, p := range procs {
		skip[p.Cmd.Process.Pid] = true
	}
	self := os.Getpid()
	total := 0.0
	for pid := range parent {
		for q, hops := parent[pid], 0; q > 1 && hops < 64; q, hops = parent[q], hops+1 {
			if skip[q] {
				break
			}
			if q == self {
				if !skip[pid] {
					total += procCPU(strconv.Itoa(pid))
				}
				break
			}
		}
	}
	return total
}

// busyShare is the share of the machine's CPU time that was busy between
// s0 and s, or -1 when unknown.
func (s cpuSample) busyShare(s0 cpuSample) float64 {
	if s.total <= s0.total {
		return -1
	}
	return (s.busy - s0.busy) / (s.total - s0.total)
}

// procCPU is the user + system CPU seconds of /proc/<pid>, 0 when unknown.
func procCPU(pid string) float64 {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64) // utime (field 14)
	k, _ := strconv.ParseFloat(f[12], 64) // stime (field 15)
	return (u + k) / clockTicks
}
