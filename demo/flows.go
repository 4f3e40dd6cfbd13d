package demo

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/codes"
	otellog "go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
)

// apiHost is where the app sends its requests.
const apiHost = "api.shop.example"

// route is one endpoint the app calls.
type route struct {
	service, method, path string
	// timeout is how long the app waits before it gives up and retries.
	timeout time.Duration
	serve   func(s *sim, ctx context.Context, start time.Time, m moment, c *client) (time.Time, int)
}

var (
	loginRoute    = route{service: "auth-api", method: "POST", path: "/v1/login", timeout: 10 * time.Second, serve: (*sim).serveLogin}
	feedRoute     = route{service: "feed-api", method: "GET", path: "/v1/feed", timeout: 2 * time.Second, serve: (*sim).serveFeed}
	checkoutRoute = route{service: "orders-api", method: "POST", path: "/v1/checkout", timeout: 10 * time.Second, serve: (*sim).serveCheckout}
)

// maxAttempts: the app tries a request at most this often.
const maxAttempts = 3

// call is one attempt of the app at a route: the app's HTTP client span,
// trace context and baggage propagated in headers, the backend's handling
// of it. On a timeout or a 502/503/504 the app retries with exponential
// backoff, so a failing backend gets more load, not less.
func (s *sim) call(r route, c *client, session attribute.KeyValue, start time.Time, m moment, attempt int) {
	attrs := []attribute.KeyValue{semconv.HTTPRequestMethodKey.String(r.method), semconv.URLFull("https://" + apiHost + r.path),
		semconv.ServerAddress(apiHost), semconv.ServerPort(443), session}
	if attempt > 0 {
		attrs = append(attrs, semconv.HTTPRequestResendCount(attempt))
	}
	ctx, span := c.tracer.Start(context.Background(), r.method, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithTimestamp(start), trace.WithAttributes(attrs...))
	headers := propagation.MapCarrier{}
	s.tel.prop.Inject(baggage.ContextWithBaggage(ctx, c.bag), headers)
	half := s.lognormal(15*time.Millisecond, 0.4) // half the round trip over mobile networks
	end, code := s.server(r, headers, start.Add(half), m, c)
	end = end.Add(half)
	retry := false
	if end.Sub(start) > r.timeout {
		end = start.Add(r.timeout)
		span.SetAttributes(semconv.ErrorTypeKey.String("timeout"))
		span.SetStatus(codes.Error, "request timed out")
		retry = true
	} else {
		span.SetAttributes(semconv.HTTPResponseStatusCode(code))
		if code >= 400 {
			span.SetAttributes(semconv.ErrorTypeKey.String(strconv.Itoa(code)))
			span.SetStatus(codes.Error, "")
		}
		retry = code == 502 || code == 503 || code == 504
	}
	span.End(trace.WithTimestamp(end))
	if retry && attempt+1 < maxAttempts {
		backoff := time.Duration(500<<attempt)*time.Millisecond + time.Duration(s.rng.Int64N(int64(250*time.Millisecond)))
		s.call(r, c, session, end.Add(backoff), m, attempt+1)
	}
}

// server is the backend's server span for a request, with the release and
// platform of the app copied from baggage (what a baggage span processor
// does), so backend SLOs can be sliced by them.
func (s *sim) server(r route, headers propagation.MapCarrier, start time.Time, m moment, c *client) (time.Time, int) {
	ctx := s.tel.prop.Extract(context.Background(), headers)
	bag := baggage.FromContext(ctx)
	ctx, span := s.tel.tracers[r.service].Start(ctx, r.method+" "+r.path, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithTimestamp(start), trace.WithAttributes(
			semconv.HTTPRequestMethodKey.String(r.method), semconv.HTTPRoute(r.path), semconv.URLPath(r.path), semconv.URLScheme("https"),
			semconv.ServerAddress(apiHost), appVersionKey.String(bag.Member(string(appVersionKey)).Value()),
			semconv.OSName(bag.Member(string(semconv.OSNameKey)).Value())))
	end, code := r.serve(s, ctx, start.Add(s.lognormal(300*time.Microsecond, 0.3)), m, c)
	end = end.Add(s.lognormal(200*time.Microsecond, 0.3))
	span.SetAttributes(semconv.HTTPResponseStatusCode(code))
	if code >= 500 {
		span.SetAttributes(semconv.ErrorTypeKey.String(strconv.Itoa(code)))
		span.SetStatus(codes.Error, "")
	}
	span.End(trace.WithTimestamp(end))
	return end, code
}

