package console

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/planbridge/planbridge/actions"
	"github.com/planbridge/planbridge/httpapi"
)

// jsonError answers a /v1/admin/… error in the REST door's error shape.
func jsonError(w http.ResponseWriter, r *http.Request, code actions.Code, msg string) {
	httpapi.WriteError(w, r, code, msg)
}

// codeFor is the error code of a userError's status.
func codeFor(status int) actions.Code {
	switch status {
	case http.StatusNotFound:
		return actions.CodeNotFound
	case http.StatusServiceUnavailable:
		return actions.CodeNotConfigured
	}
	return actions.CodeInvalidInput
}

// jsonStoreFailed answers a store failure; the cause stays in the log.
func (c *Console) jsonStoreFailed(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		jsonError(w, r, actions.CodeCanceled, "The store did not answer in time; retry.")
		return
	}
	c.log.Error("console: the store failed", "path", r.URL.Path, "request_id", requestID(r), "error", err.Error())
	jsonError(w, r, actions.CodeInternal, "The store failed; retry, and if it persists give the operator the request id.")
}

func requestID(r *http.Request) string { return httpapi.RequestID(r.Context()) }

// decodeStrict decodes one JSON value, refusing unknown fields and trailing data.
func decodeStrict(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return errors.New(te.Field + " has the wrong type")
		}
		return errors.New("it is not a JSON object with only that field")
	}
	if dec.More() {
		return errors.New("it has more than one JSON value")
	}
	return nil
}
