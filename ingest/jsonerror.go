package ingest

import (
	"bytes"
	"net/http"
)

// receiverFallback is what the OTLP receiver writes, with status 500, when
// it cannot encode its own error status. That happens on bad JSON: the
// parser's message quotes bytes of the body, cut anywhere, and a status
// whose message is not UTF-8 cannot be marshalled (found by
// FuzzOTLPHTTPJSON with the two-byte body "Ҋ"). A client told 500 may
// retry what can never succeed, so this is answered as the bad request
// it is.
var receiverFallback = []byte(`{"code": 13, "message": "failed to marshal error message"}`)

var badJSONAnswer = []byte(`{"code":3,"message":"the body is not valid OTLP JSON: check it with a JSON validator, or send protobuf"}`)

// fallbackWriter holds back a 500 until its body shows whether it is the
// receiver's fallback, then writes either the 400 or what was held.
type fallbackWriter struct {
	http.ResponseWriter
	held bool
}

func (w *fallbackWriter) WriteHeader(code int) {
	if code == http.StatusInternalServerError && !w.held {
		w.held = true
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *fallbackWriter) Write(p []byte) (int, error) {
	if !w.held {
		return w.ResponseWriter.Write(p)
	}
	w.held = false
	if bytes.Equal(p, receiverFallback) {
		w.ResponseWriter.WriteHeader(http.StatusBadRequest)
		_, err := w.ResponseWriter.Write(badJSONAnswer)
		return len(p), err
	}
	w.ResponseWriter.WriteHeader(http.StatusInternalServerError)
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *fallbackWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
