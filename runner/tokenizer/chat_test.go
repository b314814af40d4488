package tokenizer

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Chat-template goldens come from @huggingface/jinja (see golden_test.go for how to regenerate).

var templateTokens = map[string][2]string{
	"qwen2.5":                     {"", "<|im_end|>"},
	"qwen3":                       {"", "<|im_end|>"},
	"llama3":                      {"<|begin_of_text|>", "<|end_of_text|>"},
	"deepseek_v3":                 {"<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"},
	"deepseek_r1_distill_qwen":    {"<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"},
	"deepseek_r1_distill_qwen_v1": {"<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"},
	"llama2":                      {"<s>", "</s>"},
}

func TestGoldenChatTemplates(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "goldens", "chat.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := splitLines(data)
	var head struct {
		Conversations [][]Message `json:"conversations"`
	}
	if err := json.Unmarshal(lines[0], &head); err != nil {
		t.Fatal(err)
	}
	srcs := map[string]string{}
	n := 0
	for _, line := range lines[1:] {
		var g struct {
			Template            string  `json:"template"`
			Conversation        int     `json:"conversation"`
			AddGenerationPrompt bool    `json:"add_generation_prompt"`
			EnableThinking      *bool   `json:"enable_thinking"`
			Rendered            *string `json:"rendered"`
			Error               string  `json:"error"`
		}
		if err := json.Unmarshal(line, &g); err != nil {
			t.Fatal(err)
		}
		src, ok := srcs[g.Template]
		if !ok {
			b, err := os.ReadFile(filepath.Join("testdata", "templates", g.Template+".jinja"))
			if err != nil {
				t.Fatal(err)
			}
			src = string(b)
			srcs[g.Template] = src
		}
		toks := templateTokens[g.Template]
		vars := map[string]any{"eos_token": toks[1]}
		if toks[0] != "" {
			vars["bos_token"] = toks[0]
		}
		got, err := RenderChatTemplate(src, head.Conversations[g.Conversation],
			ChatOptions{AddGenerationPrompt: g.AddGenerationPrompt, EnableThinking: g.EnableThinking, Vars: vars})
		name := g.Template + "/" + string(rune('0'+g.Conversation))
		if g.Error != "" {
			if err == nil {
				t.Errorf("%s agp=%v: rendered %q, reference raised %q", name, g.AddGenerationPrompt, got, g.Error)
			}
			continue
		}
		n++
		if err != nil {
			t.Errorf("%s agp=%v think=%v: %v", name, g.AddGenerationPrompt, g.EnableThinking, err)
			continue
		}
		want := *g.Rendered
		if g.Template == "qwen3" && g.Conversation == 5 {
			// @huggingface/jinja 0.5.11 ignores the argument of str.lstrip/rstrip/strip and trims all
			// whitespace; Python's Jinja (what transformers runs) strips only the given characters, so
			// content.lstrip('\n') keeps the assistant message's leading spaces. We follow Python
			// (checked with jinja2 3.1.6 and transformers' settings: testdata/check_chat_python.py finds
			// exactly these 6 renders differing from @huggingface/jinja).
			want = strings.Replace(want, "</think>\n\npadded answer", "</think>\n\n  padded answer", 1)
		}
		if got != want {
			t.Errorf("%s agp=%v think=%v:\n got %q\nwant %q", name, g.AddGenerationPrompt, g.EnableThinking, got, want)
		}
	}
	if n == 0 {
		t.Fatal("no chat goldens")
	}
}

func TestChatTemplateErrors(t *testing.T) {
	_, err := RenderChatTemplate("{{ raise_exception('roles must alternate') }}", nil, ChatOptions{})
	if err == nil || !strings.Contains(err.Error(), "roles must alternate") {
		t.Errorf("raise_exception: err = %v", err)
	}
	_, err = RenderChatTemplate("{% frobnicate %}", nil, ChatOptions{})
	if err == nil || !strings.Contains(err.Error(), "frobnicate") {
		t.Errorf("unknown tag: err = %v, want it to name the construct", err)
	}
	tk := &Tokenizer{}
	if _, err := tk.ApplyChatTemplate(nil, ChatOptions{}); !errors.Is(err, ErrNoChatTemplate) {
		t.Errorf("no template: err = %v", err)
	}
}

