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
  flowslo serve --role server [flags]
                             evaluate SLOs, alert, serve the UI and API; no OTLP receivers
  flowslo collector [flags]  accept OTLP into ClickHouse; no engine, no UI (many replicas)
  flowslo schema print [--config FILE]
                             print the DDL flowslo runs on its database
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

Run 'flowslo serve -h' or 'flowslo collector -h' for their flags.
`

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stderr, parseServeFlags)
	case "collector":
		return serve(args[1:], stderr, parseCollectorFlags)
	case "schema":
		return schemaCmd(args[1:], stdout, stderr)
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

// serve runs a long-lived role with the options parse reads from args.
func serve(args []string, stderr io.Writer, parse func([]string, io.Writer) (app.Options, error)) int {
	opts, err := parse(args, stderr)
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
	role := fs.String("role", string(app.RoleAll), "all: receivers, engine and UI in one process; server: engine, alerting, UI and API without receivers (run `flowslo collector` for the receivers)")
	storeFlags(fs, &opts)
	otlpFlags(fs, &opts)
	fs.StringVar(&opts.SLOPath, "slo", "", "SLO definition file or folder of them")
	fs.StringVar(&opts.AuthTokenFile, "auth-token-file", "", "file holding the token the UI and API require when not on loopback")
	fs.StringVar(&opts.AuthProxyHeader, "auth-proxy-header", "", "header set by a trusted auth proxy to the signed-in user (e.g. X-Forwarded-User)")
	fs.StringVar(&opts.TrustedProxies, "trusted-proxies", "127.0.0.0/8,::1", "comma-separated CIDRs of the proxies whose --auth-proxy-header counts")
	fs.StringVar(&opts.PublicURL, "public-url", "", "URL people open flowslo at (e.g. https://slo.example.com); its host is accepted in the Host header")
	fs.StringVar(&opts.ClickHouseReadDSN, "clickhouse-read-dsn", "", "DSN of a read-only ClickHouse user for the UI's queries (default: --clickhouse-dsn)")
	fs.StringVar(&opts.ClickHouseReadPasswordFile, "clickhouse-read-password-file", "", "file holding the password of --clickhouse-read-dsn's user (else $FLOWSLO_CLICKHOUSE_READ_PASSWORD)")
	fs.DurationVar(&opts.ReadTimeout, "clickhouse-read-timeout", opts.ReadTimeout, "max_execution_time of each UI query on a ClickHouse server")
	err := parseArgs(fs, args, stderr)
	if err == nil {
		if opts.Role, err = app.ParseRole(*role); err != nil {
			fmt.Fprintln(stderr, "flowslo serve:", err)
		}
	}
	return opts, err
}

// parseCollectorFlags reads the flags of `flowslo collector`: the OTLP
// receivers and the store, nothing of the UI.
func parseCollectorFlags(args []string, stderr io.Writer) (app.Options, error) {
	opts := app.DefaultOptions()
	opts.Role = app.RoleCollector
	fs := flag.NewFlagSet("flowslo collector", flag.ContinueOnError)
	fs.SetOutput(stderr)
	storeFlags(fs, &opts)
	otlpFlags(fs, &opts)
	return opts, parseArgs(fs, args, stderr)
}

// storeFlags are where the data lives, shared by every role.
func storeFlags(fs *flag.FlagSet, opts *app.Options) {
	fs.StringVar(&opts.DataDir, "data-dir", opts.DataDir, "where the embedded ClickHouse keeps its data")
	fs.StringVar(&opts.HTTPAddr, "http-addr", opts.HTTPAddr, "address of the UI, API, /metrics and health endpoints (a collector: health and /metrics only)")
	fs.StringVar(&opts.ClickHouseDSN, "clickhouse-dsn", "", "use a ClickHouse server instead of the embedded engine, e.g. clickhouse://user:pass@host:9000/flowslo")
	fs.StringVar(&opts.ConfigFile, "config", "", "service config file (YAML, optional)")
	fs.StringVar(&opts.ClickHousePasswordFile, "clickhouse-password-file", "", "file holding the password of --clickhouse-dsn's user (else $FLOWSLO_CLICKHOUSE_PASSWORD)")
	fs.StringVar(&opts.TLSCertFile, "tls-cert-file", "", "PEM certificate: serve OTLP and the UI over TLS (with --tls-key-file)")
	fs.StringVar(&opts.TLSKeyFile, "tls-key-file", "", "PEM private key of --tls-cert-file")
}

// otlpFlags configure the receivers (unused by a server role).
func otlpFlags(fs *flag.FlagSet, opts *app.Options) {
	fs.StringVar(&opts.OTLPGRPCAddr, "otlp-grpc-addr", opts.OTLPGRPCAddr, "address of the OTLP gRPC receiver")
	fs.StringVar(&opts.OTLPHTTPAddr, "otlp-http-addr", opts.OTLPHTTPAddr, "address of the OTLP HTTP receiver")
	fs.StringVar(&opts.OTLPTokenFile, "otlp-token-file", "", "file of bearer tokens, one per line, that OTLP clients must send (Authorization: Bearer <token>)")
}

func parseArgs(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	err := fs.Parse(args)
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
		fmt.Fprintln(stderr, fs.Name()+":", err)
	}
	return err
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
