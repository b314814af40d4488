// Package datasets loads benchmark problems (GSM8K, MATH-500, MATH, AIME 2024/2025, AMC 2023 and
// any JSONL file with a field mapping) into plain Problem values, renders prompt templates, and
// downloads the public files into a cache with sha256 checks. It is pure Go with no ONNX and no
// grading.
package datasets
