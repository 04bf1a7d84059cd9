// Package health serves readiness checks of a stream consumer over HTTP.
//
// A Check is a function that returns nil when its part of the process is
// ready. Handler runs a set of named checks concurrently on each request and
// answers 200 when all pass, 503 when any fails, with a JSON body that shows
// every check:
//
//	{"status":"fail","checks":{
//	  "orders":{"status":"ok"},
//	  "reads":{"status":"fail","error":"health: no recent successful read: last successful read 2m0s ago, more than 30s"}}}
//
// Two checks cover a Processor:
//
//   - RedisGroup: the Redis node that holds the stream answers, and the
//     consumer group exists on the stream (XINFO GROUPS), so reading can
//     work;
//   - Recency: the last successful read (XREADGROUP that returned, with or
//     without entries) is recent, so the read loop is alive. The Processor
//     feeds it the time of its last successful read.
//
// The package depends on no metrics or tracing library and needs no global
// state: mount Handler on any mux (for example at /healthz).
package health
