INSERT INTO slo_rollup (slo, hash, res, slice_key, slice_value, minute, good, total, hist, rolled, cutoff, backfilled)
SELECT * FROM (
SELECT slo, hash, res, slice_key, slice_value, if(res = 1, toStartOfHour(minute), minute) AS m,
	sum(good) AS good, sum(total) AS total, sumMap(hist) AS hist, toInt64(0) AS rolled, toInt64(0) AS cutoff, toInt64(0) AS backfilled
FROM (SELECT o.1 AS slo, o.2 AS hash, o.3 AS slice_key, v AS slice_value, minute,
	sum(g) AS good, sum(c) AS total, sumMapIf([b], [c], o.4 = 1) AS hist
FROM (
	SELECT minute, b, x.1 AS gid, vals[x.2] AS v, countIf(has(pass, x.3)) AS g, count() AS c
	FROM (
		SELECT minute, b, arrayFilter((k, y) -> y = 1, arrayEnumerate(p), p) AS pass, vals
		FROM (
			SELECT toStartOfMinute(toDateTime(Timestamp, 'UTC')) AS minute, toUInt16(if(Duration < 1000, 0, least(255, 1 + floor(log2(Duration / 1000) * 8)))) AS b, [toUInt8(((ServiceName = {gf0_t0:String}) AND (SpanName = {gf0_t1:String}))), toUInt8((NOT ((StatusCode = {gf1_g0:String}) OR (ifNull(toFloat64OrNull(SpanAttributes[{gf1_g1:String}]) >= {gf1_g2:Float64}, false))))), toUInt8((ServiceName = {gf2_t0:String})), toUInt8((Duration <= {gf3_g0:Int64})), toUInt8((ServiceName = {gf4_t0:String})), toUInt8((StatusCode != {gf5_g0:String}))] AS p, ['', toString(ResourceAttributes[{gf6_s0_0:String}]), toString(ResourceAttributes[{gf7_s1_0:String}]), toString(concat(toString(ResourceAttributes[{gf8_s1_0:String}]), '', if(toString(ResourceAttributes[{gf8_s0_0:String}]) = '', 'unknown', toString(ResourceAttributes[{gf8_s0_0:String}]))))] AS vals
			FROM otel_traces WHERE FlowsloInserted < fromUnixTimestamp64Milli({gv10:Int64}, 'UTC') AND Timestamp >= fromUnixTimestamp64Nano({gv11:Int64}) AND Timestamp < fromUnixTimestamp64Nano({gv12:Int64}) AND (toUInt8(((ServiceName = {gf0_t0:String}) AND (SpanName = {gf0_t1:String}))) OR toUInt8((ServiceName = {gf2_t0:String})) OR toUInt8((ServiceName = {gf4_t0:String})))
		)
	) ARRAY JOIN arrayFlatten(arrayMap(t -> {gv9:Array(Array(Tuple(UInt32, UInt32, UInt32)))}[t], pass)) AS x
	GROUP BY minute, b, gid, v
) ARRAY JOIN {gv13:Array(Array(Tuple(String, String, String, UInt8)))}[gid] AS o
GROUP BY slo, hash, slice_key, slice_value, minute
UNION ALL
SELECT o.1 AS slo, o.2 AS hash, o.3 AS slice_key, v AS slice_value, minute,
	sum(g) AS good, sum(c) AS total, sumMapIf([b], [c], o.4 = 1) AS hist
FROM (
	SELECT minute, b, x.1 AS gid, vals[x.2] AS v, countIf(has(pass, x.3)) AS g, count() AS c
	FROM (
		SELECT minute, b, arrayFilter((k, y) -> y = 1, arrayEnumerate(p), p) AS pass, vals
		FROM (
			SELECT toStartOfMinute(toDateTime(Timestamp, 'UTC')) AS minute, toUInt16(0) AS b, [toUInt8((EventName = {gf14_t0:String})), toUInt8((LogAttributes[{gf15_g0:String}] = {gf15_g1:String}))] AS p, [''] AS vals
			FROM otel_logs WHERE FlowsloInserted < fromUnixTimestamp64Milli({gv17:Int64}, 'UTC') AND Timestamp >= fromUnixTimestamp64Nano({gv18:Int64}) AND TimestampTime >= toDateTime({gv19:Int64}) AND Timestamp < fromUnixTimestamp64Nano({gv20:Int64}) AND TimestampTime <= toDateTime({gv21:Int64}) AND (toUInt8((EventName = {gf14_t0:String})))
		)
	) ARRAY JOIN arrayFlatten(arrayMap(t -> {gv16:Array(Array(Tuple(UInt32, UInt32, UInt32)))}[t], pass)) AS x
	GROUP BY minute, b, gid, v
) ARRAY JOIN {gv22:Array(Array(Tuple(String, String, String, UInt8)))}[gid] AS o
GROUP BY slo, hash, slice_key, slice_value, minute) ARRAY JOIN [toUInt8(0), toUInt8(1)] AS res
GROUP BY slo, hash, res, slice_key, slice_value, m
UNION ALL
SELECT t.1 AS slo, t.2 AS hash, toUInt8(2) AS res, '' AS slice_key, '' AS slice_value, toDateTime(0, 'UTC') AS m, toUInt64(0) AS good, toUInt64(0) AS total, (CAST([], 'Array(UInt16)'), CAST([], 'Array(UInt64)')) AS hist, {gv23:Int64} AS rolled, {gv24:Int64} AS cutoff, {gv25:Int64} AS backfilled
FROM (SELECT arrayJoin({gv26:Array(Tuple(String, String))}) AS t)
) AS flowslo_backfill
SETTINGS min_insert_block_size_rows = 1000000000000, min_insert_block_size_bytes = 1000000000000, max_insert_threads = 1, insert_deduplicate = 1, insert_deduplication_token = 'backfill-0123456789abcdef'

