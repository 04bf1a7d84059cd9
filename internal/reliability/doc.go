// Package reliability holds the reliability and security suite of streamfx:
// tests that do the bad things for real, against a real redis-server on
// loopback, and report what happened. It has no API; everything lives in its
// _test.go files. Run it with `task reliability` (or
// `go test -count=1 -run Reliability -v ./internal/reliability/`).
//
// Scenarios (each bounded in time and message count, each cleaning up):
//
//   - TestReliabilityConsumerKilled: two consumer processes (re-executions
//     of the test binary) share a group; one is killed with SIGKILL
//     mid-stream and the survivor reclaims its pending entries. Every entry
//     is handled at least once; the duplicates are exactly entries the
//     killed process held.
//   - TestReliabilityRedisRestart: redis-server with an fsynced append-only
//     file is stopped with SIGTERM, then with SIGKILL, and started again on
//     the same port while a publisher and a processor run. Every entry whose
//     XADD returned an ID is handled.
//   - TestReliabilityStopUnderLoad: Shutdown with handlers in flight, then a
//     new processor (same consumer name, then a new one). Nothing is lost
//     and nothing is handled twice.
//   - TestReliabilityPoison: failing, panicking and permanently failing
//     messages end in the dead-letter stream with their reason, while the
//     good ones flow past them.
//   - TestReliabilityBadInput: fields the codec rejects, no type, a type
//     nobody handles, binary garbage and entries beyond MaxMessageBytes:
//     each gets its documented outcome, and the processor keeps going.
//   - TestReliabilityLongRun: a long run (RELIABILITY_LONG_N messages,
//     default 200,000) with the heap and RSS measured at start and end, and
//     no goroutine left after Shutdown (goleak).
//   - TestReliabilityOversizedReclaimed, TestReliabilityUnroutableDeadLettered:
//     an oversized entry left pending by a dead consumer is dead-lettered
//     once; with DeadLetterUnroutable, entries without a type or route are
//     dead-lettered instead of acknowledged.
//   - TestReliabilityReclaimDuringAckRetry: an entry whose acknowledgement is
//     being retried is not run again when the reclaim loop claims it.
//   - TestReliabilityBatchRoute (20,000 events) and TestScenarioBatchRoute200k
//     (200,000, only with STREAMFX_SCENARIOS=1, run by .ci/run without the
//     race detector): a batch route with MaxBatch 500 over a backlog, three
//     items of an early batch failing once and retried alone through asynq,
//     and a clean stop a third of the way with batches running and filling,
//     then a second processor. Every event is handled once (the three
//     twice, the second time alone) and nothing stays pending.
//   - TestReliabilityACLUser: the processor, the publisher and request/reply
//     work as a Redis ACL user limited to the README's ACL SETUSER line.
//   - TestReliabilityPasswordNotLogged: a Redis URL's password appears in no
//     log line, with a wrong password, through an outage and while Redis
//     rejects the credentials.
//
// The tests run one after the other (they load the machine and check for
// leaked goroutines). Under the race detector the message counts are
// smaller. At the end the suite prints a summary table: scenario, messages,
// handled, lost, duplicates, time.
package reliability