// serveLogin: auth-api checks the credentials with the identity provider,
// then loads the user.
func (s *sim) serveLogin(ctx context.Context, t time.Time, m moment, _ *client) (time.Time, int) {
	tr := s.tel.tracers["auth-api"]
	code, d := 200, s.lognormal(60*time.Millisecond, 0.3)
	if m.eff.idpDown {
		code, d = 503, s.lognormal(25*time.Millisecond, 0.2)
	}
	t = s.httpCall(ctx, tr, "POST", "https://login.idp.example/oauth2/token", "login.idp.example", t, d, code, 0)
	if code != 200 {
		return t, 502 // the identity provider failed us: a gateway error, the app retries
	}
	t = s.dbCall(ctx, tr, "postgresql", "SELECT", "users", "SELECT id, status FROM users WHERE email = $1", "auth-db", t, s.lognormal(4*time.Millisecond, 0.4))
	if s.chance(0.0001) {
		return t, 500
	}
	return t, 200
}

// serveFeed: feed-api reads the feed from its cache; on a miss it waits
// for a database connection, queries, asks the ranking service over gRPC
// and fills the cache.
func (s *sim) serveFeed(ctx context.Context, t time.Time, m moment, _ *client) (time.Time, int) {
	tr := s.tel.tracers["feed-api"]
	t = s.redis(ctx, tr, "GET", t)
	hit, wait, slow := 0.85, 500*time.Microsecond, 1.0
	if m.eff.cacheFlushed {
		hit, wait, slow = 0.05, 700*time.Millisecond, 2
	}
	if s.chance(hit) {
		return t.Add(s.lognormal(3*time.Millisecond, 0.5)), 200
	}
	t = s.poolWait(ctx, tr, t, s.exp(wait))
	t = s.dbCall(ctx, tr, "postgresql", "SELECT", "posts", "SELECT id, author_id, body FROM posts WHERE author_id = ANY($1) ORDER BY created_at DESC LIMIT 50",
		"feed-db", t, time.Duration(slow*float64(s.lognormal(22*time.Millisecond, 0.45))))
	t = s.grpcCall(ctx, tr, "ranking.Ranker/Rank", "ranking", t, s.lognormal(18*time.Millisecond, 0.3))
	t = s.redis(ctx, tr, "SET", t)
	if s.chance(0.002) { // a GC pause now and then
		t = t.Add(300 * time.Millisecond)
	}
	return t, 200
}

// paymentMethods by platform: the wallets only exist on their own phones.
var paymentMethods = map[string][]string{
	"iOS":     {"card", "card", "apple_pay", "paypal"},
	"Android": {"card", "card", "google_pay", "paypal"},
}

// serveCheckout: orders-api stores the order, charges it at the payment
// provider (one retry when throttled, then 503 with Retry-After for the app),
// and queues the confirmation push.
func (s *sim) serveCheckout(ctx context.Context, t time.Time, m moment, c *client) (time.Time, int) {
	tr := s.tel.tracers["orders-api"]
	methods := paymentMethods[c.os]
	trace.SpanFromContext(ctx).SetAttributes(attribute.String("payment.method", methods[s.rng.IntN(len(methods))]))
	if m.eff.badRelease && c.os == "Android" && c.version == newRelease && s.chance(m.eff.badReleaseHit) {
		span := trace.SpanFromContext(ctx)
		span.AddEvent("exception", trace.WithTimestamp(t), trace.WithAttributes(semconv.ExceptionType("InvalidPaymentPayload"),
			semconv.ExceptionMessage("payment token missing from the checkout request")))
		return t.Add(s.lognormal(2*time.Millisecond, 0.3)), 500
	}
	t = s.dbCall(ctx, tr, "postgresql", "INSERT", "orders", "INSERT INTO orders (user_id, items, total) VALUES ($1, $2, $3)", "orders-db", t, s.lognormal(6*time.Millisecond, 0.4))
	for attempt := range 2 {
		code, d := 200, s.lognormal(180*time.Millisecond, 0.35)
		if s.chance(m.eff.throttle) {
			code, d = 429, s.lognormal(15*time.Millisecond, 0.3)
		}
		t = s.httpCall(ctx, tr, "POST", "https://api.payments.example/v1/charges", "api.payments.example", t, d, code, attempt)
		if code == 200 {
			s.publishPush(ctx, tr, t, m, c.os, "")
			return t.Add(time.Millisecond), 200
		}
		t = t.Add(100 * time.Millisecond) // the provider's Retry-After
	}
	return t, 503
}

