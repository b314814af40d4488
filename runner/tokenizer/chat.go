package tokenizer

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nikolalohinski/gonja/v2/builtins"
	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/loaders"
)

// Message is one chat turn.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
	// ReasoningContent, when set, is passed as message.reasoning_content (Qwen3 templates use it).
	ReasoningContent string `json:"reasoning_content,omitempty"`
}

// ChatOptions controls ApplyChatTemplate.
type ChatOptions struct {
	// AddGenerationPrompt appends the assistant turn header (add_generation_prompt).
	AddGenerationPrompt bool
	// EnableThinking sets enable_thinking (Qwen3); nil leaves it undefined (the template's default).
	EnableThinking *bool
	// Template overrides the tokenizer_config.json chat_template ("" = use the config's).
	Template string
	// Vars are extra template variables (e.g. "tools"); they override the defaults.
	Vars map[string]any
}

// ErrNoChatTemplate is returned by ApplyChatTemplate when neither the options nor tokenizer_config.json
// give a template.
var ErrNoChatTemplate = errors.New("tokenizer has no chat_template (tokenizer_config.json)")

// ApplyChatTemplate renders the chat template (tokenizer_config.json's chat_template, or opts.Template)
// over msgs as transformers' apply_chat_template(tokenize=False) does: Jinja with trim_blocks and
// lstrip_blocks, bos_token/eos_token from tokenizer_config.json, raise_exception and strftime_now.
// A template the engine cannot parse or render is an error naming the construct.
func (t *Tokenizer) ApplyChatTemplate(msgs []Message, opts ChatOptions) (string, error) {
	src := opts.Template
	if src == "" {
		src = t.cfg.ChatTemplate
	}
	if src == "" {
		return "", ErrNoChatTemplate
	}
	vars := map[string]any{}
	if t.cfg.BOSToken != "" {
		vars["bos_token"] = t.cfg.BOSToken
	}
	if t.cfg.EOSToken != "" {
		vars["eos_token"] = t.cfg.EOSToken
	}
	if t.cfg.PadToken != "" {
		vars["pad_token"] = t.cfg.PadToken
	}
	if t.cfg.UnkToken != "" {
		vars["unk_token"] = t.cfg.UnkToken
	}
	for k, v := range opts.Vars {
		vars[k] = v
	}
	o := opts
	o.Vars = vars
	return RenderChatTemplate(src, msgs, o)
}

// RenderChatTemplate renders a Jinja chat template. opts.Vars supplies bos_token, eos_token and any other
// variables; messages, add_generation_prompt and enable_thinking come from msgs and opts.
func RenderChatTemplate(src string, msgs []Message, opts ChatOptions) (string, error) {
	cfg := config.New()
	cfg.TrimBlocks = true
	// gonja's LeftStripBlocks also strips spaces after other text on the line ("a {% if %}" loses
	// its space), unlike Python's Jinja; lstripBlocks does it Python's way before lexing.
	cfg.LeftStripBlocks = false
	cfg.KeepTrailingNewline = false
	src = lstripBlocks(src)
	loader, err := loaders.NewFileSystemLoader("")
	if err != nil {
		return "", fmt.Errorf("chat template: %w", err)
	}
	const id = "chat_template"
	shifted, err := loaders.NewShiftedLoader(id, strings.NewReader(src), loader)
	if err != nil {
		return "", fmt.Errorf("chat template: %w", err)
	}
	env := &exec.Environment{
		Context:           chatGlobals(),
		Filters:           chatFilters(),
		Tests:             builtins.Tests,
		ControlStructures: builtins.ControlStructures,
		Methods:           chatMethods(),
	}
	tmpl, err := exec.NewTemplate(id, cfg, shifted, env)
	if err != nil {
		return "", fmt.Errorf("chat template: parse: %w", err)
	}
	messages := make([]any, len(msgs))
	for i, m := range msgs {
		mm := map[string]any{"role": m.Role, "content": m.Content}
		if m.ReasoningContent != "" {
			mm["reasoning_content"] = m.ReasoningContent
		}
		messages[i] = mm
	}
	data := map[string]any{
		"messages":              messages,
		"add_generation_prompt": opts.AddGenerationPrompt,
	}
	if opts.EnableThinking != nil {
		data["enable_thinking"] = *opts.EnableThinking
	}
	for k, v := range opts.Vars {
		data[k] = v
	}
	out, err := tmpl.ExecuteToString(exec.NewContext(data))
	if err != nil {
		return "", fmt.Errorf("chat template: render: %w", err)
	}
	return out, nil
}

