// Package webhook is the webhook receiver of alerting: a JSON POST of each
// notification, signed with HMAC-SHA256 so the other side can tell it came
// from flowslo. Every try of one notification carries the same
// X-Flowslo-Delivery ID: receivers drop the repeats of an ID they have
// seen (a try that timed out may have arrived).
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/flowslo/flowslo/alerting"
)

// Headers of every request.
const (
	DeliveryHeader  = "X-Flowslo-Delivery"
	TimestampHeader = "X-Flowslo-Timestamp"
	// SignatureHeader is "sha256=" and the hex HMAC-SHA256, keyed with the
	// secret, of the timestamp header, ".", and the body.
	SignatureHeader = "X-Flowslo-Signature"
)

// Config is a webhook receiver: {url: https://…, secret_file: /run/secrets/hook}.
type Config struct {
	URL        string `yaml:"url" json:"url"`
	Secret     string `yaml:"secret" json:"-"`
	SecretFile string `yaml:"secret_file" json:"secret_file,omitempty"`
}

// Validate reports every problem at once; at names the block.
func (c Config) Validate(at string) error {
	var errs []error
	if err := alerting.CheckURL(c.URL); err != nil {
		errs = append(errs, fmt.Errorf("%s.url: %v: write e.g. https://hooks.example.com/flowslo", at, err))
	}
	switch {
	case c.Secret != "" && c.SecretFile != "":
		errs = append(errs, fmt.Errorf("%s: secret and secret_file are both set: keep one", at))
	case c.Secret == "" && c.SecretFile == "":
		errs = append(errs, fmt.Errorf("%s: no secret to sign with: write secret_file: /run/secrets/hook (e.g. `openssl rand -hex 32`)", at))
	case c.SecretFile != "":
		if _, err := os.Stat(c.SecretFile); err != nil {
			errs = append(errs, fmt.Errorf("%s.secret_file: %v", at, err))
		}
	}
	return errors.Join(errs...)
}

// Receiver implements alerting.Notifier for webhooks.
type Receiver struct {
	url    string
	secret []byte
	http   *http.Client
	now    func() time.Time
}

// New reads the secret and returns the receiver.
func New(c Config) (*Receiver, error) {
	secret := c.Secret
	if c.SecretFile != "" {
		b, err := os.ReadFile(c.SecretFile)
		if err != nil {
			return nil, fmt.Errorf("read webhook secret: %w", err)
		}
		secret = strings.TrimSpace(string(b))
	}
	return &Receiver{url: c.URL, secret: []byte(secret), http: &http.Client{Timeout: 15 * time.Second}, now: time.Now}, nil
}

// Payload is the JSON body.
type Payload struct {
	Version  string            `json:"version"` // "1"
	ID       string            `json:"id"`      // the same on every try
	Receiver string            `json:"receiver"`
	DueAt    time.Time         `json:"due_at"`
	Late     bool              `json:"late"`
	Text     string            `json:"text"` // the message as plain lines
	Message  *alerting.Message `json:"message"`
}

// Sign is the signature header's value for ts and body.
func Sign(secret []byte, ts string, body []byte) string {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(ts + "."))
	h.Write(body)
	return "sha256=" + hex.EncodeToString(h.Sum(nil))
}

// Notify posts d.
func (r *Receiver) Notify(ctx context.Context, d *alerting.Delivery) (alerting.Ref, error) {
	body, err := json.Marshal(Payload{Version: "1", ID: d.ID, Receiver: d.Receiver, DueAt: d.DueAt, Late: d.Late, Text: d.Message.Text(), Message: d.Message})
	if err != nil {
		return "", alerting.Permanent(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url, bytes.NewReader(body))
	if err != nil {
		return "", alerting.Permanent(err)
	}
	ts := strconv.FormatInt(r.now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "flowslo")
	req.Header.Set(DeliveryHeader, d.ID)
	req.Header.Set(TimestampHeader, ts)
	req.Header.Set(SignatureHeader, Sign(r.secret, ts, body))
	resp, err := r.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("webhook: %w", err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return "", alerting.HTTPError(resp, msg)
}
