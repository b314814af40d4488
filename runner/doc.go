// Package runner turns text into generated text on ONNX Runtime: it opens exported decoder
// checkpoints (ONNX with KV cache), reads their I/O contract from the graph, and runs batched greedy
// or sampled generation with per-sequence timings.
//
// Two directory layouts are read: Hugging Face optimum's text-generation-with-past export (config.json,
// generation_config.json, a graph with or without position_ids) and onnxruntime-genai's model builder
// output (genai_config.json; on the CPU in float32, a GroupQueryAttention graph without position_ids).
// Stream (and Generate, its one-batch form) is an in-flight batching scheduler (generate.go): every
// prompt is prefilled alone, once per distinct prompt, its cache copied into a free row of the batch,
// and rows are refilled as they finish. Rows of GroupQueryAttention graphs are left-aligned (the
// operator takes each row's keys to be its first seqlens_k+1 positions), all others right-aligned. The
// KV cache travels as past [batch, kv_heads, past, head_dim] in and present [batch, kv_heads, past+seq,
// head_dim] out and stays on the session's device (bindstep.go); for GroupQueryAttention graphs with
// genai_config.json's past_present_share_buffer, past and present are one buffer of the longest row.
package runner
