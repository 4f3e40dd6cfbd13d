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
			SELECT toStartOfMinute(toDateTime(Timestamp, 'UTC')) AS minute, toUInt16(if(Duration < 1000, 0, least(255, 1 + floor(log2(Duration / 1000) * 8)))) AS b, [toUInt8(((ServiceName = {gf1_t0:String}) AND (SpanName = {gf1_t1:String})) AND FlowsloInserted >= fromUnixTimestamp64Milli({gv0:Int64}, 'UTC')), toUInt8((NOT ((StatusCode = {gf2_g0:String}) OR (ifNull(toFloat64OrNull(SpanAttributes[{gf2_g1:String}]) >= {gf2_g2:Float64}, false))))), toUInt8((ServiceName = {gf4_t0:String}) AND FlowsloInserted >= fromUnixTimestamp64Milli({gv3:Int64}, 'UTC')), toUInt8((Duration <= {gf5_g0:Int64})), toUInt8((ServiceName = {gf6_t0:String})), toUInt8((StatusCode != {gf7_g0:String}))] AS p, ['', toString(ResourceAttributes[{gf8_s0_0:String}]), toString(ResourceAttributes[{gf9_s1_0:String}]), toString(concat(toString(ResourceAttributes[{gf10_s1_0:String}]), '', if(toString(ResourceAttributes[{gf10_s0_0:String}]) = '', 'unknown', toString(ResourceAttributes[{gf10_s0_0:String}]))))] AS vals
			FROM otel_traces WHERE FlowsloInserted >= fromUnixTimestamp64Milli({gv12:Int64}, 'UTC') AND FlowsloInserted < fromUnixTimestamp64Milli({gv13:Int64}, 'UTC') AND (toUInt8(((ServiceName = {gf1_t0:String}) AND (SpanName = {gf1_t1:String})) AND FlowsloInserted >= fromUnixTimestamp64Milli({gv0:Int64}, 'UTC')) OR toUInt8((ServiceName = {gf4_t0:String}) AND FlowsloInserted >= fromUnixTimestamp64Milli({gv3:Int64}, 'UTC')) OR toUInt8((ServiceName = {gf6_t0:String})))
		)
	) ARRAY JOIN arrayFlatten(arrayMap(t -> {gv11:Array(Array(Tuple(UInt32, UInt32, UInt32)))}[t], pass)) AS x
	GROUP BY minute, b, gid, v
) ARRAY JOIN {gv14:Array(Array(Tuple(String, String, String, UInt8)))}[gid] AS o
GROUP BY slo, hash, slice_key, slice_value, minute
UNION ALL
SELECT o.1 AS slo, o.2 AS hash, o.3 AS slice_key, v AS slice_value, minute,
	sum(g) AS good, sum(c) AS total, sumMapIf([b], [c], o.4 = 1) AS hist
