package runner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/acoer/acoer-bench/runner/ort"
	ortgo "github.com/yalue/onnxruntime_go"
)

// Options configure Open.
type Options struct {
	// Provider is cpu, cuda or auto ("" = auto: CUDA when it starts, else CPU, said on Log).
	Provider string
	// ORTLib is an explicit ONNX Runtime library path (--ort-lib); "" = ACOER_ORT_LIB, then `make setup`'s.
	ORTLib string
	// IntraOpThreads sets ONNX Runtime's intra-op thread count (0 = its default).
	IntraOpThreads int
	// Overflow is what Generate does when prompt + max new tokens exceed the context: OverflowError
	// (default) or OverflowTruncate.
	Overflow string
	// KeepSpecialTokens decodes special tokens (EOS, ...) into Completion.Text instead of skipping them.
	KeepSpecialTokens bool
	// MaxPrefillLogitsBytes bounds the float32 logits one prefill step returns (prompt × vocab × 4 bytes;
	// prompts are prefilled one at a time); longer prompts are prefilled in chunks (0 = 1 GiB; negative =
	// no bound). Chunking changes the order of floating-point work, so near-tied greedy results may then
	// differ in the last bits.
	MaxPrefillLogitsBytes int64
	// Log receives notes such as the provider auto chose (nil = os.Stderr).
	Log io.Writer
	// Tokenizer loads the model directory's tokenizer (nil = the project's runner/tokenizer).
	Tokenizer TokenizerLoader
}

// Info is a model's provenance, recorded with every result.
type Info struct {
	ModelDir    string `json:"model_dir"`
	ModelFile   string `json:"model_file"`
	ModelSHA256 string `json:"model_sha256"`
	// DataSHA256 identifies the graph's external weight files (DataFiles); "" when there are none.
	DataSHA256    string   `json:"data_sha256,omitempty"`
	TokenizerFile string   `json:"tokenizer_file"`
	ConfigFiles   []string `json:"config_files"`
	ORTVersion    string   `json:"ort_version"`
	ORTLibrary    string   `json:"ort_library"`
	Provider      string   `json:"provider"`
	ProviderNote  string   `json:"provider_note,omitempty"`
	ContextLength int      `json:"context_length"`
	Overflow      string   `json:"context_overflow"`
	EOSIDs        []int    `json:"eos_token_ids"`
	EOSFrom       string   `json:"eos_from"`
	PadID         int      `json:"pad_token_id"`
	BOSRule       string   `json:"bos_rule"`
	Layers        int      `json:"layers"`
	KVHeads       int      `json:"kv_heads"`
	HeadDim       int      `json:"head_dim"`
	KVType        string   `json:"kv_type"`
	Vocab         int      `json:"vocab"`
	// GenAIShareBuffer is genai_config.json's search.past_present_share_buffer, recorded as found. The
	// runner never shares the past and present KV buffers (present is past+seq long, in its own buffer);
	// GroupQueryAttention graphs run the same either way.
	GenAIShareBuffer bool              `json:"genai_past_present_share_buffer,omitempty"`
	Metadata         map[string]string `json:"metadata,omitempty"`
}

// Model is an opened model directory: its tokenizer, its decoder contract and an ONNX Runtime session.
// Generate calls are serialized; the other methods are safe for concurrent use.
type Model struct {
	md       *modelDir
	contract Contract
	tok      Tokenizer
	info     Info
	cfg      genConfig
	st       *ortStep

	mu      sync.Mutex // serializes Generate (the session's buffers are per model)
	shaOnce sync.Once
}

// Inspect reads a model directory's decoder contract and metadata without a tokenizer or a session
// for generation (ONNX Runtime is initialized with opts.ORTLib).
func Inspect(dir string, opts Options) (Contract, Info, error) {
	if err := ort.InitDefault(opts.ORTLib); err != nil {
		return Contract{}, Info{}, err
	}
	md, err := readModelDir(dir)
	if err != nil {
		return Contract{}, Info{}, err
	}
	c, err := readContract(md)
	if err != nil {
		return c, Info{}, err
	}
	info := baseInfo(md, c)
	if info.ModelSHA256, info.DataSHA256, err = modelHashes(md.ModelFile); err != nil {
		return c, info, err
	}
	info.Metadata, err = readMetadata(md.ModelFile)
	if err != nil {
		return c, info, err
	}
	return c, info, nil
}

