// Generates the transformers.js reference ids of runner's tests, with npm @huggingface/transformers
// 4.3.2 on onnxruntime-node 1.30.0 (a reference implementation, never a runtime dependency):
//
//   genai_fp16_greedy.jsonl: greedy ids for prompts on the onnxruntime-genai builder's own fp16 test
//     model (../shared/models/genai-tiny-llama-fp16), for TestGenAIFP16MatchesTransformersJS;
//   layouts_greedy.jsonl: greedy ids on seeded models that build-model writes in transformers.js's
//     layout (onnx/model.onnx and the variants model_fp16, model_q4, model_q4f16, model_int8,
//     model_uint8, model_quantized, model_bnb4), read as transformers.js reads them (dtype fp32, fp16,
//     q4, q4f16, int8, uint8, q8, bnb4), for TestTransformersJSLayoutsMatchTransformersJS.
//
// Run from the repository root: make goldens-tjs
// (= npm install in runner/testdata/tjs, then node runner/testdata/tjs/goldens.mjs; it runs
// `go run ./cmd/acoer-bench build-model` for the seeded models)
//
// transformers.js reads a model laid out its way: config.json and the tokenizer files at the top, the
// graph in onnx/. The shared directory has genai_config.json and no config.json, so this script copies
// it into a temporary directory as onnx/model.onnx (+ onnx/model.onnx.data, the name the graph's
// external_data entries give) and writes a config.json from genai_config.json's model fields (the
// shapes, context length and token ids). Nothing else is changed: the graph file is the same bytes.
//
// Each prompt runs alone (batch 1, no padding), greedy, for MAX_NEW tokens with no EOS (so every row
// is MAX_NEW long), from the ids transformers.js's tokenizer gives the text (the Go test checks that
// the project's tokenizer gives the same).
import { AutoModelForCausalLM, AutoTokenizer, Tensor, env } from '@huggingface/transformers';
import { execFileSync } from 'child_process';
import crypto from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { fileURLToPath } from 'url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const src = process.env.ACOER_SHARED_GENAI || path.resolve(root, '../shared/models/genai-tiny-llama-fp16');
const out = path.join(here, 'genai_fp16_greedy.jsonl');
const MAX_NEW = 24;
const PROMPTS = [
  'Once upon a time',
  'The quick brown fox jumps over the lazy dog.',
  'What is 12*13?',
  'a',
  'Numbers: 1 2 3 4 5 6 7 8 9 10.',
  'A longer prompt, with punctuation; and more words than the others, to be the widest row here.',
  'Hi!!',
  'def f(x):\n    return x * 2\n',
];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'acoer-tjs-'));
try {
  const ga = JSON.parse(fs.readFileSync(path.join(src, 'genai_config.json'), 'utf8')).model;
  const dec = ga.decoder;
  const config = {
    architectures: ['LlamaForCausalLM'], model_type: 'llama',
    vocab_size: ga.vocab_size, hidden_size: dec.hidden_size, num_hidden_layers: dec.num_hidden_layers,
    num_attention_heads: dec.num_attention_heads, num_key_value_heads: dec.num_key_value_heads,
    head_dim: dec.head_size, max_position_embeddings: ga.context_length,
    bos_token_id: ga.bos_token_id, eos_token_id: ga.eos_token_id, pad_token_id: ga.pad_token_id,
  };
  fs.writeFileSync(path.join(tmp, 'config.json'), JSON.stringify(config, null, 2));
  for (const f of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) {
    fs.copyFileSync(path.join(src, f), path.join(tmp, f));
  }
  fs.mkdirSync(path.join(tmp, 'onnx'));
  fs.copyFileSync(path.join(src, dec.filename), path.join(tmp, 'onnx', 'model.onnx'));
  fs.copyFileSync(path.join(src, 'model.onnx.data'), path.join(tmp, 'onnx', 'model.onnx.data'));

  env.allowRemoteModels = false;
  env.localModelPath = '/';
  const tokenizer = await AutoTokenizer.from_pretrained(tmp, { local_files_only: true });
  const model = await AutoModelForCausalLM.from_pretrained(tmp, { dtype: 'fp32', device: 'cpu', local_files_only: true });
  const lines = [];
  for (const text of PROMPTS) {
    const prompt = Array.from(tokenizer.encode(text));
    const input_ids = new Tensor('int64', BigInt64Array.from(prompt.map(BigInt)), [1, prompt.length]);
    const attention_mask = new Tensor('int64', BigInt64Array.from(prompt.map(() => 1n)), [1, prompt.length]);
    const res = await model.generate({
      input_ids, attention_mask, max_new_tokens: MAX_NEW, do_sample: false,
      eos_token_id: -1, pad_token_id: ga.pad_token_id,
    });
    const ids = Array.from(res.data, Number).slice(prompt.length);
    lines.push(JSON.stringify({ text, prompt_ids: prompt, ids }));
  }
  const header = {
    generator: 'runner/testdata/tjs/goldens.mjs (make goldens-tjs)',
    transformers_js: JSON.parse(fs.readFileSync(path.join(here, 'node_modules/@huggingface/transformers/package.json'), 'utf8')).version,
    onnxruntime_node: JSON.parse(fs.readFileSync(path.join(here, 'node_modules/onnxruntime-node/package.json'), 'utf8')).version,
    model: 'genai-tiny-llama-fp16 (onnxruntime-genai f00eed5bb25257a04b7626ca737bf43b32dd3d96, test/test_models/hf-internal-testing/tiny-random-LlamaForCausalLM-fp16)',
    max_new_tokens: MAX_NEW, decoding: 'greedy, each prompt alone (batch 1), no EOS',
  };
  fs.writeFileSync(out, [JSON.stringify(header), ...lines].join('\n') + '\n');
  console.log(`wrote ${out}: ${lines.length} prompts`);

  // Seeded models in transformers.js's layout, each variant read with its dtype. The prompts are
  // byte-level tokenizer ids (BOS 1, then byte + 3), the flags those of the Go test's models.
  const seededPrompts = [[1, 75, 108, 111, 111, 114], [1, 87], [1, 87, 107, 104, 35, 116, 120, 108, 102, 110, 35, 101, 117, 114, 122, 113],
    [1, 52, 35, 53, 35, 54, 35, 55, 35, 56, 35, 57, 35, 58, 35, 59, 35, 60, 35, 52, 51, 49], [1, 76, 35, 118, 100, 122, 35, 100, 35, 102, 100, 119]];
  const variants = [
    { dtype: 'fp32', flags: [] },
    { dtype: 'fp16', flags: ['--quant', 'fp16', '--kv-float16', '--logits-float16'] },
    { dtype: 'q4', flags: ['--quant', 'q4'] },
    { dtype: 'q4f16', flags: ['--quant', 'q4f16', '--kv-float16', '--logits-float16'] },
    { dtype: 'int8', flags: ['--quant', 'int8'] },
    { dtype: 'uint8', flags: ['--quant', 'uint8'] },
    { dtype: 'q8', flags: ['--quant', 'q8'] },
    { dtype: 'bnb4', flags: ['--quant', 'bnb4'] },
  ];
  const seededOut = path.join(here, 'layouts_greedy.jsonl');
  const seededLines = [];
  const seededDir = path.join(tmp, 'seeded');
  const base = ['run', './cmd/acoer-bench', 'build-model', '--out', seededDir, '--seed', '9', '--preset', 'tiny', '--max-seq-len', '512', '--eos-bias', '4', '--layout', 'transformers.js'];
  for (const [i, v] of variants.entries()) {
    execFileSync('go', [...base, ...v.flags, ...(i > 0 ? ['--add-variant'] : [])], { cwd: root, stdio: 'inherit' });
    const m = await AutoModelForCausalLM.from_pretrained(seededDir, { dtype: v.dtype, device: 'cpu', local_files_only: true });
    const graph = { fp32: 'onnx/model.onnx', q8: 'onnx/model_quantized.onnx' }[v.dtype] ?? `onnx/model_${v.dtype}.onnx`;
    const sha = crypto.createHash('sha256').update(fs.readFileSync(path.join(seededDir, graph))).digest('hex');
    for (const prompt of seededPrompts) {
      const input_ids = new Tensor('int64', BigInt64Array.from(prompt.map(BigInt)), [1, prompt.length]);
      const attention_mask = new Tensor('int64', BigInt64Array.from(prompt.map(() => 1n)), [1, prompt.length]);
      const res = await m.generate({ input_ids, attention_mask, max_new_tokens: MAX_NEW, do_sample: false, eos_token_id: 2, pad_token_id: 2 });
      const ids = Array.from(res.data, Number).slice(prompt.length);
      seededLines.push(JSON.stringify({ dtype: v.dtype, build_model: v.flags, graph, graph_sha256: sha, prompt_ids: prompt, ids }));
    }
  }
  const seededHeader = { ...header, model: 'build-model --seed 9 --preset tiny --max-seq-len 512 --eos-bias 4 --layout transformers.js (+ the flags of each line, --add-variant)',
    decoding: 'greedy, each prompt alone (batch 1), EOS 2 (ids end at it)' };
  fs.writeFileSync(seededOut, [JSON.stringify(seededHeader), ...seededLines].join('\n') + '\n');
  console.log(`wrote ${seededOut}: ${seededLines.length} completions`);
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
