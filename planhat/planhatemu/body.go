package planhatemu

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
)

// bodyError is a request body the emulator refuses, with the status to send.
type bodyError struct {
	status int
	msg    string
}

func (e *bodyError) Error() string { return e.msg }

// readJSON reads and decodes a JSON body (numbers kept as json.Number). It
// refuses non-JSON content types, oversized bodies, malformed JSON and
// trailing data, each with an instructive message.
func readJSON(r *http.Request) (any, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && mt != "text/json") {
			return nil, &bodyError{http.StatusUnsupportedMediaType,
				fmt.Sprintf("unsupported Content-Type %q: send a JSON body with Content-Type: application/json", ct)}
		}
	}
	if r.Body == nil {
		return nil, &bodyError{http.StatusBadRequest, "empty body: send a JSON object or array"}
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, &bodyError{http.StatusRequestEntityTooLarge, "request body too large: split the payload into smaller requests"}
		}
		return nil, &bodyError{http.StatusBadRequest, "could not read the request body: " + err.Error()}
	}
	return decodeJSON(raw)
}

// decodeJSON parses exactly one JSON value.
func decodeJSON(raw []byte) (any, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, &bodyError{http.StatusBadRequest, "empty body: send a JSON object or array"}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, &bodyError{http.StatusBadRequest, "malformed JSON body: " + err.Error()}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &bodyError{http.StatusBadRequest, "malformed JSON body: unexpected data after the JSON value"}
	}
	return v, nil
}

// readObject reads a body that must be one JSON object. On any other body it
// answers the error, notObject when the body is JSON but not an object, and
// reports false.
func (s *Server) readObject(w http.ResponseWriter, r *http.Request, notObject string) (map[string]any, bool) {
	v, err := readJSON(r)
	if err != nil {
		s.replyBodyError(w, err)
		return nil, false
	}
	obj, ok := v.(map[string]any)
	if !ok {
		s.writeError(w, http.StatusBadRequest, notObject)
	}
	return obj, ok
}

// replyBodyError answers a readJSON failure.
func (s *Server) replyBodyError(w http.ResponseWriter, err error) {
	if be, ok := errors.AsType[*bodyError](err); ok {
		if be.status == http.StatusRequestEntityTooLarge {
			st := s.Switches().OversizeStatus
			if st == 0 {
				st = be.status
			}
			s.writeError(w, st, be.msg)
			return
		}
		s.writeError(w, be.status, be.msg)
		return
	}
	s.writeError(w, http.StatusBadRequest, err.Error())
}