// readContract reads the graph's inputs and outputs and matches them against the contract.
func readContract(md *modelDir) (Contract, error) {
	ins, outs, err := ortgo.GetInputOutputInfo(md.ModelFile)
	if err != nil {
		return Contract{}, badModelDir(fmt.Errorf("reading the ONNX graph %s: %w", md.ModelFile, err))
	}
	c, err := buildContract(tensorInfos(ins), tensorInfos(outs), md)
	var ce *ContractError
	if errors.As(err, &ce) {
		ce.File = md.ModelFile
	}
	if err != nil {
		return c, err
	}
	ops, err := graphOps(md.ModelFile)
	if err != nil {
		return c, badModelDir(err)
	}
	c.GroupQueryAttention = ops["com.microsoft.GroupQueryAttention"]
	return c, nil
}

func readMetadata(file string) (map[string]string, error) {
	m, err := ortgo.GetModelMetadata(file)
	if err != nil {
		return nil, fmt.Errorf("reading metadata of %s: %w", file, err)
	}
	defer m.Destroy()
	out := map[string]string{}
	if v, err := m.GetProducerName(); err == nil && v != "" {
		out["producer"] = v
	}
	if v, err := m.GetGraphName(); err == nil && v != "" {
		out["graph"] = v
	}
	if v, err := m.GetDomain(); err == nil && v != "" {
		out["domain"] = v
	}
	if v, err := m.GetDescription(); err == nil && v != "" {
		out["description"] = v
	}
	// ONNX Runtime reports a graph without model_version as INT64_MAX (its "no version" value).
	if v, err := m.GetVersion(); err == nil && v != 0 && v != math.MaxInt64 {
		out["version"] = fmt.Sprint(v)
	}
	if keys, err := m.GetCustomMetadataMapKeys(); err == nil {
		for _, k := range keys {
			if v, ok, err := m.LookupCustomMetadataMap(k); err == nil && ok {
				out[k] = v
			}
		}
	}
	return out, nil
}

func baseInfo(md *modelDir, c Contract) Info {
	return Info{
		ModelDir: md.Dir, ModelFile: md.ModelFile, TokenizerFile: filepath.Join(md.Dir, "tokenizer.json"),
		ConfigFiles: md.ConfigFiles, ORTVersion: ort.RuntimeVersion(), ORTLibrary: ort.LibraryPath(),
		ContextLength: md.ContextLength, EOSIDs: md.EOSIDs, EOSFrom: md.EOSFrom,
		Layers: len(c.Layers), KVHeads: c.KVHeads, HeadDim: c.HeadDim, KVType: c.KVType, Vocab: c.Vocab,
		GenAIShareBuffer: md.ShareBuffer,
	}
}

// Open loads a model directory: ONNX Runtime (opts.ORTLib), the graph's decoder contract, the tokenizer
// and a session on the chosen provider.
func Open(dir string, opts Options) (*Model, error) {
	if err := CheckProvider(opts.Provider); err != nil {
		return nil, err
	}
	switch opts.Overflow {
	case "":
		opts.Overflow = OverflowError
	case OverflowError, OverflowTruncate:
	default:
		return nil, fmt.Errorf("unknown context overflow policy %q (want %s or %s)", opts.Overflow, OverflowError, OverflowTruncate)
	}
	if opts.Log == nil {
		opts.Log = os.Stderr
	}
	if opts.Tokenizer == nil {
		opts.Tokenizer = loadTokenizer
	}
	if err := ort.InitDefault(opts.ORTLib); err != nil {
		return nil, err
	}
	md, err := readModelDir(dir)
	if err != nil {
		return nil, err
	}
	c, err := readContract(md)
	if err != nil {
		return nil, err
	}
	tok, err := opts.Tokenizer(md.Dir)
	if err != nil {
		if errors.Is(err, errNoTokenizer) {
			return nil, err
		}
		return nil, badModelDir(fmt.Errorf("loading the tokenizer of %s: %w", md.Dir, err))
	}
	m := &Model{md: md, contract: c, tok: tok, info: baseInfo(md, c)}
	m.info.Overflow = opts.Overflow
	if m.info.Metadata, err = readMetadata(md.ModelFile); err != nil {
		return nil, err
	}

	// EOS and pad ids: the model's config files, else the tokenizer's EOS token.
	set := tok.Settings()
	if len(m.info.EOSIDs) == 0 && set.EOSToken != "" {
		if id, ok := tok.TokenToID(set.EOSToken); ok {
			m.info.EOSIDs, m.info.EOSFrom = []int{id}, "tokenizer_config.json eos_token"
		}
	}
	switch {
	case md.PadID != nil:
		m.info.PadID = *md.PadID
	case set.PadToken != "":
		if id, ok := tok.TokenToID(set.PadToken); ok {
			m.info.PadID = id
		}
	case len(m.info.EOSIDs) > 0:
		m.info.PadID = m.info.EOSIDs[0]
	}
	if set.AddBOSTokenSet {
		m.info.BOSRule = fmt.Sprintf("tokenizer_config.json add_bos_token=%v", set.AddBOSToken)
	} else {
		m.info.BOSRule = "tokenizer.json post-processor (add_bos_token not set)"
	}
	m.cfg = genConfig{tok: tok, eosIDs: m.info.EOSIDs, padID: m.info.PadID, contextLength: md.ContextLength,
		overflow: opts.Overflow, keepSpecial: opts.KeepSpecialTokens, vocab: c.Vocab, leftAligned: c.GroupQueryAttention}
	switch {
	case opts.MaxPrefillLogitsBytes == 0:
		m.cfg.maxPrefillLogits = 1 << 30 / 4
	case opts.MaxPrefillLogitsBytes > 0:
		m.cfg.maxPrefillLogits = int(opts.MaxPrefillLogitsBytes / 4)
	}

	if err := m.openSession(opts); err != nil {
		return nil, err
	}
	return m, nil
}

