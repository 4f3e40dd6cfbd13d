// Command flowslo is the one binary: `flowslo serve` runs the collector, the
// SLO engine and the UI; the other subcommands are tools around it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/flowslo/flowslo/internal/app"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

const usage = `flowslo — SLOs for the business flows of mobile app backends

Usage:
  flowslo serve [flags]      accept OTLP, evaluate SLOs, serve the UI and API
  flowslo validate PATH      check SLO files without a server
  flowslo import openslo FILE
                             convert OpenSLO v1 SLOs to a flowslo SLO file (stdout)
  flowslo check --slo NAME | --flow NAME | --release VERSION [--flow NAME] [--url URL] [--allow-at-risk] [--json]
                             release gate, the server's readiness verdict: exit 0 ready,
                             1 not ready or at risk, 2 no data, unknown or unreachable
  flowslo dashboards export grafana [--out DIR]
                             write the built-in views as Grafana dashboards
  flowslo rules export prometheus --slo FILE_OR_FOLDER [--out FILE]
                             write Prometheus recording and burn-rate alerting
                             rules over flowslo's /metrics SLO series
  flowslo demo [--scenario NAME] [--speed N] [--backfill 7d] [--duration D] [--seed N]
                             simulate a mobile app and its backend sending to flowslo
  flowslo version            print the version

Run 'flowslo serve -h' for its flags.
`

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stderr)
	case "validate":
		return validate(args[1:], stdout, stderr)
	case "check":
		return check(args[1:], stdout, stderr)
	case "dashboards":
		return dashboardsCmd(args[1:], stdout, stderr)
	case "import":
		return importCmd(args[1:], stdout, stderr)
	case "rules":
		return rulesCmd(args[1:], stdout, stderr)
	case "demo":
		return demoCmd(args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "flowslo", app.Version)
		return 0
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "flowslo: unknown command %q\n\n%s", args[0], usage)
	return 2
}

func serve(args []string, stderr io.Writer) int {
	opts, err := parseServeFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	opts.Logger = slog.New(slog.NewTextHandler(stderr, nil))

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	opts.Reload = reloadSignals(ctx)
	if err := app.Run(ctx, opts); err != nil {
		fmt.Fprintln(stderr, "flowslo:", err)
		return 1
	}
	return 0
}

func parseServeFlags(args []string, stderr io.Writer) (app.Options, error) {
	opts := app.DefaultOptions()
	fs := flag.NewFlagSet("flowslo serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&opts.DataDir, "data-dir", opts.DataDir, "where the embedded ClickHouse keeps its data")
	fs.StringVar(&opts.HTTPAddr, "http-addr", opts.HTTPAddr, "address of the UI, API, /metrics and health endpoints")
	fs.StringVar(&opts.OTLPGRPCAddr, "otlp-grpc-addr", opts.OTLPGRPCAddr, "address of the OTLP gRPC receiver")
	fs.StringVar(&opts.OTLPHTTPAddr, "otlp-http-addr", opts.OTLPHTTPAddr, "address of the OTLP HTTP receiver")
	fs.StringVar(&opts.ClickHouseDSN, "clickhouse-dsn", "", "use a ClickHouse server instead of the embedded engine, e.g. clickhouse://user:pass@host:9000/flowslo")
	fs.StringVar(&opts.ConfigFile, "config", "", "service config file (YAML, optional)")
	fs.StringVar(&opts.SLOPath, "slo", "", "SLO definition file or folder of them")
	fs.StringVar(&opts.AuthTokenFile, "auth-token-file", "", "file holding the token the UI and API require when not on loopback")
	fs.StringVar(&opts.AuthProxyHeader, "auth-proxy-header", "", "header set by a trusted auth proxy to the signed-in user (e.g. X-Forwarded-User)")
	fs.StringVar(&opts.TrustedProxies, "trusted-proxies", "127.0.0.0/8,::1", "comma-separated CIDRs of the proxies whose --auth-proxy-header counts")
	fs.StringVar(&opts.PublicURL, "public-url", "", "URL people open flowslo at (e.g. https://slo.example.com); its host is accepted in the Host header")
	fs.StringVar(&opts.OTLPTokenFile, "otlp-token-file", "", "file of bearer tokens, one per line, that OTLP clients must send (Authorization: Bearer <token>)")
	fs.StringVar(&opts.TLSCertFile, "tls-cert-file", "", "PEM certificate: serve OTLP and the UI over TLS (with --tls-key-file)")
	fs.StringVar(&opts.TLSKeyFile, "tls-key-file", "", "PEM private key of --tls-cert-file")
	fs.StringVar(&opts.ClickHouseReadDSN, "clickhouse-read-dsn", "", "DSN of a read-only ClickHouse user for the UI's queries (default: --clickhouse-dsn)")
	fs.StringVar(&opts.ClickHousePasswordFile, "clickhouse-password-file", "", "file holding the password of --clickhouse-dsn's user (else $FLOWSLO_CLICKHOUSE_PASSWORD)")
	fs.StringVar(&opts.ClickHouseReadPasswordFile, "clickhouse-read-password-file", "", "file holding the password of --clickhouse-read-dsn's user (else $FLOWSLO_CLICKHOUSE_READ_PASSWORD)")
	fs.DurationVar(&opts.ReadTimeout, "clickhouse-read-timeout", opts.ReadTimeout, "max_execution_time of each UI query on a ClickHouse server")
	err := fs.Parse(args)
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
		fmt.Fprintln(stderr, "flowslo serve:", err)
	}
	return opts, err
}

// reloadSignals turns SIGHUP into reload requests until ctx ends.
func reloadSignals(ctx context.Context) <-chan struct{} {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	out := make(chan struct{}, 1)
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				select {
				case out <- struct{}{}:
				default: // a reload is already pending
				}
			}
		}
	}()
	return out
}
