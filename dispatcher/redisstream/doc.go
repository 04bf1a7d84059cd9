// Package redisstream is the Redis side of streamfx: a consumer-group
// Processor that feeds a dispatcher.Dispatcher, and a Publisher that writes
// events in the wire format of codex_platform.streams. Both work with any
// redis.UniversalClient (single node, Sentinel or Cluster) and never close it.
//
// # Processor
//
// NewProcessor takes a ProcessorConfig whose zero values mean documented
// defaults. Start creates the consumer group of each stream (MKSTREAM; an
// existing group is fine) and fails if Redis cannot be reached; then it
// runs a pipeline of stages, each one type that owns its goroutines and
// passes batches to the next over channels:
//   - readers, one per stream (reader.go): this consumer's own pending
//     entries first (ID "0"), then new ones (">") in batches of BatchSize,
//     blocking up to Block, reading the next batch while the current one
//     waits for the handlers;
//   - the reclaimer beside them (reclaimer.go): every ReclaimInterval it
//     refreshes the lease of the entries held for long (XCLAIM JUSTID) and
//     takes over the entries idle for MinIdle (XAUTOCLAIM);
//   - the scheduler (scheduler.go): its policy decides which ready entry
//     runs next; the default policy (fifo.go) starts them in the order read,
//     on at most Concurrency workers, and makes the readers wait while it
//     holds a batch. Under a backlog it hands each worker a run of
//     consecutive entries at once (about the entries queued divided by
//     twice Concurrency), which that worker runs one after the other;
//   - the workers (worker.go): Concurrency goroutines shared by every
//     stream that run Dispatcher.Process; a stuck handler holds one of them
//     and never a reader;
//   - the settler (settler.go, settle.go): acts on each outcome, writes dead
//     letters, and acknowledges in batches: one XACK per stream carries
//     every entry settled since the previous one.
//
// When the Dispatcher has batch routes at Start (dispatcher.Dispatcher.OnBatch),
// the scheduler gathers the entries of their types, per stream and type, up
// to the type's MaxBatch or until the first one waited MaxWait, and one
// handler goroutine runs each such batch through
// dispatcher.Dispatcher.ProcessBatch; each entry is then settled on its own
// outcome, as below. Entries of other types start one by one in turn with the
// batches. At a stop, a batch still filling is given back unstarted like any
// entry read but not started. Batch routes added after Start run one message
// at a time.
//
// For each entry the Dispatcher decides (see dispatcher.Dispatcher.Process):
//   - Ack: the entry is acknowledged. An entry without a type, or of a type no
//     route handles, is acknowledged and logged at warn level.
//   - Retry: the entry stays pending. The reclaim loop (XAUTOCLAIM every
//     ReclaimInterval) redelivers it once idle for MinIdle, with
//     Message.Attempt set to its delivery count. On the MaxDeliveries-th
//     delivery a failure sends it to the dead-letter stream instead.
//   - DeadLetter: one dead-letter entry per failed route (the original fields
//     plus reason, route, attempts, source stream and ID; see
//     dispatcher.DeadLetterFields), then the entry is acknowledged. If the
//     dead-letter write fails, the entry is not acknowledged.
//
// The reclaim loop also takes over entries of consumers that died, and
// cleans from the pending list the entries deleted from the stream. An entry
// larger than MaxMessageBytes, or already delivered more than MaxDeliveries
// times, is dead-lettered without running any handler.
//
// Delivery is at least once: an entry may run again after a crash, a lost
// acknowledgement, or a handler slower than MinIdle. Handlers must be
// idempotent.
//
// When Redis goes away the loops back off (exponentially, with jitter, up to
// 1s), the outage is logged once and the recovery once, and consumption
// resumes by itself, within about a second of Redis answering again. A
// deleted group or stream is recreated. A key of the wrong type stops the
// Processor: Done is closed and Err says why.
//
// Shutdown runs the stop sequence (pipeline.stop in processor.go), in this
// order: stop reading (readers and reclaimer return) → the scheduler gives
// back what it holds, unstarted, and each worker gives back the entries of
// its job after the one it runs → wait for the workers within Shutdown's
// context (at its end: log the routes still running and cancel their
// context) → the settler's final acknowledgements → hand back the entries
// read but not started, so that another consumer's next reclaim takes them
// over (see Processor.Shutdown). What did not finish stays pending and is
// delivered again later.
//
// # Ordering
//
// With ProcessorConfig.OrderKey (a field name) or OrderKeyFunc, the
// Processor is ordered: its scheduler runs the entries of one key (per
// stream) one at a time, in stream ID order, and entries of different keys
// concurrently on the Concurrency workers; a key whose entry is slow holds
// one worker and its own later entries, not the other keys. It holds at most
// OrderBuffer entries, and OrderKeyBuffer of one key; beyond that reading
// waits (backpressure), so a key that stays stuck long enough to fill its
// share stops reading until it moves. A failed entry blocks only its key:
// it is retried in place with a backoff, never through the RetryScheduler
// (which would let later entries of its key overtake it), up to
// MaxDeliveries runs, then dead-lettered, and the key goes on; each retry
// in place is reported to the Observer (Retried). Entries
// without a key run unordered, as without OrderKey. OrderStats, and an
// Observer that is an OrderObserver, show the keys held, the entries
// waiting for their key and the longest wait.
//
// What is guaranteed is the order within one Processor: the entries of a
// key it holds run one at a time, in ID order; a reclaimed or redelivered
// entry that comes back while later entries of its key wait runs before
// them. Across consumers of one consumer group there is none: Redis hands
// entries to consumers without regard to keys, so two consumers may run
// entries of one key at the same time and in either order; and when a
// consumer dies, its pending entries run once reclaimed (after MinIdle),
// possibly after later entries of their keys that another consumer read
// meanwhile. A restarted consumer that keeps its name runs its own pending
// entries first, before new ones. Order per key across processes therefore
// needs each key read by one consumer: one consumer per stream, such as
// the owner of a partition of a partitioned stream (a PartitionedProcessor
// whose Processor config sets OrderKey).
//
// # Publisher
//
// Publisher.Publish and PublishBatch append events (see
// dispatcher.EncodeFields), optionally trimming the stream (MAXLEN ~ or
// MINID ~). Request publishes an event with a correlation_id field and waits
// for the reply that a handler sends with Reply: a JSON object written as
// the seed writes it ("json:{...}"), pushed to the list
// "reply:<correlation_id>" (the seed's key), which expires after ReplyTTL.
// Either side may be a Python service using codex_platform.streams.
//
// An event may carry an idempotency key (Event.DedupID, or the DedupID
// option of Publish): within PublisherConfig.DedupWindow (2 minutes by
// default), publishing it again to the same stream writes nothing and
// returns the first entry's ID, so that a producer may retry a publish
// whose reply it lost. One Lua script checks the keys and writes the
// entries atomically; the keys share the stream's hash slot on Redis
// Cluster. Events without a key take the plain XADD path.
//
// # Observability
//
// The package imports no metrics or tracing library; it offers hooks
// instead. ProcessorConfig.Observer is told the final outcome of every
// settled entry and the size of every reclaim (a *metrics.Metrics of
// dispatcher/metrics fits). Processor.LastRead is the time of the last
// successful read, for health.Recency of dispatcher/health.
// The WithFields option may add fields to every published entry, such as
// the W3C trace context with tracing.AppendFields of dispatcher/tracing.
package redisstream
