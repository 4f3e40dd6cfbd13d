package ingest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configauth"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configtls"
	"go.opentelemetry.io/collector/extension/extensionauth"

	"github.com/flowslo/flowslo/internal/bearer"
)

// tokenAuthID names the bearer-token authenticator in the receivers'
// auth config, as a collector config would name an auth extension.
var tokenAuthID = component.MustNewID("flowslo_token_auth")

// tokenAuth is a server authenticator extension: a request passes when it
// carries "Authorization: Bearer <token>" with one of the tokens. The
// receivers' auth interceptors call it on both protocols and answer 401
// (HTTP) or Unauthenticated (gRPC) when it refuses, before the body is
// read or decompressed.
type tokenAuth struct {
	component.StartFunc
	component.ShutdownFunc
	// hashes are SHA-256 of the tokens: comparing fixed-length hashes in
	// constant time leaks neither a token's bytes nor its length.
	hashes [][sha256.Size]byte
}

var _ extensionauth.Server = (*tokenAuth)(nil)

var (
	errNoToken  = errors.New(`missing credentials: send "Authorization: Bearer <token>" with a token from the server's --otlp-token-file`)
	errBadToken = errors.New("the bearer token is not one of the server's tokens")
)

func newTokenAuth(tokens []string) *tokenAuth {
	a := &tokenAuth{}
	for _, t := range tokens {
		a.hashes = append(a.hashes, sha256.Sum256([]byte(t)))
	}
	return a
}

// Authenticate checks the Authorization header; HTTP headers arrive
// canonical ("Authorization"), gRPC metadata lower case.
func (a *tokenAuth) Authenticate(ctx context.Context, sources map[string][]string) (context.Context, error) {
	vals := sources["authorization"]
	if len(vals) == 0 {
		vals = sources["Authorization"]
	}
	if len(vals) == 0 {
		return ctx, errNoToken
	}
	tok, ok := bearer.Token(vals[0])
	if !ok {
		return ctx, errNoToken
	}
	if !a.valid(strings.TrimSpace(tok)) {
		return ctx, errBadToken
	}
	return ctx, nil
}

func (a *tokenAuth) valid(tok string) bool {
	h := sha256.Sum256([]byte(tok))
	match := 0
	for _, want := range a.hashes { // no early exit: time does not tell which token matched
		match |= subtle.ConstantTimeCompare(h[:], want[:])
	}
	return match == 1
}

// MinTokenLength keeps tokens guessable by no one.
const MinTokenLength = 16

// ReadTokens reads a token file: one token per line; blank lines and
// lines starting with # are skipped, so tokens can be rotated by adding
// the new one, moving clients, then removing the old one.
func ReadTokens(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read token file: %w", err)
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if len(line) < MinTokenLength || strings.ContainsAny(line, " \t") {
			return nil, fmt.Errorf("%s line %d: a token is at least %d characters without spaces: make one with `openssl rand -hex 32`", path, n, MinTokenLength)
		}
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read token file: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no token: write one per line, e.g. `openssl rand -hex 32 > %s`", path, path)
	}
	return out, nil
}

// authConfig points a receiver at the token authenticator, when tokens
// are configured.
func (o Options) authConfig() configoptional.Optional[configauth.Config] {
	if len(o.Tokens) == 0 {
		return configoptional.None[configauth.Config]()
	}
	return configoptional.Some(configauth.Config{AuthenticatorID: tokenAuthID})
}

// tlsConfig serves a receiver over TLS, when a certificate is configured.
// The files are re-read hourly so a renewed certificate is picked up
// without a restart.
func (o Options) tlsConfig() configoptional.Optional[configtls.ServerConfig] {
	if o.TLSCertFile == "" {
		return configoptional.None[configtls.ServerConfig]()
	}
	c := configtls.NewDefaultServerConfig()
	c.CertFile, c.KeyFile = o.TLSCertFile, o.TLSKeyFile
	c.ReloadInterval = time.Hour
	return configoptional.Some(c)
}

// extensions are what the receivers' configs refer to by ID.
func (o Options) extensions() map[component.ID]component.Component {
	ext := map[component.ID]component.Component{
		inputGuardID: &inputGuard{limit: o.MaxRequestBytes, input: newBadInput()},
	}
	if len(o.Tokens) > 0 {
		ext[tokenAuthID] = newTokenAuth(o.Tokens)
	}
	return ext
}
