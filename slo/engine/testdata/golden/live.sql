SELECT slo, slice_key, hex(slice_value), toInt64(toUnixTimestamp(minute)), good, total FROM (
SELECT o.1 AS slo, o.2 AS hash, o.3 AS slice_key, v AS slice_value, minute,
	sum(g) AS good, sum(c) AS total, sumMapIf([b], [c], o.4 = 1) AS hist
FROM (
	SELECT minute, b, d, v, i, countIf(has(pass, {gv11:Array(Array(UInt32))}[d][i])) AS g, count() AS c
	FROM (
		SELECT minute, b, arrayFilter((k, x) -> x = 1, arrayEnumerate(p), p) AS pass, vals
		FROM (
			SELECT toStartOfMinute(toDateTime(Timestamp, 'UTC')) AS minute, toUInt16(0) AS b, [toUInt8(((ServiceName = {gf1_t0:String}) AND (SpanName = {gf1_t1:String})) AND FlowsloInserted >= fromUnixTimestamp64Milli({gv0:Int64}, 'UTC')), toUInt8((NOT ((StatusCode = {gf2_g0:String}) OR (ifNull(toFloat64OrNull(SpanAttributes[{gf2_g1:String}]) >= {gf2_g2:Float64}, false))))), toUInt8((ServiceName = {gf4_t0:String}) AND FlowsloInserted >= fromUnixTimestamp64Milli({gv3:Int64}, 'UTC')), toUInt8((Duration <= {gf5_g0:Int64})), toUInt8((ServiceName = {gf6_t0:String})), toUInt8((StatusCode != {gf7_g0:String}))] AS p, ['', toString(ResourceAttributes[{gf8_s0_0:String}]), toString(ResourceAttributes[{gf9_s1_0:String}])] AS vals
			FROM otel_traces WHERE FlowsloInserted >= fromUnixTimestamp64Milli({gv12:Int64}, 'UTC') AND Timestamp < fromUnixTimestamp64Nano({gv13:Int64}) AND (toUInt8(((ServiceName = {gf1_t0:String}) AND (SpanName = {gf1_t1:String})) AND FlowsloInserted >= fromUnixTimestamp64Milli({gv0:Int64}, 'UTC')) OR toUInt8((ServiceName = {gf4_t0:String}) AND FlowsloInserted >= fromUnixTimestamp64Milli({gv3:Int64}, 'UTC')) OR toUInt8((ServiceName = {gf6_t0:String})))
		)
	) ARRAY JOIN vals AS v, arrayEnumerate(vals) AS d
	ARRAY JOIN arrayFilter((j, t) -> has(pass, t), arrayEnumerate({gv10:Array(Array(UInt32))}[d]), {gv10:Array(Array(UInt32))}[d]) AS i
	GROUP BY minute, b, d, v, i
) ARRAY JOIN arrayFilter(x -> x.5 = d AND x.6 = i, {gv14:Array(Tuple(String, String, String, UInt8, UInt32, UInt32))}) AS o
GROUP BY slo, hash, slice_key, slice_value, minute
)
UNION ALL
SELECT slo, slice_key, hex(slice_value), toInt64(toUnixTimestamp(minute)), good, total FROM (
SELECT o.1 AS slo, o.2 AS hash, o.3 AS slice_key, v AS slice_value, minute,
	sum(g) AS good, sum(c) AS total, sumMapIf([b], [c], o.4 = 1) AS hist
FROM (
	SELECT minute, b, d, v, i, countIf(has(pass, {gv18:Array(Array(UInt32))}[d][i])) AS g, count() AS c
	FROM (
		SELECT minute, b, arrayFilter((k, x) -> x = 1, arrayEnumerate(p), p) AS pass, vals
		FROM (
			SELECT toStartOfMinute(toDateTime(Timestamp, 'UTC')) AS minute, toUInt16(0) AS b, [toUInt8((EventName = {gf15_t0:String})), toUInt8((LogAttributes[{gf16_g0:String}] = {gf16_g1:String}))] AS p, [''] AS vals
			FROM otel_logs WHERE FlowsloInserted >= fromUnixTimestamp64Milli({gv19:Int64}, 'UTC') AND Timestamp < fromUnixTimestamp64Nano({gv20:Int64}) AND TimestampTime <= toDateTime({gv21:Int64}) AND (toUInt8((EventName = {gf15_t0:String})))
		)
	) ARRAY JOIN vals AS v, arrayEnumerate(vals) AS d
	ARRAY JOIN arrayFilter((j, t) -> has(pass, t), arrayEnumerate({gv17:Array(Array(UInt32))}[d]), {gv17:Array(Array(UInt32))}[d]) AS i
	GROUP BY minute, b, d, v, i
) ARRAY JOIN arrayFilter(x -> x.5 = d AND x.6 = i, {gv22:Array(Tuple(String, String, String, UInt8, UInt32, UInt32))}) AS o
GROUP BY slo, hash, slice_key, slice_value, minute
)

-- parameters
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
-- gv10 = [[1,3,5],[5],[5]]
-- gv11 = [[2,4,6],[6],[6]]
-- gv12 = 1773146081000
-- gv13 = 1773146100000000000
-- gv14 = [('login-success','6e133838b69cf49a','',0,1,1),('feed-latency','2f5c5bc69466ed4c','',0,1,2),('checkout-success','631be9cc30c467b2','',0,1,3),('checkout-success','631be9cc30c467b2','0',0,2,1),('checkout-success','631be9cc30c467b2','1',0,3,1)]
-- gv17 = [[1]]
-- gv18 = [[2]]
-- gv19 = 1773146086000
-- gv20 = 1773146100000000000
-- gv21 = 1773146100
-- gv22 = [('push-delivery','aea3ba84091ea6e0','',0,1,1)]
-- gv3 = 1773146086000
