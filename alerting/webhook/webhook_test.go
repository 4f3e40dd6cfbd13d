package webhook_test

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/flowslo/flowslo/alerting"
	"github.com/flowslo/flowslo/alerting/webhook"
)

// TestWire: the receiver checks the signature the way a consumer would
// (recomputing the HMAC over timestamp and body) and gets the message as
// JSON with the delivery ID that is the same on every try.
func TestWire(t *testing.T) {
	secret := "s3cret-s3cret-s3cret"
	var got []webhook.Payload
	var ids []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		want := webhook.Sign([]byte(secret), r.Header.Get(webhook.TimestampHeader), body)
		if !hmac.Equal([]byte(want), []byte(r.Header.Get(webhook.SignatureHeader))) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var p webhook.Payload
		if err := json.Unmarshal(body, &p); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		got, ids = append(got, p), append(ids, r.Header.Get(webhook.DeliveryHeader))
	}))
	defer srv.Close()
	c := webhook.Config{URL: srv.URL, Secret: secret}
	if err := c.Validate("hook"); err != nil {
		t.Fatal(err)
	}
	r, _ := webhook.New(c)
	d := &alerting.Delivery{ID: "a/firing/hook/", Receiver: "hook", DueAt: time.Unix(1700000000, 0).UTC(), Message: &alerting.Message{
		AlertID: "a", Kind: alerting.KindFiring, SLO: "login-success", Title: "PAGE · login-success", Summary: "is failing"}}
	if _, err := r.Notify(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	d.MaybeSent = true // a retry carries the same ID
	if _, err := r.Notify(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != d.ID || ids[1] != d.ID || got[0].Message.SLO != "login-success" || got[0].Text != "PAGE · login-success is failing" {
		t.Fatalf("payloads %+v ids %v", got, ids)
	}
	bad, _ := webhook.New(webhook.Config{URL: srv.URL, Secret: "wrong"})
	if _, err := bad.Notify(context.Background(), d); !alerting.IsPermanent(err) || !strings.Contains(err.Error(), "bad signature") {
		t.Errorf("wrong secret: %v", err)
	}
	if err := (webhook.Config{URL: "ftp://x"}).Validate("hook"); err == nil || !strings.Contains(err.Error(), "no secret") || !strings.Contains(err.Error(), "hook.url") {
		t.Errorf("bad config: %v", err)
	}
}
