// Package runner turns text into generated text on ONNX Runtime: it opens exported decoder
// checkpoints (ONNX with KV cache), reads their I/O contract from the graph, and runs batched greedy
// or sampled generation with per-sequence timings.
package runner
