package httpadapter

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sync"
)

// Shared header values: assigning them allocates nothing. They are never
// modified.
var (
	jsonContentType = []string{"application/json"}
	noStore         = []string{"no-store"}
	nosniff         = []string{"nosniff"}
)

// jsonBuffer holds an encoded response until it is written, so that an
// encoding error can still become a 500.
type jsonBuffer struct {
	buf bytes.Buffer
	enc *json.Encoder
}

var jsonBuffers = sync.Pool{New: func() any {
	j := &jsonBuffer{}
	j.enc = json.NewEncoder(&j.buf)
	return j
}}

// writeJSON encodes v and writes it with status. Responses are never
// cached: some carry a secret shown once.
func writeJSON(w http.ResponseWriter, status int, v any) {
	j := jsonBuffers.Get().(*jsonBuffer)
	defer func() {
		if j.buf.Cap() <= 1<<20 {
			j.buf.Reset()
			jsonBuffers.Put(j)
		}
	}()
	j.buf.Reset()
	if err := j.enc.Encode(v); err != nil {
		// Only a programming error gets here (our types all encode).
		http.Error(w, `{"error":"internal error"}`, http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Cache-Control"] = noStore
	h["X-Content-Type-Options"] = nosniff
	w.WriteHeader(status)
	_, _ = w.Write(j.buf.Bytes())
}
