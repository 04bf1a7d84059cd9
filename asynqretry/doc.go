// Package asynqretry retries failed routes on github.com/hibiken/asynq: it is
// the dispatcher.RetryScheduler of streamfx (the seed's
// RetrySchedulerProtocol), done per route, on a backoff schedule, a bounded
// number of times, with a dead-letter end.
//
// # Wiring
//
//	sched, err := asynqretry.NewScheduler(rdb, asynqretry.Config{})
//	d := dispatcher.New(dispatcher.Config{Retry: sched})
//	srv, err := asynqretry.NewServer(rdb, d, sched)
//	err = srv.Start(ctx)     // non-blocking, traps no signal
//	...
//	err = srv.Shutdown(ctx)  // graceful, bounded by ctx
//
// Both sides share the application's redis.UniversalClient (built with
// asynq's NewClientFromRedisClient / NewServerFromRedisClient, which never
// close a shared connection); nothing in this package closes it. The package
// does not import fx: the streamfx module wires these calls into an fx
// lifecycle.
//
// # Enqueue side
//
// When a route fails on a stream message, the Dispatcher calls
// Scheduler.ScheduleRetry. The Scheduler enqueues one task of type TaskType
// in Config.Queue, delayed by Config.Backoff(attempt), whose JSON payload holds
// the stream, entry ID, event type, raw fields, route name, run number and
// last error. Its task ID is TaskID(stream, id, route, 0), whatever the
// delivery count, so scheduling a route of a message twice (the same failure
// twice, or the message redelivered from the stream after a retry of another
// route could not be scheduled) stores one task: asynq refuses the second
// with ErrTaskIDConflict, which counts as success. The worker schedules
// later runs under TaskID(stream, id, route, run). The Dispatcher
// acknowledges the stream entry only after every failed route was scheduled;
// when Redis refuses the task, ScheduleRetry returns the error and the entry
// stays pending in the stream. A request whose run number already reached
// Config.MaxAttempts (an entry redelivered that often before a retry could be
// scheduled) is not scheduled: ScheduleRetry writes it to the dead-letter
// stream, and returns nil only once that entry is written.
//
// # Worker side
//
// Server.ProcessTask rebuilds the message (Message.Attempt is the run
// number, 2 for the first retry) and runs only the named route with
// Dispatcher.RunRoute; the routes that succeeded the first time do not run
// again. On failure it enqueues the next run as a new task, until the route
// has run Config.MaxAttempts times; then it writes the message to the
// dead-letter stream (Config.DeadLetterStream, "<stream>:dead" by default) in
// the Processor's format (original fields plus
// dead_route, dead_attempts, dead_reason, dead_stream, dead_id, dead_at). A
// Permanent error, a decode error, or a route that no longer exists
// (dispatcher.ErrRouteNotFound) is dead-lettered at once.
//
// # Two retry mechanisms, one owner each
//
// A route error is never returned to asynq: each run of a route is its own
// task, and the run count lives in the payload, so asynq's retry counter
// never counts route failures. asynq's own retry is kept for one thing only:
// the worker could not record the outcome of a run, because Redis refused
// the next task or the dead-letter entry, or because the server stopped
// (ctx cancelled) while the route ran. ProcessTask then returns an error and
// asynq runs the same task again after Config.Backoff(n), at most
// Config.MaxTaskRetry times. The route then runs again under the same run
// number: the failed run was not recorded, so it does not count. Because the
// next task's ID is deterministic, a run whose next task was stored before
// the error cannot be scheduled twice. After Config.MaxTaskRetry infrastructure
// failures in a row, asynq archives the task: it is not lost, it stays in
// asynq's archive (bounded by asynq: 10,000 tasks, 90 days), visible to
// asynq.Inspector and asynqmon, and can be run again from there.
//
// A task whose payload cannot be decoded cannot be rebuilt: ProcessTask
// returns an error wrapping ErrMalformedTask and asynq.SkipRetry, and asynq
// archives it at once (logged at error level by the Server).
//
// # Delivery
//
// Delivery is at-least-once. A route can run twice for one run number (after
// an infrastructure failure, or when a worker dies after the route succeeded
// and before asynq recorded it). Handlers must be idempotent. A task held by
// a worker process that died is handed out again by asynq once its lease
// expires (about 30s, checked every minute by asynq's recoverer).
//
// A task ID protects against duplicates only while asynq keeps the task: a
// first retry is kept for Config.DedupWindow (asynq's Retention, default 1h)
// after it completed, later runs are deleted once done. Scheduling the same
// route of the same message from the stream after that window creates a new
// retry chain.
//
// # Timing
//
// asynq moves due tasks to its pending list every
// Config.DelayedTaskCheckInterval (100ms by default, 5s in asynq) and an idle
// server polls the queue every Config.TaskCheckInterval (200ms by default,
// 1s in asynq), so a retry runs roughly Backoff plus a few hundred
// milliseconds (BenchmarkRetryLateness measured about 230ms on a local
// redis-server with the defaults). Each asynq task run has asynq's default 30 minute
// deadline; the handler's context reflects it.
//
// # Logging
//
// The asynq server logs through Config.Logger (named "asynq"); asynq's Fatal
// level is logged as an error and never exits. Every route failure handed to
// this package is logged once, named "asynqretry": each retry stored, by
// ScheduleRetry or the worker, at warn level (route, stream, entry ID,
// attempt, next run, error), and each dead letter written at error level.
// Errors returned to asynq (the outcome of a run could not be recorded) are
// logged once, by the Server's asynq ErrorHandler: a warning when asynq will
// run the task again, an error when it archives it. A Redis password is
// never logged.
//
// # Metrics
//
// Config.Observer (a dispatcher.Observer; *metrics.Metrics of
// dispatcher/metrics fits) is told each retry stored, the first one
// (ScheduleRetry) and the later ones (the worker), and each dead letter
// this package writes.
package asynqretry
