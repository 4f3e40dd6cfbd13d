INSERT INTO slo_rollup (slo, hash, res, slice_key, slice_value, minute, good, total, hist, rolled, cutoff, backfilled)
SELECT * FROM (
SELECT slo, hash, res, slice_key, slice_value, if(res = 1, toStartOfHour(minute), minute) AS m,
	sum(good) AS good, sum(total) AS total, sumMap(hist) AS hist, toInt64(0) AS rolled, toInt64(0) AS cutoff, toInt64(0) AS backfilled
FROM (SELECT t.1 AS slo, t.2 AS hash, t.3 AS slice_key, unhex(t.4) AS slice_value, toDateTime(t.5, 'UTC') AS minute, t.6 AS good, t.7 AS total, t.8 AS hist
FROM (SELECT arrayJoin({gv0:Array(Tuple(String, String, String, String, Int64, UInt64, UInt64, Tuple(Array(UInt16), Array(UInt64))))}) AS t)) ARRAY JOIN [toUInt8(0), toUInt8(1)] AS res
GROUP BY slo, hash, res, slice_key, slice_value, m
UNION ALL
SELECT t.1 AS slo, t.2 AS hash, toUInt8(2) AS res, '' AS slice_key, '' AS slice_value, toDateTime(0, 'UTC') AS m, toUInt64(0) AS good, toUInt64(0) AS total, (CAST([], 'Array(UInt16)'), CAST([], 'Array(UInt64)')) AS hist, {gv1:Int64} AS rolled, {gv2:Int64} AS cutoff, {gv3:Int64} AS backfilled
FROM (SELECT arrayJoin({gv4:Array(Tuple(String, String))}) AS t)
) AS flowslo_roll
SETTINGS min_insert_block_size_rows = 1000000000000, min_insert_block_size_bytes = 1000000000000, max_insert_threads = 1, insert_deduplicate = 1, insert_deduplication_token = 'roll-0123456789abcdef'

-- parameters
-- gv0 = [('login-success','h','','',1773146040,9,10,([],[])),('feed-latency','h','','',1773146040,5,5,([12,13],[2,3]))]
-- gv1 = 1773146091000
-- gv2 = 9223372036854775807
-- gv3 = 9223372036854775807
-- gv4 = [('login-success','6e133838b69cf49a'),('feed-latency','2f5c5bc69466ed4c'),('checkout-success','6c36b4263da5d338'),('push-delivery','aea3ba84091ea6e0')]
