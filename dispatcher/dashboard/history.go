package dashboard

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/streamfx/streamfx/dispatcher/inspect"
)

// minSampleGap is the least time between two lag samples.
const minSampleGap = time.Second

// sample is the lag of every group at one time, keyed "stream / group".
type sample struct {
	at  time.Time
	lag map[string]int64
}

// history keeps the lag samples of the last window.
type history struct {
	window time.Duration
	mu     sync.Mutex
	s      []sample
}

func newHistory(window time.Duration) *history { return &history{window: window} }

// add records the lags of st at now, unless the last sample is younger than
// minSampleGap, drops samples older than the window, and returns a copy of
// what is kept.
func (h *history) add(now time.Time, st []inspect.StreamStatus) []sample {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.s) == 0 || now.Sub(h.s[len(h.s)-1].at) >= minSampleGap {
		lag := make(map[string]int64)
		for _, s := range st {
			for _, g := range s.Groups {
				lag[seriesName(s.Stream, g.Name)] = g.Lag
			}
		}
		h.s = append(h.s, sample{at: now, lag: lag})
	}
	cut := 0
	for cut < len(h.s) && now.Sub(h.s[cut].at) > h.window {
		cut++
	}
	h.s = slices.Delete(h.s, 0, cut)
	return slices.Clone(h.s)
}

// seriesName names the lag series of a group.
func seriesName(stream, group string) string { return stream + " / " + group }

// Size of the chart's drawing area, in SVG units.
const (
	chartWidth  = 720
	chartHeight = 140
)

// chart is the lag chart as the template draws it.
type chart struct {
	Width, Height int
	// ViewWidth and ViewHeight frame the drawing area with a margin for the
	// lines' width.
	ViewWidth, ViewHeight int
	Max                   int64
	Span                  string // how far back the chart goes, "3m20s"
	Series                []series
}

// series is the line of one group.
type series struct {
	Name   string
	Points string // SVG polyline points
	Last   int64
	Color  int // index into the stylesheet's palette (.c0 to .c5)
}

// newChart scales samples into chart lines: time from the first sample to
// now on x, lag from 0 to the largest on y.
func newChart(samples []sample, now time.Time) chart {
	c := chart{Width: chartWidth, Height: chartHeight, ViewWidth: chartWidth + 8, ViewHeight: chartHeight + 12, Max: 1}
	if len(samples) == 0 {
		return c
	}
	names := map[string]bool{}
	for _, s := range samples {
		for name, lag := range s.lag {
			names[name] = true
			c.Max = max(c.Max, lag)
		}
	}
	span := max(now.Sub(samples[0].at), minSampleGap)
	c.Span = span.Round(time.Second).String()
	for i, name := range slices.Sorted(maps.Keys(names)) {
		var pts []string
		var last int64
		for _, s := range samples {
			lag, ok := s.lag[name]
			if !ok {
				continue
			}
			x := float64(chartWidth) * float64(s.at.Sub(samples[0].at)) / float64(span)
			y := float64(chartHeight) * (1 - float64(lag)/float64(c.Max))
			pts = append(pts, strconv.FormatFloat(x, 'f', 1, 64)+","+strconv.FormatFloat(y, 'f', 1, 64))
			last = lag
		}
		c.Series = append(c.Series, series{Name: name, Points: strings.Join(pts, " "), Last: last, Color: i % 6})
	}
	return c
}
