package reliability

import (
	"fmt"
	"io"
	"sync"
	"testing"
	"text/tabwriter"
	"time"
)

// row is one line of the summary table.
//
// messages counts the entries the scenario published (or, for the restart
// scenario, those whose XADD returned an ID); handled counts those that
// reached a documented end: handled by a route, dead-lettered, or
// acknowledged and logged as unroutable. lost is messages - handled and
// must be 0. duplicates counts handler runs beyond the first.
type row struct {
	scenario   string
	messages   int
	handled    int
	lost       int
	duplicates int
	elapsed    time.Duration
	notes      string
	failed     bool
}

// summary is the table of every scenario's row, safe for concurrent use.
type summary struct {
	mu   sync.Mutex
	rows []row
}

// add records r when t ends, marked failed if t failed.
func (s *summary) add(t *testing.T, r row) {
	t.Helper()
	t.Logf("%s: messages=%d handled=%d lost=%d duplicates=%d time=%v %s",
		r.scenario, r.messages, r.handled, r.lost, r.duplicates, r.elapsed.Round(time.Millisecond), r.notes)
	t.Cleanup(func() {
		r.failed = t.Failed()
		s.mu.Lock()
		defer s.mu.Unlock()
		s.rows = append(s.rows, r)
	})
}

// print writes the table to w; nothing if no scenario ran.
func (s *summary) print(w io.Writer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.rows) == 0 {
		return
	}
	fmt.Fprintf(w, "\nreliability summary (race detector: %v)\n", raceEnabled)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\tmessages\thandled\tlost\tduplicates\ttime\tresult\t")
	for _, r := range s.rows {
		result := "ok"
		if r.failed {
			result = "FAIL"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%v\t%s\t\n", r.scenario, r.messages, r.handled,
			r.lost, r.duplicates, r.elapsed.Round(10*time.Millisecond), result)
	}
	_ = tw.Flush()
	for _, r := range s.rows {
		if r.notes != "" {
			fmt.Fprintf(w, "  %s: %s\n", r.scenario, r.notes)
		}
	}
}
