// Package metrics exports Prometheus metrics for a streamfx consumer: route
// runs handled and failed, handler duration, retries, dead letters, reclaimed
// and unroutable entries, and (through LagCollector) the lag and pending count
// of consumer groups read from Redis.
//
// Nothing is registered globally: New registers on the prometheus.Registerer
// it is given (a prometheus.NewRegistry() in tests, prometheus.DefaultRegisterer
// in an application that wants it). Every metric is in the "streamfx"
// namespace. To add labels shared by a whole process (service, instance),
// wrap the registerer with prometheus.WrapRegistererWith.
//
// # Metrics
//
//	streamfx_messages_handled_total{consumer_group,stream,type,route}       counter   route runs that returned nil
//	streamfx_messages_failed_total{consumer_group,stream,type,route}        counter   route runs that returned an error or panicked
//	streamfx_handler_duration_seconds{consumer_group,stream,type,route}     histogram duration of one route run
//	streamfx_messages_retried_total{consumer_group,stream,type,route}       counter   failed route runs that will run again
//	streamfx_messages_dead_lettered_total{consumer_group,stream,type,route} counter   route failures written to a dead-letter stream
//	streamfx_messages_unroutable_total{consumer_group,stream,reason}        counter   entries no route could take (reason: no_type, no_route, too_large, other)
//	streamfx_messages_reclaimed_total{consumer_group,stream}                counter   pending entries reclaimed from idle consumers
//	streamfx_batch_size{consumer_group,stream,type,route}                   histogram messages per call of a batch route (BatchMiddleware)
//	streamfx_group_lag{consumer_group,stream}                               gauge     entries not yet delivered to the group (LagCollector)
//	streamfx_group_pending{consumer_group,stream}                           gauge     entries delivered but not acknowledged (LagCollector)
//	streamfx_group_up{consumer_group,stream}                                gauge     1 if XINFO GROUPS answered and the group exists (LagCollector)
//	streamfx_order_keys_active{consumer_group,stream}                       gauge     keys with an entry held, summed over the ordered Processors (ObserveOrder)
//	streamfx_order_entries_waiting{consumer_group,stream}                   gauge     entries held behind an earlier entry of their key, summed likewise (ObserveOrder)
//	streamfx_order_longest_wait_seconds{consumer_group,stream}              gauge     how long the longest of those has waited, over the Processors (ObserveOrder)
//
// # Cardinality
//
// Label values never come from arbitrary message content. "consumer_group"
// is the consumer group that delivered the entry
// (dispatcher.Message.ConsumerGroup, set by the Processor and kept on asynq
// retries; empty for a message built elsewhere): one Metrics covers every
// consumer group of a process. (Before this release the label was "group":
// a dashboard or alert that selects by group must say consumer_group now.)
// "stream" is the stream the Processor read the entry
// from, so it is one of the configured streams. "type" and "route" are the
// event type and the name of a route mounted on a Dispatcher whose
// Config.Middleware includes this Metrics' Middleware: a message of a type no
// route handles is counted in streamfx_messages_unroutable_total with a
// fixed reason, and as type="unknown", route="" when it is dead-lettered; a
// route name this Metrics never saw mounted is counted as type="unknown",
// route="unknown". The number of series is therefore bounded by
// consumer groups x streams x routes.
//
// # Wiring
//
// Handled, failed and duration come from Middleware, installed once in
// dispatcher.Config.Middleware; labels are resolved when a route is mounted,
// so the per-message cost is a map lookup by stream and three atomic updates.
//
// The other counters need events only the engines see. *Metrics is a
// dispatcher.Observer: set it as redisstream.ProcessorConfig.Observer (outcomes,
// reclaims, retries in place and, being a redisstream.OrderObserver, the
// order gauges of ordered Processors: one Metrics may observe several
// Processors of one consumer group and stream, whose keys it adds up) and
// asynqretry.Config.Observer
// (retries stored and dead letters written by the retry side). The fx module (streamfx/fxmetrics) does this
// wiring.
package metrics