func TestApplyChatTemplateConfig(t *testing.T) {
	tk := loadNamed(t, "qwen3")
	f := false
	got, err := tk.ApplyChatTemplate([]Message{{Role: "user", Content: "2+2?"}}, ChatOptions{AddGenerationPrompt: true, EnableThinking: &f})
	if err != nil {
		t.Fatal(err)
	}
	want := "<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	ll := loadNamed(t, "llama3")
	got, err = ll.ApplyChatTemplate([]Message{{Role: "user", Content: " hi "}}, ChatOptions{AddGenerationPrompt: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got, "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>") {
		t.Errorf("llama3: %q", got)
	}
}

// TestChatTemplateFeatures covers Jinja constructs Hugging Face templates use, with Python's results.
func TestChatTemplateFeatures(t *testing.T) {
	msgs := []Message{{Role: "system", Content: "S"}, {Role: "user", Content: "U"}, {Role: "assistant", Content: "A"}}
	cases := []struct{ src, want string }{
		{`{{ '\n\n  x\n'.lstrip('\n') }}|{{ 'ab\n\n'.rstrip('\n') }}|{{ '\nq\n'.strip('\n') }}|{{ '  y  '.strip() }}`, "  x\n|ab|q|y"},
		{`{{ 'a</think>b'.split('</think>')[-1] }}{{ 'abc'.startswith('ab') }}{{ 'abc'.endswith('x') }}`, "bTrueFalse"},
		{`{% for m in messages[::-1] %}{{ m.role[0] }}{% endfor %}`, "aus"},
		{`{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }}`, "3"},
		{`{% if foo is defined %}d{% else %}u{% endif %}{% if messages[0].nope is defined %}d{% else %}u{% endif %}`, "uu"},
		{`{{ messages|length }}{{ messages[0]['content'] }}{{ (messages|first).role }}`, "3Ssystem"},
		{`{{ {'a': 1} | tojson }}`, `{"a": 1}`},
		{`{% for m in messages %}{% if loop.first %}[{% endif %}{{ loop.index0 }}{% if loop.last %}]{% endif %}{% endfor %}`, "[012]"},
		{`{{ '  t  ' | trim }}{{ none is none }}`, "tTrue"},
		{`{% for m in messages %}{% if m.role == 'user' %}{% break %}{% endif %}{{ m.role }}{% endfor %}`, "system"},
		{`{% for m in messages %}{% if m.role == 'user' %}{% continue %}{% endif %}{{ m.content }}{% endfor %}`, "SA"},
		{`{{ strftime_now('%Y') | length }}`, "4"},
		{"{%- if true %}\n  x\n{%- endif %}\n", "  x"},
		{`{{ {'b': [1, 2.5, true, none], 'a': "é\"\n"} | tojson }}`, `{"a": "é\"\n", "b": [1, 2.5, true, null]}`},
	}
	for _, c := range cases {
		got, err := RenderChatTemplate(c.src, msgs, ChatOptions{})
		if err != nil {
			t.Errorf("%s: %v", c.src, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s = %q, want %q", c.src, got, c.want)
		}
	}
}

// TestChatTemplateConcurrent renders from several goroutines (go test -race checks the engine's state).
func TestChatTemplateConcurrent(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "templates", "qwen3.jinja"))
	if err != nil {
		t.Fatal(err)
	}
	msgs := []Message{{Role: "system", Content: "s"}, {Role: "user", Content: "u"}}
	want, err := RenderChatTemplate(string(src), msgs, ChatOptions{AddGenerationPrompt: true})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan string)
	for g := 0; g < 4; g++ {
		go func() {
			got, err := RenderChatTemplate(string(src), msgs, ChatOptions{AddGenerationPrompt: true})
			if err != nil {
				got = err.Error()
			}
			done <- got
		}()
	}
	for g := 0; g < 4; g++ {
		if got := <-done; got != want {
			t.Errorf("concurrent render = %q, want %q", got, want)
		}
	}
}

