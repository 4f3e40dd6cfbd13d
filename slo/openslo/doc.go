// Package openslo owns the import of OpenSLO v1 documents: it reads a YAML
// stream of SLO, SLI, Service and DataSource documents and writes the
// equivalent flowslo SLO file (the format package slo parses), which is what
// `flowslo import openslo FILE` prints.
//
// Only ratio metrics whose metric sources are flowslo CEL filters translate
// (type: flowslo or cel, with spec.source and spec.query). Everything that
// cannot be translated — Prometheus or Datadog queries, threshold metrics,
// raw ratios — is reported with the document, the field path and what to
// write instead, every problem at once, while the other SLOs still convert.
// The output is checked with slo.Parse before it is returned.
package openslo
