// Command bench measures streamfx against a raw go-redis loop on the same
// data, in one run, and prints a table followed by one machine-readable line:
//
//	RESULT consume_ratio=... publish_batch_ratio=... publish_single_ratio=... sleep1ms_c64_msgs_per_s=... p99_ms=... allocs_per_msg=... dedup_publish_ratio=... batch_ratio=... cpu_ratio=... ordered_ratio=... idempotent_consume_ratio=... partitioned_scale=...
//
// It starts its own redis-server on a free loopback port, or uses REDIS_URL
// if set (its keys are then prefixed with "streamfx-bench:<pid>:" and deleted
// afterwards). Run it with `task bench` or:
//
//	go run ./internal/cmd/bench [-n 200000] [-cpuprofile cpu.out]
//
// The number of messages comes from -n, else from the BENCH_N environment
// variable, else 200000. Absolute rates depend on the machine and on what
// else runs on it; the ratios compare runs made seconds apart on the same
// Redis, so they are the figures to compare between machines. Every scenario
// is bounded by -timeout; the command exits with status 1 if one fails, for
// example when a message is not acknowledged.
//
// The consume and publish comparisons run -rounds times (default 3),
// alternating streamfx and raw, each run on a fresh stream; the table shows
// the best run and the range, and the CPU time of this process per message
// (the least of the runs), which tells more than the rates on a loaded
// machine; cpu_ratio in the RESULT line divides the Processor's by the raw
// loop's. The raw publish loops write fields encoded beforehand, so the
// publish ratios include the Publisher's encoding; one more raw batch
// encodes with encoding/json in the loop, for comparison.
//
// The dedup scenario compares PublishBatch with a DedupID on every event to
// PublishBatch without (dedup_publish_ratio), alternating the two; the
// idempotent scenario, the Processor with an idempotent no-op route (a
// completion marker written per message) to the same with a plain one
// (idempotent_consume_ratio).
//
// The batch scenarios consume -batch-n messages (default min(n, 50000))
// with a handler costing 1 ms per call (a simulated bulk insert), once as a
// batch route with MaxBatch 500 and once as a per-message route at the
// default Concurrency: batch_ratio is the batch route's rate divided by the
// per-message route's. The same pair with a no-op handler is in the table.
//
// The ordered scenario runs the 1 ms handler at -sleep-concurrency with
// OrderKey "customer_id" (1000 keys, the dataset's variants in turn) and
// without, alternating -rounds times (ordered_ratio: ordered msgs/s over
// unordered).
//
// The partitioned scenario starts a 3-master Redis Cluster of its own
// (redis-server in cluster mode, joined with redis-cli --cluster create;
// without them, it says why and is skipped) and consumes min(n, 100000)
// no-op messages with one Processor on one unpartitioned stream, then with
// 3 PartitionedProcessors, each with its own cluster client, on 12
// partitions (1000 keys), alternating -rounds times: partitioned_scale is
// the 3 consumers' rate over the one's. Each run publishes first, behind a
// group at the end of the streams, starts the consumers (the 3 own 4
// partitions each before the clock starts), then moves the group to the
// start; the row notes the partitions per master and the masters' CPU per
// message (INFO cpu). All of it runs on this one machine, so the figure
// shows the cost of partitioning here, not the capacity of 3 machines.
//
// -only consume,sleep,ordered,batch,publish,dedup,idempotent,latency,partitioned runs some scenarios (the others are
// "-" in the RESULT line). With -cpuprofile, each scenario carries the pprof
// label scenario=<name>: `go tool pprof -tagfocus scenario=consume-streamfx`
// shows one of them.
package main