// openSession creates the session on the requested provider.
func (m *Model) openSession(opts Options) error {
	provider := opts.Provider
	if provider == "" {
		provider = ProviderAuto
	}
	if provider == ProviderCUDA || provider == ProviderAuto {
		so, how, err := cudaSessionOptions(opts)
		if err == nil {
			m.st, err = newORTStep(m.md.ModelFile, m.contract, so)
			so.Destroy()
			if err != nil {
				err = fmt.Errorf("provider cuda (%s): creating the session failed: %w; %s", how, err, ort.CUDAInstallHint)
			}
		}
		if err == nil {
			m.info.Provider, m.info.ProviderNote = ProviderCUDA, how
			if provider == ProviderAuto {
				fmt.Fprintf(opts.Log, "acoer-bench: provider auto: using cuda (%s)\n", how)
			}
			return nil
		}
		if provider == ProviderCUDA {
			return err
		}
		m.info.ProviderNote = "auto: cuda unavailable: " + err.Error()
		why := err.Error()
		if errors.Is(err, ort.ErrCUDAMissing) {
			why = "CUDA provider libraries not installed: `make setup-cuda`; details: `acoer-bench doctor`"
		}
		fmt.Fprintf(opts.Log, "acoer-bench: provider auto: using cpu (cuda unavailable: %s)\n", why)
	}
	so, err := baseSessionOptions(opts)
	if err != nil {
		return err
	}
	defer so.Destroy()
	m.st, err = newORTStep(m.md.ModelFile, m.contract, so)
	if err != nil {
		return fmt.Errorf("creating an ONNX Runtime session for %s: %w", m.md.ModelFile, err)
	}
	m.info.Provider = ProviderCPU
	return nil
}

// Close releases the session.
func (m *Model) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.st == nil {
		return nil
	}
	err := m.st.close()
	m.st = nil
	return err
}

// Contract returns the decoder I/O contract read from the graph.
func (m *Model) Contract() Contract { return m.contract }

// Provider returns the provider the session actually runs on: cpu or cuda.
func (m *Model) Provider() string { return m.info.Provider }

// Tokenizer returns the model's tokenizer.
func (m *Model) Tokenizer() Tokenizer { return m.tok }

// Info returns the model's provenance; the sha256 of the graph file is computed on first call.
func (m *Model) Info() Info {
	m.shaOnce.Do(func() {
		if sum, data, err := modelHashes(m.md.ModelFile); err == nil {
			m.info.ModelSHA256, m.info.DataSHA256 = sum, data
		}
	})
	info := m.info
	info.EOSIDs = append([]int(nil), info.EOSIDs...)
	info.ConfigFiles = append([]string(nil), info.ConfigFiles...)
	return info
}

// ModelHashes returns what Info().ModelSHA256 and Info().DataSHA256 record for a model directory,
// without loading ONNX Runtime or the graph: the sha256 of the graph file (model.onnx, or
// genai_config.json's decoder.filename) and DataSHA256 of its external weight files.
func ModelHashes(dir string) (graph, data string, err error) {
	md, err := readModelDir(dir)
	if err != nil {
		return "", "", err
	}
	return modelHashes(md.ModelFile)
}

