package app

import "github.com/flowslo/flowslo/ui"

// warnOpenAccess says at start what anyone on the network can reach: the
// UI without a login (it then answers this machine only), OTLP receivers
// without tokens (they take anyone's data: fake or hidden pages), and
// tokens sent without TLS beyond loopback.
func (a *App) warnOpenAccess() {
	if a.httpOptions.AccessProblem() != nil {
		a.log.Warn("the UI and API answer only clients on this machine until --auth-token-file or --auth-proxy-header is given", "http", a.opts.HTTPAddr)
	}
	var openOTLP, beyondLoopback []string
	for _, addr := range []string{a.opts.OTLPGRPCAddr, a.opts.OTLPHTTPAddr} {
		if addr != "" && !ui.IsLoopback(addr) {
			beyondLoopback = append(beyondLoopback, addr)
			if a.opts.OTLPTokenFile == "" {
				openOTLP = append(openOTLP, addr)
			}
		}
	}
	if len(openOTLP) > 0 {
		a.log.Warn("the OTLP receivers take data from anyone who reaches them, so anyone can write SLO data: give --otlp-token-file (and --tls-cert-file, --tls-key-file)", "otlp", openOTLP)
	}
	if !ui.IsLoopback(a.opts.HTTPAddr) {
		beyondLoopback = append(beyondLoopback, a.opts.HTTPAddr)
	}
	if a.opts.TLSCertFile == "" && len(beyondLoopback) > 0 && (a.opts.OTLPTokenFile != "" || a.opts.AuthTokenFile != "") {
		a.log.Warn("tokens cross the network in plain text: give --tls-cert-file and --tls-key-file, or put a TLS proxy in front", "listen", beyondLoopback)
	}
}
