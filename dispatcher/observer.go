package dispatcher

// Observer is told what the engines did with the messages they consumed: the
// Processor of dispatcher/redisstream reports each settled entry and each
// reclaim, the asynq retry side (package asynqretry) each retry it stores and
// each dead letter it writes. It is the one event interface of the module:
// *metrics.Metrics of package dispatcher/metrics implements it, and an app may
// add its own. Methods are called concurrently, on the message path: they must
// be safe for concurrent use and fast.
type Observer interface {
	// ObserveOutcome is called by the Processor once per handled entry,
	// after it acted on it, with the outcome it acted on:
	//   - the Dispatcher's Outcome for Ack, for DeadLetter (after the
	//     dead-letter entries were written) and for Retry (the entry stays
	//     pending for redelivery);
	//   - Action DeadLetter with the same Failures when a Retry on the
	//     MaxDeliveries-th delivery was dead-lettered instead;
	//   - Action DeadLetter with one Failure without a Route for an entry
	//     rejected before any handler ran (too large, or delivered too many
	//     times);
	//   - Action Retry with the same Failures when the dead-letter write
	//     failed, since the entry then stays pending and is delivered again.
	// It is not called for an entry whose handlers were abandoned by an
	// aborted Shutdown: that entry stays pending, unsettled. Like a
	// handler, it must not keep msg after it returns: the Processor reuses
	// its memory.
	ObserveOutcome(msg *Message, o Outcome)
	// Retried is called after a failed run of route was stored to run again
	// outside the stream (a retry task of asynqretry: the first one, handed
	// over through RetryScheduler, and each later one), and by an ordered
	// Processor (redisstream.ProcessorConfig.OrderKey) for each failed run
	// it keeps to run again in place, after a backoff.
	Retried(msg *Message, route string)
	// DeadLettered is called after the failure of route was written to a
	// dead-letter stream outside ObserveOutcome (by the retry side).
	DeadLettered(msg *Message, route string)
	// Reclaimed is called after each reclaim (XAUTOCLAIM) that took over
	// n > 0 idle entries of stream for consumer group group.
	Reclaimed(group, stream string, n int)
}
