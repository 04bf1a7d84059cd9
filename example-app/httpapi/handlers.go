package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/streamfx"
)

// maxBody bounds a publish request.
const maxBody = 1 << 20

type handlers struct {
	pub   *redisstream.Publisher
	rdb   redis.UniversalClient
	procs *streamfx.Processors
	log   *zap.Logger
}

// publishRequest is the body of POST /publish.
type publishRequest struct {
	Stream  string         `json:"stream"`
	Type    string         `json:"type"`
	Payload map[string]any `json:"payload"`
}

// publish appends {"type", "payload"} to "stream" and answers 202 with the
// entry ID.
func (h *handlers) publish(w http.ResponseWriter, r *http.Request) {
	var req publishRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.UseNumber() // keep every digit of large integers
	if err := dec.Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "body: " + err.Error()})
		return
	}
	if req.Stream == "" || req.Type == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": `"stream" and "type" are required`})
		return
	}
	id, err := h.pub.Publish(r.Context(), req.Stream, req.Type, req.Payload)
	switch {
	case errors.Is(err, dispatcher.ErrEncode):
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	case err != nil:
		h.log.Warn("publish failed", zap.String("stream", req.Stream), zap.Error(err))
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
		return
	}
	h.log.Info("published over HTTP", zap.String("stream", req.Stream), zap.String("type", req.Type), zap.String("id", id))
	writeJSON(w, http.StatusAccepted, map[string]string{"id": id})
}

// healthz answers 200 when Redis answers a PING and every processor runs,
// 503 otherwise.
func (h *handlers) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), time.Second)
	defer cancel()
	status, code := map[string]string{"status": "ok", "redis": "ok", "processors": "running"}, http.StatusOK
	if err := h.rdb.Ping(ctx).Err(); err != nil {
		status["status"], status["redis"], code = "unavailable", err.Error(), http.StatusServiceUnavailable
	}
	for _, p := range h.procs.All() {
		select {
		case <-p.Done():
			status["status"], status["processors"], code = "unavailable", "stopped", http.StatusServiceUnavailable
		default:
		}
	}
	writeJSON(w, code, status)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}
