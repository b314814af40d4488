package runner

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/acoer/acoer-bench/runner/ort"
)

// prepared is a model directory read and checked up to, not including, the ONNX Runtime session: the
// configs, the graph's contract (read from the file), its external weight files, the tokenizer, and the
// EOS, pad and vocabulary facts that tie them together. Open, Check and Inspect share it.
type prepared struct {
	md       *modelDir
	contract Contract
	tok      Tokenizer // nil when not loaded (Inspect of a directory without tokenizer.json)
	info     Info
	cfg      genConfig
	ext      []ExternalFile
}

// normalize fills Options' defaults and checks its values.
func (opts Options) normalize() (Options, error) {
	if err := CheckProvider(opts.Provider); err != nil {
		return opts, err
	}
	switch opts.Overflow {
	case "":
		opts.Overflow = OverflowError
	case OverflowError, OverflowTruncate:
	default:
		return opts, fmt.Errorf("unknown context overflow policy %q (want %s or %s)", opts.Overflow, OverflowError, OverflowTruncate)
	}
	if opts.Log == nil {
		opts.Log = os.Stderr
	}
	for _, id := range opts.EOSIDs {
		if id < 0 {
			return opts, fmt.Errorf("EOS id %d: token ids are non-negative", id)
		}
	}
	if len(opts.EOSIDs) > 0 && opts.EOSFrom == "" {
		opts.EOSFrom = "options"
	}
	return opts, nil
}

// prepare reads dir; without needTokenizer a missing tokenizer.json is allowed (the tokenizer checks
// are then skipped).
func prepare(dir string, opts Options, needTokenizer bool) (*prepared, error) {
	md, err := readModelDir(dir, opts.Variant)
	if err != nil {
		return nil, err
	}
	p := &prepared{md: md}
	gs, err := readGraphs(md)
	if err != nil {
		return nil, err
	}
	p.ext = gs.files
	for _, f := range gs.files {
		if err := CheckExternalData(f.Graph, []ExternalFile{f}); err != nil {
			return nil, err
		}
	}
	g := gs.main
	p.contract, err = buildContract(g.Inputs, g.Outputs, md)
	var ce *ContractError
	if errors.As(err, &ce) {
		ce.File = md.ModelFile
	}
	if err != nil {
		return nil, err
	}
	p.contract.GroupQueryAttention = g.Ops["com.microsoft.GroupQueryAttention"]
	if err := p.checkGraphs(gs); err != nil {
		return nil, err
	}
	p.info = baseInfo(md, p.contract)
	p.info.Metadata = g.Metadata
	p.info.Overflow = opts.Overflow
	for _, f := range p.ext {
		p.info.DataFiles = append(p.info.DataFiles, DataFile{Location: f.Location, Bytes: f.Need})
	}
	if dynamicQuant(g) || (gs.first != nil && dynamicQuant(gs.first)) {
		p.contract.MaxRows = 1
		p.info.Warnings = append(p.info.Warnings, fmt.Sprintf("%s quantizes activations per tensor at run time (DynamicQuantizeLinear), so a row's results would depend on the rows batched with it: rows run one at a time", filepath.Base(md.ModelFile)))
	}

	// The project's tokenizer reads tokenizer.json; a loader the caller gives (Options.Tokenizer) decides
	// for itself what it needs.
	load := opts.Tokenizer
	if load == nil {
		load = loadTokenizer
		if md.TokenizerFile == "" {
			if needTokenizer {
				return nil, badModelDir(missingFiles(md.Dir, "tokenizer.json"))
			}
			p.info.TokenizerFile = ""
			return p, p.settle(nil, opts)
		}
		if err := checkContent(md.TokenizerFile, "a tokenizer"); err != nil {
			return nil, err
		}
	}
	tok, err := load(md.Dir)
	if err != nil {
		if errors.Is(err, errNoTokenizer) {
			return nil, err
		}
		return nil, badModelDir(fmt.Errorf("loading the tokenizer of %s: %w", md.Dir, err))
	}
	p.tok = tok
	return p, p.settle(tok, opts)
}

// checkGraphs checks what the contract of one graph cannot: a split pair's first-step graph against the
// main one, and inputs that GroupQueryAttention cannot be fed.
func (p *prepared) checkGraphs(gs *modelGraphs) error {
	c := &p.contract
	if c.GroupQueryAttention {
		for _, e := range c.Extra {
			if e.Kind == ExtraCachePosition {
				return &ContractError{File: p.md.ModelFile, Inputs: c.Inputs, Outputs: c.Outputs, Expected: expectedContract(p.md.Names),
					Problems: []string{fmt.Sprintf("input %q with GroupQueryAttention: such graphs keep each row's keys in its first columns, which rows do not share", e.Name)}}
			}
		}
	}
	if gs.first == nil {
		return nil
	}
	first, err := buildFirstContract(p.md.FirstFile, gs.first.Inputs, gs.first.Outputs, *c, p.md.Names)
	if err != nil {
		return err
	}
	if gqa := gs.first.Ops["com.microsoft.GroupQueryAttention"]; gqa != c.GroupQueryAttention {
		return badModelDir(fmt.Errorf("%s and %s disagree on GroupQueryAttention (the first uses it: %v), which decides how rows are laid out in the cache",
			p.md.FirstFile, p.md.ModelFile, gqa))
	}
	c.First = first
	return nil
}

