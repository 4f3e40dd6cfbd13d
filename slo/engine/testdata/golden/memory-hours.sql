SELECT slo, hash, slice_key, hex(slice_value), toInt64(toUnixTimestamp(minute)), sum(good), sum(total)
FROM slo_rollup WHERE res = 1 AND (slice_key = '' OR (slo, slice_key) IN {gv3:Array(Tuple(String, String))}) AND slo IN {gv1:Array(String)} AND (slo, hash) IN {gv2:Array(Tuple(String, String))} AND (minute >= toDateTime({gv0:Int64}, 'UTC'))
GROUP BY slo, hash, slice_key, slice_value, minute

-- parameters
-- gv0 = 1770724800
-- gv1 = ['login-success','feed-latency','checkout-success','push-delivery']
-- gv2 = [('login-success','6e133838b69cf49a'),('feed-latency','2f5c5bc69466ed4c'),('checkout-success','6c36b4263da5d338'),('push-delivery','aea3ba84091ea6e0')]
-- gv3 = [('checkout-success','0'),('checkout-success','1')]
