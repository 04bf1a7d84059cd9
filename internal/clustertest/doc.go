// Package clustertest holds the Redis Cluster tests of streamfx: the
// processor, publisher, reclaim, dead-lettering, request/reply and asynq
// retries (through the streamfx fx module) against a real 3-master Redis
// Cluster and a *redis.ClusterClient, with streams spread over the masters;
// scale-out of one consumer group over several consumer processes; and one
// master stopped and restarted under a running processor.
//
// The package has no API: it is tests only. Every test is named
// TestCluster..., so that
//
//	go test -run Cluster ./...
//
// runs the cluster tests of the whole module alone. The scale-out test runs
// its consumers as child processes: it executes the test binary again, and
// TestMain turns such a child into a consumer (see runConsumer) instead of
// running the tests.
//
// The key naming rule the tests check is documented in the README: every
// key the library derives from a stream name is either used alone in a
// command, or shares the stream's hash tag. A stream "{orders}" has its
// dead-letter stream "{orders}:dead" in the same slot; a stream without a
// hash tag works too, because no command touches a stream and its
// dead-letter stream together.
package clustertest
