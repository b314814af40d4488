// Package metrics grades responses (answer extraction and gold-directed equivalence per benchmark)
// and computes every statistic acoer-bench reports: accuracy, pass@k, avg@k, maj@k, length
// statistics, reduction against a baseline, latency percentiles, confidence intervals and paired
// tests. It is pure Go with no I/O.
package metrics