// dynamicQuant reports whether a graph quantizes activations at run time with one scale per tensor
// (ONNX Runtime's quantize_dynamic: DynamicQuantizeLinear, or the fused DynamicQuantizeMatMul).
func dynamicQuant(g *graphFile) bool {
	return g.Ops["DynamicQuantizeLinear"] || g.Ops["com.microsoft.DynamicQuantizeMatMul"]
}

// idTokens is what a tokenizer may tell about its ids (runner/tokenizer does). Without it, ids
// 0..VocabSize()-1 are taken to be its tokens.
type idTokens interface {
	MaxID() int
	IDToToken(id int) (string, bool)
}

// tokenizerIDs returns how many ids the tokenizer defines (its largest id + 1) and whether id has a
// token.
func tokenizerIDs(tok Tokenizer) (int, func(id int) bool) {
	if t, ok := tok.(idTokens); ok {
		return t.MaxID() + 1, func(id int) bool { _, ok := t.IDToToken(id); return ok }
	}
	n := tok.VocabSize()
	return n, func(id int) bool { return id >= 0 && id < n }
}

// maskWarnShare: a tokenizer that covers less than this share of the logits gets a warning (padded
// vocabularies cover nearly all: Qwen2.5 has 151,665 tokens for 151,936 logits).
const maskWarnShare = 0.9