FROM (
	SELECT minute, b, x.1 AS gid, vals[x.2] AS v, countIf(has(pass, x.3)) AS g, count() AS c
	FROM (
		SELECT minute, b, arrayFilter((k, y) -> y = 1, arrayEnumerate(p), p) AS pass, vals
		FROM (
			SELECT toStartOfMinute(toDateTime(Timestamp, 'UTC')) AS minute, toUInt16(0) AS b, [toUInt8((EventName = {gf15_t0:String})), toUInt8((LogAttributes[{gf16_g0:String}] = {gf16_g1:String}))] AS p, [''] AS vals
			FROM otel_logs WHERE FlowsloInserted >= fromUnixTimestamp64Milli({gv18:Int64}, 'UTC') AND FlowsloInserted < fromUnixTimestamp64Milli({gv19:Int64}, 'UTC') AND (toUInt8((EventName = {gf15_t0:String})))
		)
	) ARRAY JOIN arrayFlatten(arrayMap(t -> {gv17:Array(Array(Tuple(UInt32, UInt32, UInt32)))}[t], pass)) AS x
	GROUP BY minute, b, gid, v
) ARRAY JOIN {gv20:Array(Array(Tuple(String, String, String, UInt8)))}[gid] AS o
GROUP BY slo, hash, slice_key, slice_value, minute) ARRAY JOIN [toUInt8(0), toUInt8(1)] AS res
GROUP BY slo, hash, res, slice_key, slice_value, m
UNION ALL
SELECT {gv21:String} AS slo, {gv22:String} AS hash, toUInt8(2) AS res, '' AS slice_key, '' AS slice_value, toDateTime(0, 'UTC') AS m, toUInt64(0) AS good, toUInt64(0) AS total, (CAST([], 'Array(UInt16)'), CAST([], 'Array(UInt64)')) AS hist, {gv23:Int64} AS rolled, {gv24:Int64} AS cutoff, {gv25:Int64} AS backfilled
UNION ALL
SELECT {gv26:String} AS slo, {gv27:String} AS hash, toUInt8(2) AS res, '' AS slice_key, '' AS slice_value, toDateTime(0, 'UTC') AS m, toUInt64(0) AS good, toUInt64(0) AS total, (CAST([], 'Array(UInt16)'), CAST([], 'Array(UInt64)')) AS hist, {gv28:Int64} AS rolled, {gv29:Int64} AS cutoff, {gv30:Int64} AS backfilled
UNION ALL
SELECT {gv31:String} AS slo, {gv32:String} AS hash, toUInt8(2) AS res, '' AS slice_key, '' AS slice_value, toDateTime(0, 'UTC') AS m, toUInt64(0) AS good, toUInt64(0) AS total, (CAST([], 'Array(UInt16)'), CAST([], 'Array(UInt64)')) AS hist, {gv33:Int64} AS rolled, {gv34:Int64} AS cutoff, {gv35:Int64} AS backfilled
UNION ALL
SELECT {gv36:String} AS slo, {gv37:String} AS hash, toUInt8(2) AS res, '' AS slice_key, '' AS slice_value, toDateTime(0, 'UTC') AS m, toUInt64(0) AS good, toUInt64(0) AS total, (CAST([], 'Array(UInt16)'), CAST([], 'Array(UInt64)')) AS hist, {gv38:Int64} AS rolled, {gv39:Int64} AS cutoff, {gv40:Int64} AS backfilled
)
SETTINGS min_insert_block_size_rows = 1000000000000, min_insert_block_size_bytes = 1000000000000, max_insert_threads = 1

-- parameters
-- gf10_s0_0 = os.name
-- gf10_s1_0 = service.version
-- gf15_t0 = push.delivery
-- gf16_g0 = push.outcome
-- gf16_g1 = delivered
-- gf1_t0 = auth-api
-- gf1_t1 = POST /v1/login
-- gf2_g0 = Error
-- gf2_g1 = http.response.status_code
-- gf2_g2 = 500
-- gf4_t0 = feed-api
-- gf5_g0 = 300000000
-- gf6_t0 = orders-api
-- gf7_g0 = Error
-- gf8_s0_0 = os.name
-- gf9_s1_0 = service.version
-- gv0 = 1773146086000
-- gv11 = [[(1,1,2)],[],[(2,1,4)],[],[(3,1,6),(4,2,6),(5,3,6),(6,4,6)],[]]
-- gv12 = 1773146081000
-- gv13 = 1773146091000
-- gv14 = [[('login-success','6e133838b69cf49a','',0)],[('feed-latency','2f5c5bc69466ed4c','',1)],[('checkout-success','6c36b4263da5d338','',0)],[('checkout-success','6c36b4263da5d338','0',0)],[('checkout-success','6c36b4263da5d338','1',0)],[('checkout-success','6c36b4263da5d338','2',0)]]
-- gv17 = [[(1,1,2)],[]]
-- gv18 = 1773146086000
-- gv19 = 1773146091000
-- gv20 = [[('push-delivery','aea3ba84091ea6e0','',0)]]
-- gv21 = login-success
-- gv22 = 6e133838b69cf49a
-- gv23 = 1773146091000
-- gv24 = 9223372036854775807
-- gv25 = 9223372036854775807
-- gv26 = feed-latency
-- gv27 = 2f5c5bc69466ed4c
-- gv28 = 1773146091000
-- gv29 = 9223372036854775807
-- gv3 = 1773146086000
-- gv30 = 9223372036854775807
-- gv31 = checkout-success
-- gv32 = 6c36b4263da5d338
-- gv33 = 1773146091000
-- gv34 = 9223372036854775807
-- gv35 = 9223372036854775807
-- gv36 = push-delivery
-- gv37 = aea3ba84091ea6e0
-- gv38 = 1773146091000
-- gv39 = 9223372036854775807
-- gv40 = 9223372036854775807
