// Package journal owns the files of ingest's persistent queue: for one
// signal, an append-only log of entries (one queued batch of OTLP
// protobuf each) in numbered segment files, and a small state file that
// says which entries are stored and which group of them is being stored.
//
// Why not the OTel Collector's persistent queue: it hands its consumer one
// queued request at a time, and after a restart puts the requests it had
// handed out back in a new order. An insert per queued request is what
// made the queue slow (each insert costs a part in ClickHouse, ~6–15 ms
// on chDB whatever its size, and a ClickHouse server wants few large
// inserts), and merging requests after that queue gives a merged insert no
// name that survives a restart, so a retry could store it twice.
//
// Here the consumer takes a group of consecutive entries, [First, End),
// as large as what is waiting allows, and records the group in the state
// file before it inserts. Its deduplication token is named by the journal
// and the range (Group.Token), and after a crash Next hands out exactly
// the recorded group again, with the same entries in the same order: the
// retried insert carries the same rows under the same token, and
// ClickHouse stores it once. Only Done moves the stored mark past a group
// and lets its segment files go.
//
// Durability: Append returns once its entry is written and, unless
// Options.NoFSync, fsynced; the state file is replaced by rename after
// an fsync. A torn entry at the end of the last segment (a crash during
// Append, which had not returned) is cut off at Open. Damage anywhere
// else (a segment cut short or garbled, a segment file gone) loses only
// the entries it hit: Next leaves them out and tells Options.Damaged,
// and the entries after them are stored, where refusing the journal
// would hold them all back. A state file that does not parse is refused
// with its name; removed, every entry the segments hold is stored again
// under a new id (twice rather than lost).
package journal
