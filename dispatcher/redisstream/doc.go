// Package redisstream is the Redis side of streamfx: a consumer-group
// Processor that feeds a dispatcher.Dispatcher, and a Publisher that writes
// events in the wire format of codex_platform.streams. Both work with any
// redis.UniversalClient (single node, Sentinel or Cluster) and never close it.
package redisstream