// settle decides EOS, pad and BOS from the files and the tokenizer (nil: configs only) and checks that
// the tokenizer fits the graph's vocabulary; it fills p.info and p.cfg.
func (p *prepared) settle(tok Tokenizer, opts Options) error {
	md, c := p.md, p.contract
	vocab := c.Vocab
	p.info.Warnings = append(p.info.Warnings, md.Warnings...)
	warn := func(format string, a ...any) { p.info.Warnings = append(p.info.Warnings, fmt.Sprintf(format, a...)) }
	file := func(from string) string { return filepath.Join(md.Dir, strings.SplitN(from, " ", 2)[0]) }
	logits := fmt.Sprintf("the graph's logits (%s output %q) have %d entries", filepath.Base(md.ModelFile), c.Logits, vocab)

	if md.VocabSize > 0 && md.VocabSize != vocab {
		warn("%s is %d but %s: the graph's size is used", md.VocabFrom, md.VocabSize, logits)
	}

	var set TokenizerSettings
	var tokIDs int
	has := func(int) bool { return true }
	if tok != nil {
		set = tok.Settings()
		tokIDs, has = tokenizerIDs(tok)
		p.info.TokenizerIDs = tokIDs
		if tokIDs > vocab {
			return badModelDir(fmt.Errorf("%s has token ids up to %d (%d ids) but %s: the tokenizer does not belong to this graph",
				md.TokenizerFile, tokIDs-1, tokIDs, logits))
		}
	}
	tokID := func(s string) (int, bool) {
		if tok == nil || s == "" {
			return 0, false
		}
		return tok.TokenToID(s)
	}

	// EOS: the caller's ids, else the config files', else the tokenizer's eos_token.
	var eos []int
	var eosFrom string
	switch {
	case len(opts.EOSIDs) > 0:
		eos, eosFrom = opts.EOSIDs, opts.EOSFrom
	case len(md.EOSIDs) > 0:
		eos, eosFrom = md.EOSIDs, md.EOSFrom
	default:
		if id, ok := tokID(set.EOSToken); ok {
			eos, eosFrom = []int{id}, fmt.Sprintf("tokenizer_config.json eos_token %q", set.EOSToken)
		}
	}
	if len(eos) == 0 && tok != nil {
		return badModelDir(p.noEOS(set))
	}
	for _, id := range eos {
		if id >= vocab {
			where := eosFrom
			if len(opts.EOSIDs) == 0 && len(md.EOSIDs) > 0 {
				where = file(eosFrom) + ": " + strings.SplitN(eosFrom, " ", 2)[1]
			}
			return badModelDir(fmt.Errorf("%s: EOS id %d is outside the vocabulary: %s", where, id, logits))
		}
		if tok != nil && !has(id) {
			warn("EOS id %d (%s) is not a token of tokenizer.json", id, eosFrom)
		}
	}
	p.info.EOSIDs, p.info.EOSFrom = append([]int(nil), eos...), eosFrom

	// The tokenizer's special tokens against the config's ids.
	if tok != nil {
		if set.EOSToken != "" {
			if id, ok := tokID(set.EOSToken); !ok {
				warn("tokenizer_config.json eos_token %q is not in tokenizer.json", set.EOSToken)
			} else if !containsInt(eos, id) {
				warn("EOS ids %v (%s) do not include tokenizer_config.json eos_token %q (id %d)", eos, eosFrom, set.EOSToken, id)
			}
		}
		if set.BOSToken != "" && md.BOSID != nil {
			if id, ok := tokID(set.BOSToken); ok && id != *md.BOSID {
				warn("%s is %d but tokenizer_config.json bos_token %q is id %d", md.BOSFrom, *md.BOSID, set.BOSToken, id)
			}
		}
		if set.AddBOSTokenSet && set.AddBOSToken {
			if _, ok := tokID(set.BOSToken); !ok {
				return badModelDir(fmt.Errorf("%s: add_bos_token is true but bos_token %q is not in tokenizer.json", filepath.Join(md.Dir, "tokenizer_config.json"), set.BOSToken))
			}
		}
	}

	// Pad: the config files' pad_token_id, else the tokenizer's pad_token, else the first EOS id. Pads
	// are masked, so any id in the vocabulary gives the same results; one outside it would crash the
	// graph's embedding lookup.
	pad, padFrom := -1, ""
	if md.PadID != nil {
		if *md.PadID < vocab {
			pad, padFrom = *md.PadID, md.PadFrom
		} else {
			warn("%s %d is outside the vocabulary (%d logits): padding with another id (pads are masked, results do not change)", md.PadFrom, *md.PadID, vocab)
		}
	}
	if pad < 0 {
		if id, ok := tokID(set.PadToken); ok && id < vocab {
			pad, padFrom = id, fmt.Sprintf("tokenizer_config.json pad_token %q", set.PadToken)
		}
	}
	if pad < 0 && len(eos) > 0 {
		pad, padFrom = eos[0], "the first EOS id"
	}
	if pad < 0 {
		pad = 0
	}
	p.info.PadID, p.info.PadFrom = pad, padFrom

	if tok != nil {
		if set.AddBOSTokenSet {
			p.info.BOSRule = fmt.Sprintf("tokenizer_config.json add_bos_token=%v", set.AddBOSToken)
		} else {
			p.info.BOSRule = "tokenizer.json post-processor (add_bos_token not set)"
		}
	}

	// Ids of the logits that the tokenizer cannot decode are never sampled (EOS ids excepted): a token
	// without text could be neither counted as text nor graded.
	var banned idSet
	if tok != nil {
		lo, hi := -1, -1
		for id := 0; id < vocab; id++ {
			if has(id) || containsInt(eos, id) {
				continue
			}
			banned = banned.add(id)
			p.info.MaskedIDs++
			if lo < 0 {
				lo = id
			}
			hi = id
		}
		if p.info.MaskedIDs > 0 && float64(vocab-p.info.MaskedIDs) < maskWarnShare*float64(vocab) {
			warn("tokenizer.json has tokens for only %d of the graph's %d logits (%d ids between %d and %d have none and are never sampled): is it this model's tokenizer?",
				vocab-p.info.MaskedIDs, vocab, p.info.MaskedIDs, lo, hi)
		}
	}

	p.cfg = genConfig{tok: tok, eosIDs: p.info.EOSIDs, padID: pad, contextLength: md.ContextLength,
		overflow: opts.Overflow, keepSpecial: opts.KeepSpecialTokens, vocab: vocab, banned: banned,
		leftAligned:    p.contract.GroupQueryAttention,
		lastLogitsOnly: p.contract.lastOnly()}
	switch {
	case opts.MaxPrefillLogitsBytes == 0:
		p.cfg.maxPrefillLogits = 1 << 30 / 4
	case opts.MaxPrefillLogitsBytes > 0:
		p.cfg.maxPrefillLogits = int(opts.MaxPrefillLogitsBytes / 4)
	}
	return nil
}

// noEOS is the error for a model whose files give no EOS id, naming the files read.
func (p *prepared) noEOS(set TokenizerSettings) error {
	var read []string
	for _, f := range []string{"generation_config.json", "config.json", "genai_config.json"} {
		for _, g := range p.md.ConfigFiles {
			if f == g {
				read = append(read, f)
			}
		}
	}
	what := "eos_token_id"
	if _, err := os.Stat(filepath.Join(p.md.Dir, "tokenizer_config.json")); err == nil {
		read = append(read, "tokenizer_config.json")
		what += " / eos_token"
	}
	detail := ""
	if set.EOSToken != "" {
		detail = fmt.Sprintf(" (its eos_token %q is not in tokenizer.json)", set.EOSToken)
	}
	return fmt.Errorf("model directory %s: no EOS token id: %s give none (%s)%s; set one with eos_token_id in the model's entry of the benchmark config, or generate --eos-id",
		p.md.Dir, strings.Join(read, ", "), what, detail)
}