var (
	chatMethodsOnce sync.Once
	chatMethodSet   exec.Methods
)

// pyStrMethods are Python's str methods; gonja's implementations are reused except replace, whose
// count argument gonja requires (Python's defaults to all occurrences).
var pyStrMethods = []string{"capitalize", "capwords", "casefold", "center", "count", "encode", "endswith",
	"expandtabs", "find", "format", "format_map", "index", "isalnum", "isalpha", "isascii", "isdecimal",
	"isdigit", "isidentifier", "islower", "isnumeric", "isprintable", "isspace", "istitle", "isupper", "join",
	"ljust", "lower", "lstrip", "partition", "removeprefix", "removesuffix", "rfind", "rindex", "rjust",
	"rpartition", "rsplit", "rstrip", "split", "splitlines", "startswith", "strip", "swapcase", "title",
	"upper", "zfill"}

func chatMethods() exec.Methods {
	chatMethodsOnce.Do(func() {
		str := map[string]exec.Method[string]{}
		for _, name := range pyStrMethods {
			if m, ok := builtins.Methods.Str.Get(name); ok {
				str[name] = m
			}
		}
		str["replace"] = func(self string, _ *exec.Value, args *exec.VarArgs) (any, error) {
			if len(args.Args) < 2 || len(args.Args) > 3 || !args.Args[0].IsString() || !args.Args[1].IsString() {
				return nil, errors.New("str.replace(old, new[, count]) takes two strings and an optional count")
			}
			n := -1
			if len(args.Args) == 3 {
				if !args.Args[2].IsInteger() {
					return nil, errors.New("str.replace: count must be an integer")
				}
				n = args.Args[2].Integer()
			}
			return strings.Replace(self, args.Args[0].String(), args.Args[1].String(), n), nil
		}
		chatMethodSet = builtins.Methods
		chatMethodSet.Str = exec.NewMethodSet(str)
	})
	return chatMethodSet
}

var lstripRE = regexp.MustCompile(`(?m)^[ \t]*\{([%#])(\+?)`)

// lstripBlocks applies Jinja's lstrip_blocks: spaces and tabs from the start of a line up to a block or
// comment tag are removed; "{%+" keeps them.
func lstripBlocks(src string) string {
	return lstripRE.ReplaceAllStringFunc(src, func(m string) string {
		i := strings.IndexByte(m, '{')
		if strings.HasSuffix(m, "+") {
			return m[:len(m)-1] // keep the whitespace, drop the "+"
		}
		return m[i:]
	})
}

// errRaised marks raise_exception() called by a template.
var errRaised = errors.New("template raised an exception")

func chatGlobals() *exec.Context {
	ctx := exec.EmptyContext().Update(builtins.GlobalFunctions).Update(builtins.GlobalVariables)
	ctx.Set("raise_exception", func(msg string) *exec.Value {
		return exec.AsValue(fmt.Errorf("%w: %s", errRaised, msg))
	})
	ctx.Set("strftime_now", func(format string) string {
		return strftime(time.Now(), format)
	})
	return ctx
}

