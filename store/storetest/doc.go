// Package storetest owns the contract every store.Store driver must meet:
// Run exercises migrations, inserts and queries of spans and logs, parameter
// binding with hostile values, exact counts and concurrency against a fresh
// store. It also makes realistic spans and logs for tests and benchmarks.
package storetest
