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
package partition
