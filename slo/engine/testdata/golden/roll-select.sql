SELECT slo, hash, slice_key, hex(slice_value), toInt64(toUnixTimestamp(minute)), good, total, toString(hist) FROM (
SELECT o.1 AS slo, o.2 AS hash, o.3 AS slice_key, v AS slice_value, minute,
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
GROUP BY slo, hash, slice_key, slice_value, minute
)

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
-- gv3 = 1773146086000
