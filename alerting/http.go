package alerting

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// HTTPError maps an HTTP answer to the retry classes, for receivers that
// speak plain HTTP: nil on 2xx, 429 throttled (Retry-After, else 30s),
// other 4xx permanent, 5xx and 408 refused.
func HTTPError(resp *http.Response, body []byte) error {
	code := resp.StatusCode
	if code/100 == 2 {
		return nil
	}
	err := fmt.Errorf("HTTP %d: %s", code, strings.TrimSpace(string(body)))
	switch {
	case code == http.StatusTooManyRequests:
		after := 30 * time.Second
		if s, e := strconv.Atoi(resp.Header.Get("Retry-After")); e == nil && s > 0 {
			after = time.Duration(s) * time.Second
		}
		return Throttled(err, after)
	case code/100 == 4 && code != http.StatusRequestTimeout:
		return Permanent(err)
	}
	return Refused(err)
}
