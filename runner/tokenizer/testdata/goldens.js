// Generates the golden files of runner/tokenizer from the Hugging Face reference implementations:
//   npm tokenizers@0.23.2 (Hugging Face's Rust tokenizers, Node binding) for ids and decoded text,
//   npm @huggingface/jinja (what transformers.js uses for apply_chat_template) for chat templates.
//
// Run from the repository root: make goldens
// (= npm install in runner/tokenizer/testdata, then node runner/tokenizer/testdata/goldens.js)
//
// Inputs: the tokenizer files in .cache/tokenizers/NAME/ (make testdata; or ACOER_TOKENIZERS=dir),
// the datasets in ../shared/datasets (a sample of problems becomes part of the corpus; the corpus is
// written to corpus.jsonl and committed, so the Go tests need neither).
"use strict";
const fs = require("fs");
const path = require("path");
const { Tokenizer } = require("tokenizers");
const { Template } = require("@huggingface/jinja");

const here = __dirname;
const root = path.resolve(here, "../../..");
const tokDir = process.env.ACOER_TOKENIZERS || path.join(root, ".cache/tokenizers");
const shared = path.resolve(root, "../shared/datasets");
const NAMES = ["qwen3", "llama3", "deepseek_v3", "llama2"];

// ---------- corpus ----------
function handwritten() {
  const t = [
    "", " ", "  ", "\n", "\t", "a", "Hello world", "Hello, world!", " Hello", "Hello ", "hello  world",
    "The quick brown fox jumps over the lazy dog.",
    "What is 2+2? The answer is 4.", "12345678901234567890", "3.14159 2.71828 1,000,000 -42 +7 1e-9 0x1F",
    "x^2 + y^2 = z^2", "$\\frac{1}{2} + \\frac{1}{3} = \\frac{5}{6}$", "\\boxed{42}", "\\(\\sqrt{2}\\)",
    "$$\\int_0^1 x^2\\,dx = \\left.\\frac{x^3}{3}\\right|_0^1 = \\frac13$$",
    "\\begin{align*} a &= b \\\\ c &= d \\end{align*}", "f(x)=\\sum_{n=0}^{\\infty}\\frac{x^n}{n!}",
    "<think>\nLet me think step by step.\n</think>\n\nThe answer is \\boxed{7}.",
    "<think></think>", "<think>\n\n</think>\n\n", "Okay, so I need to find x. </think> Final: 5",
    "I'm sure you're right, we've seen they'll do it; he'd say I'd. DON'T SHOUT. It'S fine. 'S 'T",
    "ſ 's 'ſ K k 'K", "naïve café résumé", "e\u0301 vs \u00e9", "Å Å Å", "ﬁ ﬂ ① ² ½ Ⅻ ｆｕｌｌｗｉｄｔｈ",
    "日本語のテキストです。", "中文文本，包含标点符号！", "한국어 텍스트", "漢字かなカナ混じり文",
    "العربية نص مع أرقام ١٢٣", "עברית", "Русский текст, ёжик.", "Ελληνικά", "हिन्दी पाठ", "ไทย ภาษา",
    "😀 😃 😄 👍🏽 👨‍👩‍👧‍👦 🏳️‍🌈 ❤️", "emoji at end 🚀", "🚀start", "a\u200db\u200cc\u200b",
    "\u00a0non-breaking\u00a0space", "\u3000ideographic space", "tab\tseparated\tvalues", "line1\nline2\r\nline3\rline4",
    "   leading spaces", "trailing spaces   ", "multiple     internal     spaces", "\n\n\n\nnewlines\n\n\n",
    " \n \n \t \t ", "mixed \t\n whitespace \u2003 \u2009 here", "    def f(x):\n        return x * 2\n",
    "if (a < b && c > d) { return a <= b; }", "<s>", "</s>", "<unk>", "<s> hi </s>", "<|im_start|>",
    "<|im_start|>user\nWhat is 1+1?<|im_end|>\n<|im_start|>assistant\n",
    "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>",
    "<｜begin▁of▁sentence｜><｜User｜>2+2?<｜Assistant｜><think>\n",
    "<|endoftext|>", "<|end_of_text|>", "<|eot_id|>", "<｜end▁of▁sentence｜>", "[INST] hi [/INST]",
    "<<SYS>>\nsys\n<</SYS>>\n\n", "text<|im_end|>text", "a<s>b</s>c", "<|im_start|><|im_end|>",
    "<|im_start", "|im_start|>", "<|IM_START|>", "<tool_call>{\"a\": 1}</tool_call>",
    "a".repeat(300), "ab".repeat(150), " ".repeat(100), "1".repeat(100), "!".repeat(50), "\n".repeat(30),
    "😀".repeat(20), "Supercalifragilisticexpialidocious", "pneumonoultramicroscopicsilicovolcanoconiosis",
    "https://example.com/path?query=1&b=2#frag", "user@example.com", "C:\\Users\\name\\file.txt",
    "snake_case_identifier camelCaseIdentifier PascalCase kebab-case SCREAMING_CASE",
    "\u0000\u0001\u0007\u001b[31mred\u001b[0m", "\ufeffBOM", "\ufffd replacement", "\u2028\u2029",
    "½ + ¼ = ¾", "∀x∈ℝ: x² ≥ 0", "α β γ δ ε π σ ω Δ Σ Ω", "→ ← ↔ ⇒ ≤ ≥ ≠ ≈ ∞ √ ∑ ∏ ∫",
    "１２３ full-width digits", "٣٤٥ Arabic-Indic digits", "²³¹ superscripts", "Ⅳ roman numeral",
    "don't", "DON'T", "It's", "IT'S", "we'RE", "they'LL", "she'D", "I'M", "you'VE",
    "İstanbul ΟΔΟΣ ΣΑΣ. ß ẞ ǅ Ǆ ﬃ K Å", "  Strip me  \n",
  ];
  return t;
}

