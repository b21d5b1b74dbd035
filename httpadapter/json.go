package httpadapter

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"sync"
)

// id is a UUID as the adapter encodes and decodes it: a string in the
// canonical 8-4-4-4-12 form. It converts to and from uuid.UUID (same
// underlying array), so the adapter needs no UUID package of its own.
type id [16]byte

// MarshalText encodes the canonical form.
func (i id) MarshalText() ([]byte, error) {
	b := make([]byte, 36)
	hex.Encode(b[0:8], i[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], i[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], i[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], i[8:10])
	b[23] = '-'
	hex.Encode(b[24:], i[10:])
	return b, nil
}

// String returns the canonical form.
func (i id) String() string {
	b, _ := i.MarshalText()
	return string(b)
}

// rawID is a parsed UUID. Being an unnamed array type, it is assignable to
// uuid.UUID parameters and fields.
type rawID = [16]byte

// parseID parses the canonical 36-character form of a UUID.
func parseID(s string) (rawID, bool) {
	var out rawID
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return out, false
	}
	j := 0
	for i := 0; i < 36; {
		if s[i] == '-' {
			i++
			continue
		}
		hi, ok1 := unhex(s[i])
		lo, ok2 := unhex(s[i+1])
		if !ok1 || !ok2 {
			return rawID{}, false
		}
		out[j] = hi<<4 | lo
		j++
		i += 2
	}
	return out, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

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
