package dashboard

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/streamfx/streamfx/dispatcher/inspect"
)

// deadView is the data of the dead-letter page.
type deadView struct {
	Stream     string
	DeadStream string
	Streams    []string
	Filter     inspect.Filter
	Letters    []inspect.DeadLetter
	More       bool
	Message    string
	Error      string
	ReadOnly   bool
}

// deadLetters serves the dead letters of ?stream=, filtered by ?type=,
// ?route= and ?reason=.
func (d *Dashboard) deadLetters(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := deadView{
		Stream:   q.Get("stream"),
		Filter:   inspect.Filter{Type: q.Get("type"), Route: q.Get("route"), Reason: q.Get("reason")},
		Message:  q.Get("done"),
		ReadOnly: d.cfg.ReadOnly,
	}
	streams, err := d.streams(r)
	if err != nil {
		v.Error = err.Error()
		d.render(w, http.StatusBadGateway, "dead.html", v)
		return
	}
	v.Streams = streams
	if v.Stream == "" && len(streams) > 0 {
		v.Stream = streams[0]
	}
	if v.Stream == "" {
		d.render(w, http.StatusOK, "dead.html", v)
		return
	}
	v.DeadStream = d.in.DeadLetterStream(v.Stream)
	list, err := d.in.DeadLetters(r.Context(), v.DeadStream, v.Filter, deadPageSize+1)
	if err != nil {
		v.Error = err.Error()
		d.render(w, http.StatusBadGateway, "dead.html", v)
		return
	}
	v.More = len(list) > deadPageSize
	v.Letters = list[:min(len(list), deadPageSize)]
	d.render(w, http.StatusOK, "dead.html", v)
}

// streams returns the configured streams, or every stream.
func (d *Dashboard) streams(r *http.Request) ([]string, error) {
	if len(d.cfg.Streams) > 0 {
		return d.cfg.Streams, nil
	}
	return d.in.Streams(r.Context())
}

// deadAction replays (action=replay) or deletes (action=delete) the dead
// letter id of stream, then sends the browser back to the dead-letter page
// with what happened (303, Post/Redirect/Get). It answers 403 when the
// dashboard is read-only.
func (d *Dashboard) deadAction(w http.ResponseWriter, r *http.Request) {
	if d.cfg.ReadOnly {
		http.Error(w, "dashboard: read-only", http.StatusForbidden)
		return
	}
	stream, id, action := r.PostFormValue("stream"), r.PostFormValue("id"), r.PostFormValue("action")
	if stream == "" || id == "" {
		http.Error(w, "dashboard: stream and id are required", http.StatusBadRequest)
		return
	}
	dead := d.in.DeadLetterStream(stream)
	f := inspect.Filter{IDs: []string{id}}
	var (
		msg string
		err error
	)
	switch action {
	case "replay":
		var res []inspect.Replayed
		res, err = d.in.Replay(r.Context(), dead, f, inspect.ReplayOptions{})
		msg = replayMessage(id, res)
	case "delete":
		var ids []string
		ids, err = d.in.Purge(r.Context(), dead, f)
		msg = fmt.Sprintf("deleted %d dead letter(s)", len(ids))
	default:
		http.Error(w, "dashboard: action must be replay or delete", http.StatusBadRequest)
		return
	}
	switch {
	case errors.Is(err, inspect.ErrInvalidFilter):
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	case err != nil:
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	back := url.Values{"stream": {stream}, "done": {msg}}
	// Relative, so that it works under any mount prefix (http.Redirect
	// would make it absolute from the stripped path).
	w.Header().Set("Location", "dead?"+back.Encode())
	w.WriteHeader(http.StatusSeeOther)
}

// replayMessage says what a replay of id did.
func replayMessage(id string, res []inspect.Replayed) string {
	if len(res) == 0 {
		return "dead letter " + id + " is gone: already replayed or deleted, nothing published"
	}
	r := res[0]
	if r.Published {
		return fmt.Sprintf("replayed %s as %s/%s", id, r.Target, r.EntryID)
	}
	return fmt.Sprintf("removed %s: its entry was already replayed as %s/%s", id, r.Target, r.EntryID)
}