function readJSONL(file) {
  return fs.readFileSync(file, "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
}

function datasetSample() {
  const out = [];
  const pick = (name, every, fields, limit) => {
    const file = path.join(shared, name, "test.jsonl");
    if (!fs.existsSync(file)) throw new Error("missing " + file + " (../shared is needed to build the corpus)");
    const rows = readJSONL(file);
    let n = 0;
    for (let i = 0; i < rows.length && n < limit; i += every, n++) {
      for (const f of fields) if (typeof rows[i][f] === "string") out.push(rows[i][f]);
    }
  };
  pick("gsm8k", 13, ["question", "answer"], 100);
  pick("math500", 5, ["problem"], 100);
  pick("math500", 25, ["solution"], 20);
  pick("aime24", 1, ["problem"], 30);
  pick("aime25", 1, ["problem"], 30);
  pick("amc23", 2, ["problem"], 20);
  return out;
}

function buildCorpus() {
  const texts = handwritten().concat(datasetSample());
  // chat-formatted strings with special tokens around dataset questions
  const qs = texts.slice(-40, -30);
  for (const q of qs) {
    texts.push("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n" + q + "<|im_end|>\n<|im_start|>assistant\n<think>\n");
    texts.push("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n" + q + "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
    texts.push("<｜begin▁of▁sentence｜><｜User｜>" + q + "<｜Assistant｜><think>\nOkay, let's see.</think>\n\n\\boxed{1}<｜end▁of▁sentence｜>");
    texts.push("<s>[INST] " + q + " [/INST] Sure. </s>");
  }
  return texts;
}

// ---------- random id sequences for decode-only goldens ----------
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

// variantFile writes the synthetic tokenizer NAME of variants.json to a temp file and returns its path.
function variantFile(name) {
  const spec = JSON.parse(fs.readFileSync(path.join(here, "variants.json"), "utf8"))[name];
  const tj = JSON.parse(fs.readFileSync(path.join(tokDir, spec.base, "tokenizer.json"), "utf8"));
  Object.assign(tj, spec.set || {});
  if (spec.append_added) tj.added_tokens = tj.added_tokens.concat(spec.append_added);
  const file = path.join(require("os").tmpdir(), "acoer-variant-" + name + ".json");
  fs.writeFileSync(file, JSON.stringify(tj));
  return file;
}

function variantNames() {
  return Object.keys(JSON.parse(fs.readFileSync(path.join(here, "variants.json"), "utf8"))).filter((k) => !k.startsWith("_"));
}

async function idGoldens(name, corpus, variant) {
  const tok = Tokenizer.fromFile(variant ? variantFile(name) : path.join(tokDir, name, "tokenizer.json"));
  const lines = [];
  for (let i = 0; i < corpus.length; i++) {
    if (variant && !(i < 140 || i % 3 === 0)) continue; // variants: the handwritten texts and a third of the rest
    const text = corpus[i];
    const plain = (await tok.encode(text, null, { addSpecialTokens: false })).getIds();
    const special = (await tok.encode(text, null, { addSpecialTokens: true })).getIds();
    const dec = await tok.decode(special, false);
    const decSkip = await tok.decode(special, true);
    const rec = { i, ids: plain };
    if (special.length !== plain.length || special.some((v, k) => v !== plain[k])) rec.ids_special = special;
    if (dec !== text) rec.decoded = dec;
    if (decSkip !== dec) rec.decoded_skip = decSkip;
    lines.push(JSON.stringify(rec));
  }
  // decode-only: random id runs (partial UTF-8 bytes, byte-fallback tokens, special tokens mid-text)
  const vocab = tok.getVocabSize(true);
  const r = rng(1234 + name.length);
  for (let k = 0; k < 60; k++) {
    const n = 1 + Math.floor(r() * 12);
    const ids = [];
    for (let j = 0; j < n; j++) {
      const u = r();
      ids.push(u < 0.15 ? Math.floor(r() * 300) : u < 0.25 ? vocab - 1 - Math.floor(r() * 30) : Math.floor(r() * vocab));
    }
    lines.push(JSON.stringify({ decode_ids: ids, decoded: await tok.decode(ids, false), decoded_skip: await tok.decode(ids, true) }));
  }
  fs.writeFileSync(path.join(here, "goldens", name + ".jsonl"), lines.join("\n") + "\n");
  console.error(name + ": " + lines.length + " records");
}

// ---------- chat templates ----------
const CONVERSATIONS = [
  [{ role: "user", content: "What is 2+2?" }],
  [{ role: "system", content: "You are a careful math tutor." }, { role: "user", content: "Solve x^2 = 4." }],
  [
    { role: "system", content: "Reason step by step, then put the answer in \\boxed{}." },
    { role: "user", content: "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?" },
    { role: "assistant", content: "<think>\n48/2 = 24; 48 + 24 = 72.\n</think>\n\nShe sold \\boxed{72} clips." },
    { role: "user", content: "  And in June, twice May?  " },
  ],
  [
    { role: "user", content: "Hi" },
    { role: "assistant", content: "Hello! How can I help?" },
    { role: "user", content: "日本語で答えて 😀" },
    { role: "assistant", content: "はい、わかりました。" },
  ],
  [{ role: "user", content: "" }],
  [{ role: "user", content: "Line one\nLine two\n\n\tIndented" }, { role: "assistant", content: "  padded answer  " }],
];

async function chatGoldens() {
  const dir = path.join(here, "templates");
  const bos = {
    "qwen2.5": [null, "<|im_end|>"], qwen3: [null, "<|im_end|>"], llama3: ["<|begin_of_text|>", "<|end_of_text|>"],
    deepseek_v3: ["<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"],
    deepseek_r1_distill_qwen: ["<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"],
    deepseek_r1_distill_qwen_v1: ["<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"],
    llama2: ["<s>", "</s>"],
  };
  const lines = [];
  for (const name of Object.keys(bos)) {
    const src = fs.readFileSync(path.join(dir, name + ".jinja"), "utf8");
    const tmpl = new Template(src);
    const thinking = name === "qwen3" ? [undefined, true, false] : [undefined];
    for (let c = 0; c < CONVERSATIONS.length; c++) {
      for (const agp of [false, true]) {
        for (const et of thinking) {
          const ctx = { messages: CONVERSATIONS[c], add_generation_prompt: agp };
          if (bos[name][0] !== null) ctx.bos_token = bos[name][0];
          ctx.eos_token = bos[name][1];
          if (et !== undefined) ctx.enable_thinking = et;
          const rec = { template: name, conversation: c, add_generation_prompt: agp };
          if (et !== undefined) rec.enable_thinking = et;
          try {
            rec.rendered = tmpl.render(ctx);
          } catch (e) {
            rec.error = String(e.message || e);
          }
          lines.push(JSON.stringify(rec));
        }
      }
    }
  }
  fs.writeFileSync(path.join(here, "goldens", "chat.jsonl"),
    JSON.stringify({ conversations: CONVERSATIONS }) + "\n" + lines.join("\n") + "\n");
  console.error("chat: " + lines.length + " renders");
}

async function bench() {
  // Reference speed on the same ~1 MB text BenchmarkEncode uses (bench_text in the Go test).
  const corpus = readJSONL(path.join(here, "corpus.jsonl")).map((r) => r.text);
  let text = "";
  for (let i = 0, bytes = 0; bytes < 1 << 20; i++) {
    const piece = corpus[i % corpus.length] + "\n";
    text += piece;
    bytes += Buffer.byteLength(piece);
  }
  for (const name of NAMES) {
    const tok = Tokenizer.fromFile(path.join(tokDir, name, "tokenizer.json"));
    await tok.encode(text, null, { addSpecialTokens: false }); // warm
    const t0 = process.hrtime.bigint();
    let n = 0;
    const reps = 3;
    for (let k = 0; k < reps; k++) n += (await tok.encode(text, null, { addSpecialTokens: false })).getIds().length;
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    console.log(`${name}: ${(n / reps)} tokens, ${(n / s / 1e6).toFixed(2)} M tokens/s (${(s / reps * 1000).toFixed(0)} ms per encode)`);
  }
}

async function main() {
  if (process.argv[2] === "bench") return bench();
  fs.mkdirSync(path.join(here, "goldens"), { recursive: true });
  const corpus = buildCorpus();
  fs.writeFileSync(path.join(here, "corpus.jsonl"), corpus.map((t) => JSON.stringify({ text: t })).join("\n") + "\n");
  console.error("corpus: " + corpus.length + " texts");
  for (const n of NAMES) await idGoldens(n, corpus, false);
  for (const n of variantNames()) await idGoldens(n, corpus, true);
  await chatGoldens();
}

main().catch((e) => { console.error(e); process.exit(1); });
