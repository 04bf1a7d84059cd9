package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
)

// report prints the table, the memory figures and, last, the RESULT line.
func (b *bench) report(w io.Writer) {
	r := b.res
	fmt.Fprintf(w, "\nstreamfx bench: N=%d, %d-byte entries (%d variants), redis %s at %s, GOMAXPROCS=%d, %s\n\n",
		b.opts.n, b.data.bytes, len(b.data.payloads), b.env.version, b.env.addr, runtime.GOMAXPROCS(0), runtime.Version())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\t messages\t seconds\t   msgs/s\t µs CPU/msg\tnote")
	for _, row := range r.rows {
		cpu := "-"
		if row.cpu > 0 {
			cpu = strconv.FormatFloat(float64(row.cpu)/1e3/float64(row.msgs), 'f', 2, 64)
		}
		fmt.Fprintf(tw, "%s\t%9d\t%8.3f\t%9.0f\t%11s\t%s\n", row.scenario, row.msgs, row.elapsed.Seconds(), row.rate(), cpu, row.note)
	}
	_ = tw.Flush()
	fmt.Fprintln(w)
	if r.memRaw != nil && r.memStreamfx != nil {
		fmt.Fprintln(w, "consume, per message (whole process, last run):")
		fmt.Fprintf(w, "  raw loop:  %6.0f bytes %6.1f allocs %6.2f µs CPU\n",
			r.memRaw.bytesPerMsg(), r.memRaw.allocsPerMsg(), r.memRaw.cpuPerMsg())
		fmt.Fprintf(w, "  streamfx:  %6.0f bytes %6.1f allocs %6.2f µs CPU\n",
			r.memStreamfx.bytesPerMsg(), r.memStreamfx.allocsPerMsg(), r.memStreamfx.cpuPerMsg())
	}
	if r.partitionedSkipped != "" {
		fmt.Fprintf(w, "partitioned scenario skipped: %s\n", r.partitionedSkipped)
	}
	fmt.Fprintf(w, "peak RSS of this process: %s\n", peakRSS())
	fmt.Fprintln(w, "µs CPU/msg: CPU time of this process (not of redis-server) per message, least of the runs.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, b.resultLine())
}

// resultLine is the machine-readable summary; a figure whose scenario did
// not run is "-".
func (b *bench) resultLine() string {
	r := b.res
	fields := []struct{ key, val string }{
		{"consume_ratio", ratio(r.consumeStreamfx, r.consumeRaw)},
		{"publish_batch_ratio", ratio(r.batchStreamfx, r.batchRaw)},
		{"publish_single_ratio", ratio(r.singleStreamfx, r.singleRaw)},
		{"sleep1ms_c64_msgs_per_s", number(r.sleep, 0)},
		{"p99_ms", "-"},
		{"allocs_per_msg", "-"},
		{"dedup_publish_ratio", ratio(r.dedupKeyed, r.dedupPlain)},
		{"batch_ratio", ratio(r.batch1ms, r.perMsg1ms)},
		{"cpu_ratio", ratio(float64(r.cpuStreamfx), float64(r.cpuRaw))},
		{"ordered_ratio", ratio(r.ordered, r.unordered)},
		{"idempotent_consume_ratio", ratio(r.idemRoute, r.plainRoute)},
		{"partitioned_scale", ratio(r.partitioned3, r.partitioned1)},
	}
	if r.lat != nil {
		fields[4].val = number(float64(r.lat.p99)/1e6, 3)
	}
	if r.memStreamfx != nil {
		fields[5].val = number(r.memStreamfx.allocsPerMsg(), 1)
	}
	var sb strings.Builder
	sb.WriteString("RESULT")
	for _, f := range fields {
		sb.WriteString(" " + f.key + "=" + f.val)
	}
	return sb.String()
}

func ratio(a, b float64) string {
	if a == 0 || b == 0 {
		return "-"
	}
	return number(a/b, 3)
}

func number(v float64, prec int) string {
	if v == 0 {
		return "-"
	}
	return strconv.FormatFloat(v, 'f', prec, 64)
}

// peakRSS returns the peak resident set size of this process (VmHWM), or
// "n/a" where /proc is missing.
func peakRSS() string {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "n/a"
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err == nil {
				return fmt.Sprintf("%.1f MiB", float64(kb)/1024)
			}
		}
	}
	return "n/a"
}
