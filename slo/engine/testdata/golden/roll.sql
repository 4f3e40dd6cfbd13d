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
			SELECT toStartOfMinute(toDateTime(Timestamp, 'UTC')) AS minute, toUInt16(if(Duration < 1000, 0, least(255, 1 + floor(log2(Duration / 1000) * 8)))) AS b, [toUInt8(((ServiceName = {gf1_t0:String}) AND (SpanName = {gf1_t1:String})) AND FlowsloInserted >= fromUnixTimestamp64Milli({gv0:Int64}, 'UTC')), toUInt8((NOT ((StatusCode = {gf2_g0:String}) OR (ifNull(toFloat64OrNull(SpanAttributes[{gf2_g1:String}]) >= {gf2_g2:Float64}, false))))), toUInt8((ServiceName = {gf4_t0:String}) AND FlowsloInserted >= fromUnixTimestamp64Milli({gv3:Int64}, 'UTC')), toUInt8((Duration <= {gf5_g0:Int64})), toUInt8((ServiceName = {gf6_t0:String})), toUInt8((StatusCode != {gf7_g0:String}))] AS p, ['', toString(ResourceAttributes[{gf8_s0_0:String}]), toString(ResourceAttributes[{gf9_s1_0:String}])] AS vals
			FROM otel_traces WHERE FlowsloInserted >= fromUnixTimestamp64Milli({gv11:Int64}, 'UTC') AND FlowsloInserted < fromUnixTimestamp64Milli({gv12:Int64}, 'UTC') AND (toUInt8(((ServiceName = {gf1_t0:String}) AND (SpanName = {gf1_t1:String})) AND FlowsloInserted >= fromUnixTimestamp64Milli({gv0:Int64}, 'UTC')) OR toUInt8((ServiceName = {gf4_t0:String}) AND FlowsloInserted >= fromUnixTimestamp64Milli({gv3:Int64}, 'UTC')) OR toUInt8((ServiceName = {gf6_t0:String})))
		)
	) ARRAY JOIN arrayFlatten(arrayMap(t -> {gv10:Array(Array(Tuple(UInt32, UInt32, UInt32)))}[t], pass)) AS x
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
			FROM otel_logs WHERE FlowsloInserted >= fromUnixTimestamp64Milli({gv17:Int64}, 'UTC') AND FlowsloInserted < fromUnixTimestamp64Milli({gv18:Int64}, 'UTC') AND (toUInt8((EventName = {gf14_t0:String})))
		)
	) ARRAY JOIN arrayFlatten(arrayMap(t -> {gv16:Array(Array(Tuple(UInt32, UInt32, UInt32)))}[t], pass)) AS x
	GROUP BY minute, b, gid, v
) ARRAY JOIN {gv19:Array(Array(Tuple(String, String, String, UInt8)))}[gid] AS o
GROUP BY slo, hash, slice_key, slice_value, minute) ARRAY JOIN [toUInt8(0), toUInt8(1)] AS res
GROUP BY slo, hash, res, slice_key, slice_value, m
UNION ALL
SELECT {gv20:String} AS slo, {gv21:String} AS hash, toUInt8(2) AS res, '' AS slice_key, '' AS slice_value, toDateTime(0, 'UTC') AS m, toUInt64(0) AS good, toUInt64(0) AS total, (CAST([], 'Array(UInt16)'), CAST([], 'Array(UInt64)')) AS hist, {gv22:Int64} AS rolled, {gv23:Int64} AS cutoff, {gv24:Int64} AS backfilled
UNION ALL
SELECT {gv25:String} AS slo, {gv26:String} AS hash, toUInt8(2) AS res, '' AS slice_key, '' AS slice_value, toDateTime(0, 'UTC') AS m, toUInt64(0) AS good, toUInt64(0) AS total, (CAST([], 'Array(UInt16)'), CAST([], 'Array(UInt64)')) AS hist, {gv27:Int64} AS rolled, {gv28:Int64} AS cutoff, {gv29:Int64} AS backfilled
UNION ALL
SELECT {gv30:String} AS slo, {gv31:String} AS hash, toUInt8(2) AS res, '' AS slice_key, '' AS slice_value, toDateTime(0, 'UTC') AS m, toUInt64(0) AS good, toUInt64(0) AS total, (CAST([], 'Array(UInt16)'), CAST([], 'Array(UInt64)')) AS hist, {gv32:Int64} AS rolled, {gv33:Int64} AS cutoff, {gv34:Int64} AS backfilled
UNION ALL
SELECT {gv35:String} AS slo, {gv36:String} AS hash, toUInt8(2) AS res, '' AS slice_key, '' AS slice_value, toDateTime(0, 'UTC') AS m, toUInt64(0) AS good, toUInt64(0) AS total, (CAST([], 'Array(UInt16)'), CAST([], 'Array(UInt64)')) AS hist, {gv37:Int64} AS rolled, {gv38:Int64} AS cutoff, {gv39:Int64} AS backfilled
)
SETTINGS min_insert_block_size_rows = 1000000000000, min_insert_block_size_bytes = 1000000000000, max_insert_threads = 1

-- parameters
-- gf14_t0 = push.delivery
-- gf15_g0 = push.outcome
-- gf15_g1 = delivered
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
-- gv10 = [[(1,1,2)],[],[(2,1,4)],[],[(3,1,6),(4,2,6),(5,3,6)],[]]
-- gv11 = 1773146081000
-- gv12 = 1773146091000
-- gv13 = [[('login-success','6e133838b69cf49a','',0)],[('feed-latency','2f5c5bc69466ed4c','',1)],[('checkout-success','631be9cc30c467b2','',0)],[('checkout-success','631be9cc30c467b2','0',0)],[('checkout-success','631be9cc30c467b2','1',0)]]
-- gv16 = [[(1,1,2)],[]]
-- gv17 = 1773146086000
-- gv18 = 1773146091000
-- gv19 = [[('push-delivery','aea3ba84091ea6e0','',0)]]
-- gv20 = login-success
-- gv21 = 6e133838b69cf49a
-- gv22 = 1773146091000
-- gv23 = 9223372036854775807
-- gv24 = 9223372036854775807
-- gv25 = feed-latency
-- gv26 = 2f5c5bc69466ed4c
-- gv27 = 1773146091000
-- gv28 = 9223372036854775807
-- gv29 = 9223372036854775807
-- gv3 = 1773146086000
-- gv30 = checkout-success
-- gv31 = 631be9cc30c467b2
-- gv32 = 1773146091000
-- gv33 = 9223372036854775807
-- gv34 = 9223372036854775807
-- gv35 = push-delivery
-- gv36 = aea3ba84091ea6e0
-- gv37 = 1773146091000
-- gv38 = 9223372036854775807
-- gv39 = 9223372036854775807
