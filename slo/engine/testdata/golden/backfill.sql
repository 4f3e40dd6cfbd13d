INSERT INTO slo_rollup (slo, hash, res, slice_key, slice_value, minute, good, total, hist, rolled, cutoff, backfilled)
SELECT * FROM (
SELECT slo, hash, res, slice_key, slice_value, if(res = 1, toStartOfHour(minute), minute) AS m,
	sum(good) AS good, sum(total) AS total, sumMap(hist) AS hist, toInt64(0) AS rolled, toInt64(0) AS cutoff, toInt64(0) AS backfilled
FROM (SELECT o.1 AS slo, o.2 AS hash, o.3 AS slice_key, v AS slice_value, minute,
	sum(g) AS good, sum(c) AS total, sumMapIf([b], [c], o.4 = 1) AS hist
FROM (
	SELECT minute, b, d, v, i, countIf(has(pass, {gv9:Array(Array(UInt32))}[d][i])) AS g, count() AS c
	FROM (
		SELECT minute, b, arrayFilter((k, x) -> x = 1, arrayEnumerate(p), p) AS pass, vals
		FROM (
			SELECT toStartOfMinute(toDateTime(Timestamp, 'UTC')) AS minute, toUInt16(if(Duration < 1000, 0, least(255, 1 + floor(log2(Duration / 1000) * 8)))) AS b, [toUInt8(((ServiceName = {gf0_t0:String}) AND (SpanName = {gf0_t1:String}))), toUInt8((NOT ((StatusCode = {gf1_g0:String}) OR (ifNull(toFloat64OrNull(SpanAttributes[{gf1_g1:String}]) >= {gf1_g2:Float64}, false))))), toUInt8((ServiceName = {gf2_t0:String})), toUInt8((Duration <= {gf3_g0:Int64})), toUInt8((ServiceName = {gf4_t0:String})), toUInt8((StatusCode != {gf5_g0:String}))] AS p, ['', toString(ResourceAttributes[{gf6_s0_0:String}]), toString(ResourceAttributes[{gf7_s1_0:String}])] AS vals
			FROM otel_traces WHERE FlowsloInserted < fromUnixTimestamp64Milli({gv10:Int64}, 'UTC') AND Timestamp >= fromUnixTimestamp64Nano({gv11:Int64}) AND Timestamp < fromUnixTimestamp64Nano({gv12:Int64}) AND (toUInt8(((ServiceName = {gf0_t0:String}) AND (SpanName = {gf0_t1:String}))) OR toUInt8((ServiceName = {gf2_t0:String})) OR toUInt8((ServiceName = {gf4_t0:String})))
		)
	) ARRAY JOIN vals AS v, arrayEnumerate(vals) AS d
	ARRAY JOIN arrayFilter((j, t) -> has(pass, t), arrayEnumerate({gv8:Array(Array(UInt32))}[d]), {gv8:Array(Array(UInt32))}[d]) AS i
	GROUP BY minute, b, d, v, i
) ARRAY JOIN arrayFilter(x -> x.5 = d AND x.6 = i, {gv13:Array(Tuple(String, String, String, UInt8, UInt32, UInt32))}) AS o
GROUP BY slo, hash, slice_key, slice_value, minute
UNION ALL
SELECT o.1 AS slo, o.2 AS hash, o.3 AS slice_key, v AS slice_value, minute,
	sum(g) AS good, sum(c) AS total, sumMapIf([b], [c], o.4 = 1) AS hist
FROM (
	SELECT minute, b, d, v, i, countIf(has(pass, {gv17:Array(Array(UInt32))}[d][i])) AS g, count() AS c
	FROM (
		SELECT minute, b, arrayFilter((k, x) -> x = 1, arrayEnumerate(p), p) AS pass, vals
		FROM (
			SELECT toStartOfMinute(toDateTime(Timestamp, 'UTC')) AS minute, toUInt16(0) AS b, [toUInt8((EventName = {gf14_t0:String})), toUInt8((LogAttributes[{gf15_g0:String}] = {gf15_g1:String}))] AS p, [''] AS vals
			FROM otel_logs WHERE FlowsloInserted < fromUnixTimestamp64Milli({gv18:Int64}, 'UTC') AND Timestamp >= fromUnixTimestamp64Nano({gv19:Int64}) AND TimestampTime >= toDateTime({gv20:Int64}) AND Timestamp < fromUnixTimestamp64Nano({gv21:Int64}) AND TimestampTime <= toDateTime({gv22:Int64}) AND (toUInt8((EventName = {gf14_t0:String})))
		)
	) ARRAY JOIN vals AS v, arrayEnumerate(vals) AS d
	ARRAY JOIN arrayFilter((j, t) -> has(pass, t), arrayEnumerate({gv16:Array(Array(UInt32))}[d]), {gv16:Array(Array(UInt32))}[d]) AS i
	GROUP BY minute, b, d, v, i
) ARRAY JOIN arrayFilter(x -> x.5 = d AND x.6 = i, {gv23:Array(Tuple(String, String, String, UInt8, UInt32, UInt32))}) AS o
GROUP BY slo, hash, slice_key, slice_value, minute) ARRAY JOIN [toUInt8(0), toUInt8(1)] AS res
GROUP BY slo, hash, res, slice_key, slice_value, m
UNION ALL
SELECT {gv24:String} AS slo, {gv25:String} AS hash, toUInt8(2) AS res, '' AS slice_key, '' AS slice_value, toDateTime(0, 'UTC') AS m, toUInt64(0) AS good, toUInt64(0) AS total, (CAST([], 'Array(UInt16)'), CAST([], 'Array(UInt64)')) AS hist, {gv26:Int64} AS rolled, {gv27:Int64} AS cutoff, {gv28:Int64} AS backfilled
UNION ALL
SELECT {gv29:String} AS slo, {gv30:String} AS hash, toUInt8(2) AS res, '' AS slice_key, '' AS slice_value, toDateTime(0, 'UTC') AS m, toUInt64(0) AS good, toUInt64(0) AS total, (CAST([], 'Array(UInt16)'), CAST([], 'Array(UInt64)')) AS hist, {gv31:Int64} AS rolled, {gv32:Int64} AS cutoff, {gv33:Int64} AS backfilled
UNION ALL
SELECT {gv34:String} AS slo, {gv35:String} AS hash, toUInt8(2) AS res, '' AS slice_key, '' AS slice_value, toDateTime(0, 'UTC') AS m, toUInt64(0) AS good, toUInt64(0) AS total, (CAST([], 'Array(UInt16)'), CAST([], 'Array(UInt64)')) AS hist, {gv36:Int64} AS rolled, {gv37:Int64} AS cutoff, {gv38:Int64} AS backfilled
UNION ALL
SELECT {gv39:String} AS slo, {gv40:String} AS hash, toUInt8(2) AS res, '' AS slice_key, '' AS slice_value, toDateTime(0, 'UTC') AS m, toUInt64(0) AS good, toUInt64(0) AS total, (CAST([], 'Array(UInt16)'), CAST([], 'Array(UInt64)')) AS hist, {gv41:Int64} AS rolled, {gv42:Int64} AS cutoff, {gv43:Int64} AS backfilled
)
SETTINGS min_insert_block_size_rows = 1000000000000, min_insert_block_size_bytes = 1000000000000, max_insert_threads = 1

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
-- gv10 = 1773142486000
-- gv11 = 1772973296000000000
-- gv12 = 1773059696000000000
-- gv13 = [('login-success','6e133838b69cf49a','',0,1,1),('feed-latency','2f5c5bc69466ed4c','',1,1,2),('checkout-success','631be9cc30c467b2','',0,1,3),('checkout-success','631be9cc30c467b2','0',0,2,1),('checkout-success','631be9cc30c467b2','1',0,3,1)]
-- gv16 = [[1]]
-- gv17 = [[2]]
-- gv18 = 1773142486000
-- gv19 = 1772973296000000000
-- gv20 = 1772973296
-- gv21 = 1773059696000000000
-- gv22 = 1773059696
-- gv23 = [('push-delivery','aea3ba84091ea6e0','',0,1,1)]
-- gv24 = login-success
-- gv25 = 6e133838b69cf49a
-- gv26 = 0
-- gv27 = 9223372036854775807
-- gv28 = 1772973296
-- gv29 = feed-latency
-- gv30 = 2f5c5bc69466ed4c
-- gv31 = 0
-- gv32 = 9223372036854775807
-- gv33 = 1772973296
-- gv34 = checkout-success
-- gv35 = 631be9cc30c467b2
-- gv36 = 0
-- gv37 = 9223372036854775807
-- gv38 = 1772973296
-- gv39 = push-delivery
-- gv40 = aea3ba84091ea6e0
-- gv41 = 0
-- gv42 = 9223372036854775807
-- gv43 = 1772973296
-- gv8 = [[1,3,5],[5],[5]]
-- gv9 = [[2,4,6],[6],[6]]
