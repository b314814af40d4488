// Package runner turns text into generated text on ONNX Runtime: it opens exported decoder
// checkpoints (ONNX with KV cache), reads their I/O contract from the graph, and runs batched greedy
// or sampled generation with per-sequence timings.
//
// Two directory layouts are read: Hugging Face optimum's text-generation-with-past export (config.json,
// generation_config.json, a graph with or without position_ids) and onnxruntime-genai's model builder
// output (genai_config.json; on the CPU in float32, a GroupQueryAttention graph without position_ids).
// A graph without position_ids derives positions from attention_mask itself, so its prompts are never
// left-padded: Generate runs one unpadded group per prompt length. The KV cache always travels as past
// [batch, kv_heads, past, head_dim] in and present [batch, kv_heads, past+seq, head_dim] out, in separate
// buffers, whatever genai_config.json's past_present_share_buffer says (GroupQueryAttention accepts
// both).
package runner
