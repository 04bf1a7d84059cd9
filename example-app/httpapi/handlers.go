package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"

	"go.uber.org/zap"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
)

// maxBody bounds a publish request.
const maxBody = 1 << 20

type handlers struct {
	pub *redisstream.Publisher
	log *zap.Logger
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
