"""Cross-check goldens/chat.jsonl (from @huggingface/jinja) against Python's jinja2 with the settings
transformers' apply_chat_template uses. Run from runner/tokenizer/testdata: python3 check_chat_python.py
Prints the renders that differ (the known @huggingface/jinja str.strip(chars) bug: 6 qwen3 renders)."""
import json

from jinja2.exceptions import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment


def raise_exception(message):
    raise TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception
TOKENS = {
    "qwen2.5": [None, "<|im_end|>"], "qwen3": [None, "<|im_end|>"],
    "llama3": ["<|begin_of_text|>", "<|end_of_text|>"],
    "deepseek_v3": ["<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"],
    "deepseek_r1_distill_qwen": ["<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"],
    "deepseek_r1_distill_qwen_v1": ["<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"],
    "llama2": ["<s>", "</s>"],
}
lines = open("goldens/chat.jsonl", encoding="utf-8").read().splitlines()
convs = json.loads(lines[0])["conversations"]
diff = 0
for line in lines[1:]:
    g = json.loads(line)
    src = open("templates/%s.jinja" % g["template"], encoding="utf-8").read()
    bos, eos = TOKENS[g["template"]]
    ctx = dict(messages=convs[g["conversation"]], add_generation_prompt=g["add_generation_prompt"], eos_token=eos)
    if bos:
        ctx["bos_token"] = bos
    if "enable_thinking" in g:
        ctx["enable_thinking"] = g["enable_thinking"]
    try:
        out = env.from_string(src).render(**ctx)
    except TemplateError:
        out = None
    if out != g.get("rendered"):
        diff += 1
        print(g["template"], g["conversation"], g["add_generation_prompt"], g.get("enable_thinking"))
        print("  python:", repr(out))
        print("  js:    ", repr(g.get("rendered")))
print(len(lines) - 1, "renders,", diff, "differ")