// httpCall is an outgoing HTTP client span of a backend.
func (s *sim) httpCall(ctx context.Context, tr trace.Tracer, method, url, host string, start time.Time, d time.Duration, code, resend int) time.Time {
	attrs := []attribute.KeyValue{semconv.HTTPRequestMethodKey.String(method), semconv.URLFull(url), semconv.ServerAddress(host),
		semconv.ServerPort(443), semconv.HTTPResponseStatusCode(code)}
	if resend > 0 {
		attrs = append(attrs, semconv.HTTPRequestResendCount(resend))
	}
	_, span := tr.Start(ctx, method, trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(start), trace.WithAttributes(attrs...))
	if code >= 400 {
		span.SetAttributes(semconv.ErrorTypeKey.String(strconv.Itoa(code)))
		span.SetStatus(codes.Error, "")
	}
	end := start.Add(d)
	span.End(trace.WithTimestamp(end))
	return end
}

// dbCall is a database client span, named "{operation} {collection}".
func (s *sim) dbCall(ctx context.Context, tr trace.Tracer, system, op, coll, query, host string, start time.Time, d time.Duration) time.Time {
	_, span := tr.Start(ctx, op+" "+coll, trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(start), trace.WithAttributes(
		semconv.DBSystemNameKey.String(system), semconv.DBOperationName(op), semconv.DBCollectionName(coll),
		semconv.DBQueryText(query), semconv.ServerAddress(host), semconv.ServerPort(5432)))
	end := start.Add(d)
	span.End(trace.WithTimestamp(end))
	return end
}

func (s *sim) redis(ctx context.Context, tr trace.Tracer, op string, start time.Time) time.Time {
	_, span := tr.Start(ctx, op, trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(start), trace.WithAttributes(
		semconv.DBSystemNameRedis, semconv.DBOperationName(op), semconv.DBQueryText(op+" feed:?"),
		semconv.ServerAddress("feed-cache"), semconv.ServerPort(6379)))
	end := start.Add(s.lognormal(800*time.Microsecond, 0.3))
	span.End(trace.WithTimestamp(end))
	return end
}

// poolWait is the time feed-api waits for a free database connection: next
// to nothing, until the pool saturates.
func (s *sim) poolWait(ctx context.Context, tr trace.Tracer, start time.Time, d time.Duration) time.Time {
	_, span := tr.Start(ctx, "acquire connection", trace.WithSpanKind(trace.SpanKindInternal), trace.WithTimestamp(start),
		trace.WithAttributes(semconv.DBSystemNamePostgreSQL, semconv.DBClientConnectionPoolName("feed-db")))
	end := start.Add(d)
	span.End(trace.WithTimestamp(end))
	return end
}

func (s *sim) grpcCall(ctx context.Context, tr trace.Tracer, method, host string, start time.Time, d time.Duration) time.Time {
	_, span := tr.Start(ctx, method, trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(start), trace.WithAttributes(
		semconv.RPCSystemNameGRPC, semconv.RPCMethod(method), semconv.RPCResponseStatusCode("OK"),
		semconv.ServerAddress(host), semconv.ServerPort(50051)))
	end := start.Add(d)
	span.End(trace.WithTimestamp(end))
	return end
}

// pushQueue is the queue between producers and push-worker.
const pushQueue = "push"

// publishPush is the producer span of a push sent to the queue, and the
// worker's processing of it.
func (s *sim) publishPush(ctx context.Context, tr trace.Tracer, t time.Time, m moment, os, campaign string) {
	s.msgSeq++
	id := semconv.MessagingMessageID(fmt.Sprintf("m-%d-%d", s.seed, s.msgSeq))
	attrs := []attribute.KeyValue{semconv.MessagingSystemKafka, semconv.MessagingDestinationName(pushQueue),
		semconv.MessagingOperationTypeSend, semconv.MessagingOperationName("send"), id}
	if campaign != "" {
		attrs = append(attrs, attribute.String("push.campaign", campaign))
	}
	_, span := tr.Start(ctx, "send "+pushQueue, trace.WithSpanKind(trace.SpanKindProducer), trace.WithTimestamp(t), trace.WithAttributes(attrs...))
	end := t.Add(s.lognormal(2*time.Millisecond, 0.3))
	span.End(trace.WithTimestamp(end))
	s.processPush(span.SpanContext(), id, end, m, os)
}

