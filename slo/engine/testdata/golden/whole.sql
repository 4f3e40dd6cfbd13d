SELECT slo, sumIf(good, lvl = 1 AND minute >= toDateTime({gv2:Int64}, 'UTC') OR lvl = 0 AND (minute >= toDateTime({gv0:Int64}, 'UTC') OR minute >= toDateTime({gv1:Int64}, 'UTC') AND minute < toDateTime({gv2:Int64}, 'UTC'))) AS c0g, sumIf(total, lvl = 1 AND minute >= toDateTime({gv2:Int64}, 'UTC') OR lvl = 0 AND (minute >= toDateTime({gv0:Int64}, 'UTC') OR minute >= toDateTime({gv1:Int64}, 'UTC') AND minute < toDateTime({gv2:Int64}, 'UTC'))) AS c0t, sumIf(good, lvl = 1 AND minute >= toDateTime({gv4:Int64}, 'UTC') OR lvl = 0 AND (minute >= toDateTime({gv0:Int64}, 'UTC') OR minute >= toDateTime({gv3:Int64}, 'UTC') AND minute < toDateTime({gv4:Int64}, 'UTC'))) AS c1g, sumIf(total, lvl = 1 AND minute >= toDateTime({gv4:Int64}, 'UTC') OR lvl = 0 AND (minute >= toDateTime({gv0:Int64}, 'UTC') OR minute >= toDateTime({gv3:Int64}, 'UTC') AND minute < toDateTime({gv4:Int64}, 'UTC'))) AS c1t, sumIf(good, lvl = 1 AND minute >= toDateTime({gv6:Int64}, 'UTC') OR lvl = 0 AND (minute >= toDateTime({gv0:Int64}, 'UTC') OR minute >= toDateTime({gv5:Int64}, 'UTC') AND minute < toDateTime({gv6:Int64}, 'UTC'))) AS c2g, sumIf(total, lvl = 1 AND minute >= toDateTime({gv6:Int64}, 'UTC') OR lvl = 0 AND (minute >= toDateTime({gv0:Int64}, 'UTC') OR minute >= toDateTime({gv5:Int64}, 'UTC') AND minute < toDateTime({gv6:Int64}, 'UTC'))) AS c2t, sumIf(good, lvl = 0 AND minute >= toDateTime({gv7:Int64}, 'UTC')) AS c3g, sumIf(total, lvl = 0 AND minute >= toDateTime({gv7:Int64}, 'UTC')) AS c3t, sumIf(good, lvl = 0 AND minute >= toDateTime({gv8:Int64}, 'UTC')) AS c4g, sumIf(total, lvl = 0 AND minute >= toDateTime({gv8:Int64}, 'UTC')) AS c4t, sumIf(good, lvl = 1 AND minute >= toDateTime({gv10:Int64}, 'UTC') OR lvl = 0 AND (minute >= toDateTime({gv0:Int64}, 'UTC') OR minute >= toDateTime({gv9:Int64}, 'UTC') AND minute < toDateTime({gv10:Int64}, 'UTC'))) AS c5g, sumIf(total, lvl = 1 AND minute >= toDateTime({gv10:Int64}, 'UTC') OR lvl = 0 AND (minute >= toDateTime({gv0:Int64}, 'UTC') OR minute >= toDateTime({gv9:Int64}, 'UTC') AND minute < toDateTime({gv10:Int64}, 'UTC'))) AS c5t, sumIf(good, lvl = 1 AND minute >= toDateTime({gv12:Int64}, 'UTC') OR lvl = 0 AND (minute >= toDateTime({gv0:Int64}, 'UTC') OR minute >= toDateTime({gv11:Int64}, 'UTC') AND minute < toDateTime({gv12:Int64}, 'UTC'))) AS c6g, sumIf(total, lvl = 1 AND minute >= toDateTime({gv12:Int64}, 'UTC') OR lvl = 0 AND (minute >= toDateTime({gv0:Int64}, 'UTC') OR minute >= toDateTime({gv11:Int64}, 'UTC') AND minute < toDateTime({gv12:Int64}, 'UTC'))) AS c6t, sumIf(good, lvl = 1 AND minute >= toDateTime({gv14:Int64}, 'UTC') OR lvl = 0 AND (minute >= toDateTime({gv0:Int64}, 'UTC') OR minute >= toDateTime({gv13:Int64}, 'UTC') AND minute < toDateTime({gv14:Int64}, 'UTC'))) AS c7g, sumIf(total, lvl = 1 AND minute >= toDateTime({gv14:Int64}, 'UTC') OR lvl = 0 AND (minute >= toDateTime({gv0:Int64}, 'UTC') OR minute >= toDateTime({gv13:Int64}, 'UTC') AND minute < toDateTime({gv14:Int64}, 'UTC'))) AS c7t, sumIf(good, lvl = 1 AND minute >= toDateTime({gv16:Int64}, 'UTC') OR lvl = 0 AND (minute >= toDateTime({gv0:Int64}, 'UTC') OR minute >= toDateTime({gv15:Int64}, 'UTC') AND minute < toDateTime({gv16:Int64}, 'UTC'))) AS c8g, sumIf(total, lvl = 1 AND minute >= toDateTime({gv16:Int64}, 'UTC') OR lvl = 0 AND (minute >= toDateTime({gv0:Int64}, 'UTC') OR minute >= toDateTime({gv15:Int64}, 'UTC') AND minute < toDateTime({gv16:Int64}, 'UTC'))) AS c8t, sumIf(good, lvl = 1 AND minute >= toDateTime({gv18:Int64}, 'UTC') OR lvl = 0 AND (minute >= toDateTime({gv0:Int64}, 'UTC') OR minute >= toDateTime({gv17:Int64}, 'UTC') AND minute < toDateTime({gv18:Int64}, 'UTC'))) AS c9g, sumIf(total, lvl = 1 AND minute >= toDateTime({gv18:Int64}, 'UTC') OR lvl = 0 AND (minute >= toDateTime({gv0:Int64}, 'UTC') OR minute >= toDateTime({gv17:Int64}, 'UTC') AND minute < toDateTime({gv18:Int64}, 'UTC'))) AS c9t FROM (
SELECT slo, slice_key, slice_value, minute, good, total, toUInt8(1) AS lvl FROM slo_rollup WHERE res = 1 AND slice_key = '' AND slo IN {gv19:Array(String)} AND (slo, hash) IN {gv20:Array(Tuple(String, String))} AND minute >= toDateTime({gv36:Int64}, 'UTC') AND minute < toDateTime({gv21:Int64}, 'UTC')
UNION ALL
SELECT slo, slice_key, slice_value, minute, good, total, toUInt8(0) AS lvl FROM slo_rollup WHERE res = 0 AND slice_key = '' AND slo IN {gv19:Array(String)} AND (slo, hash) IN {gv20:Array(Tuple(String, String))} AND minute >= toDateTime({gv37:Int64}, 'UTC') AND minute < toDateTime({gv38:Int64}, 'UTC') AND (minute >= toDateTime({gv21:Int64}, 'UTC') OR minute >= toDateTime({gv22:Int64}, 'UTC') AND minute < toDateTime({gv23:Int64}, 'UTC') OR minute >= toDateTime({gv24:Int64}, 'UTC') AND minute < toDateTime({gv25:Int64}, 'UTC') OR minute >= toDateTime({gv26:Int64}, 'UTC') AND minute < toDateTime({gv27:Int64}, 'UTC') OR minute >= toDateTime({gv28:Int64}, 'UTC') AND minute < toDateTime({gv29:Int64}, 'UTC') OR minute >= toDateTime({gv30:Int64}, 'UTC') AND minute < toDateTime({gv31:Int64}, 'UTC') OR minute >= toDateTime({gv32:Int64}, 'UTC') AND minute < toDateTime({gv33:Int64}, 'UTC') OR minute >= toDateTime({gv34:Int64}, 'UTC') AND minute < toDateTime({gv35:Int64}, 'UTC'))
) GROUP BY slo

