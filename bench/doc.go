// Package bench runs benchmarks end to end: the benchmarks.yaml schema, the run plan, resumable
// execution, the per-sample results store, comparison against a baseline, CI gates, sharding and
// report rendering.
package bench