// processPush is push-worker taking the message off the queue and
// delivering it to APNs or FCM. Its consumer span starts when the message
// was queued (the worker reads the enqueue time from the message), so its
// duration is the push's processing time from enqueue to delivery, and it
// links to the producer span in the other trace. One log record per
// delivery attempt, event push.delivery, in the span's context.
func (s *sim) processPush(producer trace.SpanContext, id attribute.KeyValue, queued time.Time, m moment, os string) {
	provider, host := "fcm", "fcm.googleapis.com"
	if os == "iOS" {
		provider, host = "apns", "api.push.apple.com"
	}
	tr := s.tel.tracers["push-worker"]
	ctx, span := tr.Start(context.Background(), "process "+pushQueue, trace.WithNewRoot(), trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithTimestamp(queued), trace.WithLinks(trace.Link{SpanContext: producer}), trace.WithAttributes(
			semconv.MessagingSystemKafka, semconv.MessagingDestinationName(pushQueue), semconv.MessagingOperationTypeProcess,
			semconv.MessagingOperationName("process"), id, attribute.String("push.provider", provider)))
	t := queued.Add(s.exp(time.Duration(float64(80*time.Millisecond) / (1 - m.pushUtil()))))
	result := "timeout"
	for attempt := 0; attempt < 2 && result == "timeout"; attempt++ { // a timed-out delivery is tried once more
		t, result = s.deliver(ctx, tr, provider, host, id, t, attempt)
	}
	if result != "delivered" {
		span.SetStatus(codes.Error, "push "+result)
	}
	span.End(trace.WithTimestamp(t.Add(s.lognormal(300*time.Microsecond, 0.3))))
}

// deliver is one delivery attempt at APNs or FCM and its push.delivery log.
func (s *sim) deliver(ctx context.Context, tr trace.Tracer, provider, host string, id attribute.KeyValue, t time.Time, attempt int) (time.Time, string) {
	result, code, d := "delivered", 200, s.lognormal(45*time.Millisecond, 0.35)
	switch r := s.rng.Float64(); {
	case r < 0.00002:
		result, code = "rejected", 410
	case r < 0.00004:
		result, code, d = "timeout", 0, 5*time.Second
	}
	attrs := []attribute.KeyValue{semconv.HTTPRequestMethodKey.String("POST"), semconv.URLFull("https://" + host + "/send"),
		semconv.ServerAddress(host), semconv.ServerPort(443)}
	if code != 0 {
		attrs = append(attrs, semconv.HTTPResponseStatusCode(code))
	}
	if attempt > 0 {
		attrs = append(attrs, semconv.HTTPRequestResendCount(attempt))
	}
	dctx, span := tr.Start(ctx, "POST", trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(t), trace.WithAttributes(attrs...))
	if result != "delivered" {
		span.SetAttributes(semconv.ErrorTypeKey.String(result))
		span.SetStatus(codes.Error, "")
	}
	t = t.Add(d)
	s.deliveryLog(dctx, t, provider, result, id)
	span.End(trace.WithTimestamp(t))
	return t, result
}

func (s *sim) deliveryLog(ctx context.Context, t time.Time, provider, result string, id attribute.KeyValue) {
	var r otellog.Record
	r.SetTimestamp(t)
	r.SetObservedTimestamp(t)
	r.SetEventName("push.delivery")
	sev, text := otellog.SeverityInfo, "INFO"
	switch result {
	case "rejected":
		sev, text = otellog.SeverityWarn, "WARN"
	case "timeout":
		sev, text = otellog.SeverityError, "ERROR"
	}
	r.SetSeverity(sev)
	r.SetSeverityText(text)
	r.SetBody(attribute.StringValue("push " + result + " by " + provider))
	r.AddAttributes(attribute.String("push.provider", provider), attribute.String("push.result", result),
		id)
	s.tel.pushLog.Emit(ctx, r)
}
