package dashboard

import (
	"net/http"
	"time"

	"github.com/streamfx/streamfx/dispatcher/inspect"
)

// overviewView is the data of the overview page and fragment.
type overviewView struct {
	Streams   []inspect.StreamStatus
	Chart     chart
	Updated   time.Time
	Error     string
	RefreshMS int64
	ReadOnly  bool
}

// overview serves the overview page.
func (d *Dashboard) overview(w http.ResponseWriter, r *http.Request) {
	v, status := d.overviewData(r)
	d.render(w, status, "overview.html", v)
}

// overviewFragment serves the part of the overview that refreshes: the
// script swaps it in.
func (d *Dashboard) overviewFragment(w http.ResponseWriter, r *http.Request) {
	v, status := d.overviewData(r)
	d.render(w, status, "streams", v)
}

// overviewData reads the status of the streams and records the lag sample.
func (d *Dashboard) overviewData(r *http.Request) (overviewView, int) {
	now := time.Now()
	v := overviewView{Updated: now, RefreshMS: d.cfg.Refresh.Milliseconds(), ReadOnly: d.cfg.ReadOnly}
	st, err := d.in.Status(r.Context(), d.cfg.Streams...)
	if err != nil {
		v.Error = err.Error()
		return v, http.StatusBadGateway
	}
	v.Streams = st
	v.Chart = newChart(d.history.add(now, st), now)
	return v, http.StatusOK
}
