// Package partition splits a logical stream into partitions, each its own
// Redis stream, so that one stream's load spreads over the masters of a
// Redis Cluster and each event key stays in one partition.
//
// # Naming
//
// New("orders", 12) names partition i "orders:{orders-<i>-<n>}", with a
// hash tag chosen so that partition i's hash slot falls in the middle of
// the i-th of 12 equal slot ranges: on a cluster whose masters own
// contiguous, equal slot ranges (what redis-cli --cluster create and
// --cluster rebalance leave), the partitions spread evenly over the
// masters. A partition's dead-letter stream and its per-group keys carry
// the same hash tag, so they share its slot. See Stream for the exact rule.
//
// # Keys
//
// An event key (an order ID, an account, a tenant) picks its partition with
// Of: CRC-32 (IEEE) of the key's UTF-8 bytes modulo the partition count,
// which Python computes as zlib.crc32(key.encode("utf-8")) % partitions. The
// README gives the few lines a Python producer needs for both the names and
// the keys; testdata/vectors.json holds what Python computes, and the tests
// check Go against it. Changing the partition count moves most keys to
// another partition: choose it once, generously.
//
// # Ownership
//
// A Coordinator makes one consumer of a group a member that owns
// partitions, the way a Kafka consumer group member owns a topic's
// partitions: each partition is read by at most one live consumer at a
// time. Per group it keeps in Redis:
//   - the members: a sorted set "<name>:members:<group>" of consumer names
//     scored by when their heartbeat expires (Redis time);
//   - per partition, a lease "<partition key>:lease:<group>" holding
//     "<token> <consumer>" with a TTL (taken like SET NX PX), and a fencing
//     token counter "<partition key>:token:<group>" that every acquisition
//     increments (created at the Redis time in milliseconds, so that the
//     tokens keep growing after Redis lost it in a restart).
//
// Every LeaseTTL/3 each member, on its own, refreshes its heartbeat,
// renews its leases, reads every lease's owner and computes the same
// balanced, sticky assignment (each of n members holds ⌊P/n⌋ or ⌈P/n⌉; a
// member keeps what it holds up to its share). It revokes what the
// assignment gives to others (Listener.Revoked; the lease is released when
// that returns) and acquires what it is given that nobody holds
// (Listener.Assigned). A member that leaves (Shutdown) drops out of the
// members and releases each lease as soon as its revoke returns; the
// leases of a member that died expire. A member that cannot renew a lease
// for 3/4 LeaseTTL counts it lost (Listener.Lost) before Redis would give
// it to another. Coordinator.Ack acknowledges entries, and
// Coordinator.Append adds entries to a stream of the partition's slot
// (its dead letters), only while the lease still holds in Redis (one Lua
// script each), so a consumer that lost a partition, even one paused past
// its lease, cannot acknowledge nor dead-letter past the loss.
package partition
