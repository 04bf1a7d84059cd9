package asynqretry

import "errors"

// ErrClosed is returned by Scheduler.ScheduleRetry after Scheduler.Close, and
// by Server.Start after Server.Shutdown. A Dispatcher that gets it from
// ScheduleRetry leaves the message pending in its stream.
var ErrClosed = errors.New("asynqretry: closed")

// ErrInvalidRequest is returned by Scheduler.ScheduleRetry for a RetryRequest
// without a message, a stream, an entry ID or a route name.
var ErrInvalidRequest = errors.New("asynqretry: invalid retry request")

// ErrInvalidConfig is returned by NewScheduler and NewServer for a
// configuration or an argument they cannot work with (nil client, nil
// dispatcher, negative limits, invalid queue name).
var ErrInvalidConfig = errors.New("asynqretry: invalid configuration")

// ErrMalformedTask is returned by Server.ProcessTask for a task whose payload
// cannot be decoded into a retry. It wraps asynq.SkipRetry, so asynq archives
// the task at once (nothing can be rebuilt from it; it stays visible in
// asynq's archive for inspection).
var ErrMalformedTask = errors.New("asynqretry: malformed retry task")