-- parameters
-- gv0 = 1773144000
-- gv1 = 1770726900
-- gv10 = 1773144000
-- gv11 = 1773138900
-- gv12 = 1773140400
-- gv13 = 1773124500
-- gv14 = 1773126000
-- gv15 = 1773059700
-- gv16 = 1773061200
-- gv17 = 1772886900
-- gv18 = 1772888400
-- gv19 = ['login-success','feed-latency','checkout-success','push-delivery']
-- gv2 = 1770728400
-- gv20 = [('login-success','6e133838b69cf49a'),('feed-latency','2f5c5bc69466ed4c'),('checkout-success','6c36b4263da5d338'),('push-delivery','aea3ba84091ea6e0')]
-- gv21 = 1773144000
-- gv22 = 1770726900
-- gv23 = 1770728400
-- gv24 = 1772541300
-- gv25 = 1772542800
-- gv26 = 1773142500
-- gv27 = 1773144000
-- gv28 = 1773138900
-- gv29 = 1773140400
-- gv3 = 1772541300
-- gv30 = 1773124500
-- gv31 = 1773126000
-- gv32 = 1773059700
-- gv33 = 1773061200
-- gv34 = 1772886900
-- gv35 = 1772888400
-- gv36 = 1770724800
-- gv37 = 1770726900
-- gv38 = 1773146100
-- gv4 = 1772542800
-- gv5 = 1772319600
-- gv6 = 1772319600
-- gv7 = 1773145800
-- gv8 = 1773144300
-- gv9 = 1773142500