func modelHashes(modelFile string) (graph, data string, err error) {
	if graph, err = fileSHA256(modelFile); err != nil {
		return "", "", err
	}
	data, err = DataSHA256(modelFile)
	return graph, data, err
}

// DataFiles lists the external weight files of a graph file: the files beside it whose names start with
// the graph's name and a "." or "_" (model.onnx.data as onnxruntime-genai and current optimum write it,
// model.onnx_data as older exports do), sorted. Weights a graph keeps under other names are not found.
func DataFiles(modelFile string) ([]string, error) {
	dir, base := filepath.Split(modelFile)
	ents, err := os.ReadDir(filepath.Clean(dir))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		n := e.Name()
		if e.Type().IsRegular() && len(n) > len(base) && strings.HasPrefix(n, base) && (n[len(base)] == '.' || n[len(base)] == '_') {
			out = append(out, filepath.Join(dir, n))
		}
	}
	sort.Strings(out)
	return out, nil
}

// DataSHA256 is the sha256 of the lines "NAME SHA256\n" of a graph's DataFiles ("" when it has none): a
// retrained checkpoint exported to the same graph differs here even when model.onnx is byte-identical.
func DataSHA256(modelFile string) (string, error) {
	files, err := DataFiles(modelFile)
	if err != nil || len(files) == 0 {
		return "", err
	}
	h := sha256.New()
	for _, f := range files {
		sum, err := fileSHA256(f)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %s\n", filepath.Base(f), sum)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// EncodePrompt turns text into prompt ids. With chat, text becomes the user turn (after an optional
// system turn) of the tokenizer's chat template with the generation prompt appended, encoded without
// adding special tokens (the template writes them). Without chat, BOS follows one explicit rule, recorded
// in Info().BOSRule: when tokenizer_config.json sets add_bos_token, BOS is prepended exactly when it is
// true (the text itself encoded without special tokens); when it does not set it, the tokenizer.json
// post-processor decides (the text is encoded with special tokens).
func (m *Model) EncodePrompt(text string, chat bool, system string) ([]int, error) {
	return encodePrompt(m.tok, text, chat, system)
}

func encodePrompt(tok Tokenizer, text string, chat bool, system string) ([]int, error) {
	set := tok.Settings()
	if chat {
		if set.ChatTemplate == "" {
			return nil, errors.New("the tokenizer has no chat template (tokenizer_config.json chat_template); use a raw prompt")
		}
		var msgs []ChatMessage
		if system != "" {
			msgs = append(msgs, ChatMessage{Role: "system", Content: system})
		}
		msgs = append(msgs, ChatMessage{Role: "user", Content: text})
		s, err := tok.ApplyChat(msgs, true)
		if err != nil {
			return nil, fmt.Errorf("chat template: %w", err)
		}
		return tok.Encode(s, false), nil
	}
	if system != "" {
		return nil, errors.New("a system prompt needs chat mode")
	}
	if !set.AddBOSTokenSet {
		return tok.Encode(text, true), nil
	}
	ids := tok.Encode(text, false)
	if set.AddBOSToken {
		bos, ok := tok.TokenToID(set.BOSToken)
		if !ok {
			return nil, fmt.Errorf("tokenizer_config.json sets add_bos_token but its bos_token %q is not in the vocabulary", set.BOSToken)
		}
		ids = append([]int{bos}, ids...)
	}
	return ids, nil
}

// Generate runs reqs as one batch and returns one Completion per request, in order (Stream with as many
// slots as requests).
func (m *Model) Generate(ctx context.Context, reqs []Request, dec Decoding) ([]Completion, error) {
	out := make([]Completion, len(reqs))
	_, err := m.Stream(ctx, reqs, dec, len(reqs), func(i int, c Completion) error {
		out[i] = c
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Stream generates every request with at most slots sequences decoding at once (in-flight batching:
// when one finishes, the next waiting request takes its place; slots <= 0 means all at once) and calls
// emit with each request's index and completion as soon as it finishes, from the calling goroutine. An
// error from emit stops the call and is returned. Requests with the same prompt share one prefill.
// Every request is checked (empty prompt, context overflow) before any work.
//
// Results do not depend on scheduling: greedy decoding gives each request the ids it gets alone, and
// sampling the ids its Seed gives it alone, whatever the slots, the other requests or their order.
func (m *Model) Stream(ctx context.Context, reqs []Request, dec Decoding, slots int, emit func(int, Completion) error) (Stats, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.st == nil {
		return Stats{}, errors.New("model is closed")
	}
	return generate(ctx, m.st, m.cfg, reqs, dec, slots, emit)
}