-- parameters
-- gf0_t0 = auth-api
-- gf0_t1 = POST /v1/login
-- gf14_t0 = push.delivery
-- gf15_g0 = push.outcome
-- gf15_g1 = delivered
-- gf1_g0 = Error
-- gf1_g1 = http.response.status_code
-- gf1_g2 = 500
-- gf2_t0 = feed-api
-- gf3_g0 = 300000000
-- gf4_t0 = orders-api
-- gf5_g0 = Error
-- gf6_s0_0 = os.name
-- gf7_s1_0 = service.version
-- gf8_s0_0 = os.name
-- gf8_s1_0 = service.version
-- gv10 = 1773142486000
-- gv11 = 1772973296000000000
-- gv12 = 1773059696000000000
-- gv13 = [[('login-success','6e133838b69cf49a','',0)],[('feed-latency','2f5c5bc69466ed4c','',1)],[('checkout-success','6c36b4263da5d338','',0)],[('checkout-success','6c36b4263da5d338','0',0)],[('checkout-success','6c36b4263da5d338','1',0)],[('checkout-success','6c36b4263da5d338','2',0)]]
-- gv16 = [[(1,1,2)],[]]
-- gv17 = 1773142486000
-- gv18 = 1772973296000000000
-- gv19 = 1772973296
-- gv20 = 1773059696000000000
-- gv21 = 1773059696
-- gv22 = [[('push-delivery','aea3ba84091ea6e0','',0)]]
-- gv23 = 0
-- gv24 = 9223372036854775807
-- gv25 = 1772973296
-- gv26 = [('login-success','6e133838b69cf49a'),('feed-latency','2f5c5bc69466ed4c'),('checkout-success','6c36b4263da5d338'),('push-delivery','aea3ba84091ea6e0')]
-- gv9 = [[(1,1,2)],[],[(2,1,4)],[],[(3,1,6),(4,2,6),(5,3,6),(6,4,6)],[]]