func baseInfo(md *modelDir, c Contract) Info {
	return Info{
		ModelDir: md.Dir, ModelFile: md.ModelFile, TokenizerFile: filepath.Join(md.Dir, "tokenizer.json"),
		ConfigFiles: md.ConfigFiles, ORTVersion: ort.RuntimeVersion(), ORTLibrary: ort.LibraryPath(),
		ContextLength: md.ContextLength, ContextFrom: md.ContextFrom, EOSIDs: md.EOSIDs, EOSFrom: md.EOSFrom,
		Layers: len(c.Layers), KVHeads: c.KVHeads, HeadDim: c.HeadDim, KVType: c.KVType, Vocab: c.Vocab,
		GenAIShareBuffer: md.ShareBuffer, Layout: md.Layout, Variant: md.Variant, Variants: md.Variants,
		FirstFile: md.FirstFile,
	}
}

// Checked is a model directory read and checked as Open checks it, without its weights or an ONNX
// Runtime session: what a benchmark verifies for every model before any work.
type Checked struct{ p *prepared }

// Check reads and checks a model directory as Open does, without ONNX Runtime: the configs (every
// field of the wrong type is an error naming the file and field), the graph's decoder contract (read
// from the file), its external weight files (present and long enough), the tokenizer, the EOS, pad and
// BOS ids and the vocabulary (a tokenizer with more ids than the graph's logits is refused). It reads
// the graph's structure but not its weights, so it is cheap for any checkpoint size.
func Check(dir string, opts Options) (*Checked, error) {
	opts, err := opts.normalize()
	if err != nil {
		return nil, err
	}
	p, err := prepare(dir, opts, true)
	if err != nil {
		return nil, err
	}
	return &Checked{p}, nil
}

// Info is what Check found (no sha256: hashing reads the weights).
func (c *Checked) Info() Info { return c.p.info.clone() }

// Contract is the graph's decoder contract.
func (c *Checked) Contract() Contract { return c.p.contract }

// Tokenizer is the model's tokenizer.
func (c *Checked) Tokenizer() Tokenizer { return c.p.tok }

// EncodePrompt is Model.EncodePrompt for the checked directory.
func (c *Checked) EncodePrompt(text string, chat bool, system string) ([]int, error) {
	return encodePrompt(c.p.tok, text, chat, system)
}

// Inspect reads a model directory's decoder contract and metadata without a session (ONNX Runtime is
// initialized with opts.ORTLib for the runtime's version, after the directory was read: a bad
// directory is reported without the library). tokenizer.json is optional: without it the
// tokenizer checks are skipped and EOS comes from the config files only. When the contract was read,
// the returned Info is filled as far as the directory allowed, also with an error (a tokenizer that
// does not fit the graph, no EOS id).
func Inspect(dir string, opts Options) (Contract, Info, error) {
	opts, err := opts.normalize()
	if err != nil {
		return Contract{}, Info{}, err
	}
	p, err := prepare(dir, opts, false)
	if p == nil {
		return Contract{}, Info{}, err
	}
	if ierr := ort.InitDefault(opts.ORTLib); ierr != nil {
		return Contract{}, Info{}, ierr
	}
	info := p.info.clone()
	info.ORTVersion, info.ORTLibrary = ort.RuntimeVersion(), ort.LibraryPath()
	if herr := p.hash(&info); herr != nil && err == nil {
		err = herr
	}
	return p.contract, info, err
}

// clone copies the slices of an Info.
func (i Info) clone() Info {
	i.EOSIDs = append([]int(nil), i.EOSIDs...)
	i.ConfigFiles = append([]string(nil), i.ConfigFiles...)
	i.Warnings = append([]string(nil), i.Warnings...)
	i.DataFiles = append([]DataFile(nil), i.DataFiles...)
	i.Variants = append([]string(nil), i.Variants...)
	if len(i.Variants) == 0 {
		i.Variants = nil
	}
	if len(i.EOSIDs) == 0 {
		i.EOSIDs = nil
	}
	if len(i.Warnings) == 0 {
		i.Warnings = nil
	}
	if len(i.DataFiles) == 0 {
		i.DataFiles = nil
	}
	return i
}

// ValidUTF8 returns an error naming the first invalid byte of s and its offset (what names s: "the prompt").
func ValidUTF8(what, s string) error {
	if utf8.ValidString(s) {
		return nil
	}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return fmt.Errorf("%s is not valid UTF-8: byte %#02x at offset %d", what, s[i], i)
		}
		i += n
	}
	return nil
}