func BenchmarkChatTemplate(b *testing.B) {
	src, err := os.ReadFile(filepath.Join("testdata", "templates", "qwen3.jinja"))
	if err != nil {
		b.Fatal(err)
	}
	msgs := []Message{{Role: "system", Content: "s"}, {Role: "user", Content: "What is 2+2?"}}
	for b.Loop() {
		if _, err := RenderChatTemplate(string(src), msgs, ChatOptions{AddGenerationPrompt: true}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestChatTemplateWhitespace: trim_blocks/lstrip_blocks as Python's Jinja (jinja2 3.1.6 with
// transformers' settings gave these results).
func TestChatTemplateWhitespace(t *testing.T) {
	cases := []struct{ src, want string }{
		{"{% if true %} {% endif %}x", " x"},
		{"a {% if true %}b{% endif %}", "a b"},
		{"a\n  {% if true %}b{% endif %}", "a\nb"},
		{"{% if true %}  \n{% endif %}x", "  \nx"},
		{"{{ 'a' }} {% if true %}b{% endif %}", "a b"},
		{"a\n\t {# c #}\nb", "a\nb"},
		{"  {{ 'v' }}\n", "  v"},
		{"{% if true %}\nx\n{% endif %}\n", "x\n"},
		{"x\n  {%+ if true %}y{% endif %}", "x\n  y"},
		{"{% for i in [1,2] %}\n  {{ i }}\n{% endfor %}\n", "  1\n  2\n"},
		{"a  {%- if true %}b{% endif %}", "ab"},
		{"end\n\n", "end\n"},
	}
	for _, c := range cases {
		got, err := RenderChatTemplate(c.src, nil, ChatOptions{})
		if err != nil {
			t.Errorf("%q: %v", c.src, err)
			continue
		}
		if got != c.want {
			t.Errorf("%q = %q, want %q", c.src, got, c.want)
		}
	}
}

// TestChatTemplatePythonParity: expressions rendered by Python's jinja2 3.1.6 with transformers' settings
// (messages = system S, user U, assistant A). Known differences, left out here: {{ none }} renders ""
// (Python "None"), 2**3 renders "8.0" (Python "8"), and tojson sorts object keys.
func TestChatTemplatePythonParity(t *testing.T) {
	msgs := []Message{{Role: "system", Content: "S"}, {Role: "user", Content: "U"}, {Role: "assistant", Content: "A"}}
	cases := []struct{ src, want string }{
		{"{{ [1,2] }}", "[1, 2]"},
		{"{{ 'a' ~ 1 }}", "a1"},
		{"{% for m in messages %}{{ loop.length }}{{ loop.index }}{{ loop.revindex0 }}{% endfor %}", "312321330"},
		{"{{ messages|map(attribute='role')|join(',') }}", "system,user,assistant"},
		{"{{ messages|selectattr('role','equalto','user')|list|length }}", "1"},
		{"{{ messages|rejectattr('role','equalto','user')|map(attribute='content')|join }}", "SA"},
		{"{% for k, v in {'a': 1}.items() %}{{ k }}={{ v }}{% endfor %}", "a=1"},
		{"{{ x|default('d') }}", "d"},
		{"{{ 'role' in messages[0] }}", "True"},
		{"{{ 'Ab'.upper() }}{{ 'ab cd'.title() }}{{ 'aXa'.replace('X','-') }}", "ABAb Cda-a"},
		{"{{ 5|string + 'x' }}", "5x"},
		{"{{ '42'|int + 1 }}", "43"},
		{"{{ messages[-1].content }}", "A"},
		{"{{ messages[1:]|length }}", "2"},
		{"{% if messages[0].role == 'system' and not false %}y{% endif %}", "y"},
		{"{{ 'a\\nb' }}", "a\nb"},
		{"{{ \"q'uote\" }}", "q'uote"},
		{"{% set x = 'a' %}{% set x = x + 'b' %}{{ x }}", "ab"},
		{"{{ messages|last|attr('role') if false else (messages|last).role }}", "assistant"},
		{"{% macro f(a) %}[{{ a }}]{% endmacro %}{{ f('z') }}", "[z]"},
		{"{{ range(3)|list }}", "[0, 1, 2]"},
		{"{{ 'abc'[::-1] }}", "cba"},
		{"{{ 1 if none is none }}", "1"},
		{"{{ 'x' if '' else 'y' }}", "y"},
		{"{{ messages[0]['content'] | trim }}", "S"},
		{"{{ '  a  ' | trim('') }}", "  a  "},
		{"{{ [3,1,2]|sort|join }}", "123"},
		{"{{ 'a,b'.split(',')|length }}", "2"},
		{"{{ {'k':'é'}|tojson }}", "{\"k\": \"é\"}"},
		{"{{ 'ab'|length }}", "2"},
		{"{% for m in messages if m.role != 'system' %}{{ m.role }}{% endfor %}", "userassistant"},
		{"{{ 1.0 }}|{{ 2.5 }}|{{ 10/5 }}", "1.0|2.5|2.0"},
		{"{{ messages[0].content is string }}{{ 1 is number }}{{ none is none }}{{ messages is iterable }}{{ x is undefined }}", "TrueTrueTrueTrueTrue"},
		{"{%- for m in messages -%}\n  {{ m.role }}\n{%- endfor -%}", "systemuserassistant"},
	}
	for _, c := range cases {
		got, err := RenderChatTemplate(c.src, msgs, ChatOptions{})
		if err != nil {
			t.Errorf("%q: %v", c.src, err)
			continue
		}
		if got != c.want {
			t.Errorf("%q = %q, want %q", c.src, got, c.want)
		}
	}
}