// strftime formats t with the common Python strftime directives.
func strftime(t time.Time, f string) string {
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 == len(f) {
			b.WriteByte(f[i])
			continue
		}
		i++
		switch f[i] {
		case 'd':
			fmt.Fprintf(&b, "%02d", t.Day())
		case 'm':
			fmt.Fprintf(&b, "%02d", int(t.Month()))
		case 'Y':
			fmt.Fprintf(&b, "%04d", t.Year())
		case 'y':
			fmt.Fprintf(&b, "%02d", t.Year()%100)
		case 'b':
			b.WriteString(t.Month().String()[:3])
		case 'B':
			b.WriteString(t.Month().String())
		case 'a':
			b.WriteString(t.Weekday().String()[:3])
		case 'A':
			b.WriteString(t.Weekday().String())
		case 'H':
			fmt.Fprintf(&b, "%02d", t.Hour())
		case 'M':
			fmt.Fprintf(&b, "%02d", t.Minute())
		case 'S':
			fmt.Fprintf(&b, "%02d", t.Second())
		case 'j':
			fmt.Fprintf(&b, "%03d", t.YearDay())
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			b.WriteByte(f[i])
		}
	}
	return b.String()
}

var (
	chatFiltersOnce sync.Once
	chatFilterSet   *exec.FilterSet
)

// chatFilters is gonja's filter set with tojson replaced by transformers' (json.dumps defaults:
// ", " and ": " separators, non-ASCII kept).
func chatFilters() *exec.FilterSet {
	chatFiltersOnce.Do(func() {
		fs := exec.NewFilterSet(map[string]exec.FilterFunction{}).Update(builtins.Filters)
		_ = fs.Replace("tojson", func(_ *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
			if in.IsError() {
				return in
			}
			indent := -1
			if v, ok := params.KwArgs["indent"]; ok && v.IsInteger() {
				indent = v.Integer()
			}
			var b strings.Builder
			pyJSON(&b, in.ToGoSimpleType(false), indent, 0)
			return exec.AsSafeValue(b.String())
		})
		chatFilterSet = fs
	})
	return chatFilterSet
}

// pyJSON writes v as Python's json.dumps(v, ensure_ascii=False, indent=indent) does (map keys sorted,
// since Go maps have no order).
func pyJSON(b *strings.Builder, v any, indent, level int) {
	nl := func(l int) {
		if indent >= 0 {
			b.WriteByte('\n')
			b.WriteString(strings.Repeat(" ", indent*l))
		}
	}
	itemSep := ", "
	if indent >= 0 {
		itemSep = ","
	}
	rv := reflect.ValueOf(v)
	switch {
	case v == nil:
		b.WriteString("null")
		return
	case rv.Kind() == reflect.Bool:
		if rv.Bool() {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
		return
	case rv.Kind() == reflect.String:
		pyJSONString(b, rv.String())
		return
	case rv.CanInt():
		fmt.Fprintf(b, "%d", rv.Int())
		return
	case rv.CanUint():
		fmt.Fprintf(b, "%d", rv.Uint())
		return
	case rv.CanFloat():
		f := rv.Float()
		if f == float64(int64(f)) && f < 1e16 && f > -1e16 {
			fmt.Fprintf(b, "%.1f", f)
		} else {
			b.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
		}
		return
	case rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array:
		if rv.Len() == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteByte('[')
		for i := 0; i < rv.Len(); i++ {
			if i > 0 {
				b.WriteString(itemSep)
			}
			nl(level + 1)
			pyJSON(b, rv.Index(i).Interface(), indent, level+1)
		}
		nl(level)
		b.WriteByte(']')
		return
	case rv.Kind() == reflect.Map:
		keys := make([]string, 0, rv.Len())
		vals := map[string]any{}
		for _, k := range rv.MapKeys() {
			ks := fmt.Sprint(k.Interface())
			keys = append(keys, ks)
			vals[ks] = rv.MapIndex(k).Interface()
		}
		sort.Strings(keys)
		if len(keys) == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(itemSep)
			}
			nl(level + 1)
			pyJSONString(b, k)
			b.WriteString(": ")
			pyJSON(b, vals[k], indent, level+1)
		}
		nl(level)
		b.WriteByte('}')
		return
	}
	pyJSONString(b, fmt.Sprint(v))
}

func pyJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			if r < 0x20 {
				fmt.Fprintf(b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}
