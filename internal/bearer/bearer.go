// Package bearer reads "Authorization: Bearer <token>" values, for the UI's
// login and the OTLP receivers' alike.
package bearer

import "strings"

// Token is the token of an Authorization header value; the scheme is
// case-insensitive (RFC 9110), so "bearer" works too.
func Token(v string) (string, bool) {
	if len(v) < 7 || !strings.EqualFold(v[:7], "Bearer ") {
		return "", false
	}
	return v[7:], true
}
