// Package inspect is the operator's view of streamfx streams: what the
// streamfx command and the dashboard show and do, as a library with no
// command-line or HTTP code in it.
//
// An Inspector reads, through any redis.UniversalClient (single node or
// Cluster; it never closes the client):
//   - Status: each stream's length, its consumer groups with lag, pending
//     count, oldest pending entry and consumers, and the length of its
//     dead-letter stream;
//   - Pending: the pending entries of a group, with consumer, idle time,
//     delivery count and event type;
//   - DeadLetters: the entries of a dead-letter stream decoded with the
//     dispatcher codec (dispatcher.DecodeFields) and the dead-letter fields
//     the engine writes (dispatcher.DeadReasonField and the others), selected
//     by a Filter;
//   - Tail: new entries of a stream as they arrive.
//
// and it writes:
//   - Replay: publishes selected dead letters back to their source stream (or
//     another one), exactly once per source entry, and removes them from the
//     dead-letter stream (see Replay for what holds after a crash);
//   - Purge: removes selected dead letters;
//   - Trim: removes the entries of a stream that every consumer group has
//     acknowledged, and nothing else (see TrimPoint for the rule). The
//     Processor's retention runs the same rule.
package inspect
