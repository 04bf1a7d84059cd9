package activity

// Snapshot is what a Recorder saw up to one moment.
type Snapshot struct {
	// Runs lists the finished route runs in the order they finished.
	Runs []Run
	// InFlight counts, by route, the handlers running at that moment.
	InFlight map[string]int
}

// Handled counts the successful runs, of every route if route is empty.
func (s Snapshot) Handled(route string) int {
	n := 0
	for _, r := range s.Runs {
		if r.Err == nil && (route == "" || r.Route == route) {
			n++
		}
	}
	return n
}

// Retried counts the runs with Attempt > 1 (retries and redeliveries),
// of every route if route is empty.
func (s Snapshot) Retried(route string) int {
	n := 0
	for _, r := range s.Runs {
		if r.Attempt > 1 && (route == "" || r.Route == route) {
			n++
		}
	}
	return n
}

// RunsOf returns the runs of route for the message id, in order.
func (s Snapshot) RunsOf(route, id string) []Run {
	var out []Run
	for _, r := range s.Runs {
		if r.Route == route && r.MessageID == id {
			out = append(out, r)
		}
	}
	return out
}

// Busy counts the handlers in flight.
func (s Snapshot) Busy() int {
	n := 0
	for _, c := range s.InFlight {
		n += c
	}
	return n
}
