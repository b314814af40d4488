package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
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
	// Spinning, when set, says whether intra-op threads spin while they wait for work
	// (session.intra_op.allow_spinning; nil = ONNX Runtime's default, spinning).
	Spinning *bool
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
	// HostKV keeps the KV cache in Go buffers that ONNX Runtime reads and writes (the path before the
	// device-resident cache; on CUDA it crosses to the host every step). Default: the cache stays on the
	// session's device.
	HostKV bool
	// SeparateKV binds separate past and present tensors even where genai_config.json allows one
	// shared buffer (past_present_share_buffer, GroupQueryAttention graphs).
	SeparateKV bool
	// EOSIDs, when set, replace the EOS ids of the model directory's files (a benchmark config's
	// eos_token_id, generate --eos-id); EOSFrom says where they come from, for Info.EOSFrom.
	EOSIDs  []int
	EOSFrom string
	// Log receives notes such as the provider auto chose (nil = os.Stderr).
	Log io.Writer
	// Tokenizer loads the model directory's tokenizer (nil = the project's runner/tokenizer).
	Tokenizer TokenizerLoader
	// Variant picks the decoder graph among the directory's variants (--variant, a benchmark config's
	// variant:): a file-name suffix (fp16, q4, q4f16, int8, uint8, quantized, bnb4, ...: onnx/model_q4.onnx),
	// the file name itself, or "" / fp32 for the plain model.onnx (q8 is quantized). See layout.go.
	Variant string
}

// Info is a model's provenance, recorded with every result.
type Info struct {
	ModelDir string `json:"model_dir"`
	// Layout is the directory's layout (standard, onnxruntime-genai, transformers.js, optimum-merged,
	// optimum-split); Variant the graph variant used ("" for the plain file name, else its suffix: fp16,
	// q4, quantized, ...) and Variants every variant the layout has ("default" for the plain name).
	Layout   string   `json:"layout"`
	Variant  string   `json:"variant,omitempty"`
	Variants []string `json:"variants,omitempty"`
	// ModelFile is the decoder graph (a split pair's decoder_with_past_model.onnx) and ModelSHA256 its
	// sha256; FirstFile is a split pair's first-step graph (decoder_model.onnx), also in DataFiles.
	ModelFile   string `json:"model_file"`
	ModelSHA256 string `json:"model_sha256"`
	FirstFile   string `json:"first_file,omitempty"`
	// DataSHA256 identifies every other file the model reads (DataFiles); "" when there is none.
	DataSHA256 string `json:"data_sha256,omitempty"`
	// DataFiles are those files, each with its sha256: the external weight files the graphs'
	// external_data entries name (model.onnx.data, onnx/model.onnx_data, onnx/model.onnx_data_1, ...) and
	// a split pair's first-step graph, by their paths relative to the model directory.
	DataFiles     []DataFile `json:"data_files,omitempty"`
	TokenizerFile string     `json:"tokenizer_file"`
	ConfigFiles   []string   `json:"config_files"`
	ORTVersion    string     `json:"ort_version"`
	ORTLibrary    string     `json:"ort_library"`
	Provider      string     `json:"provider"`
	ProviderNote  string     `json:"provider_note,omitempty"`
	ContextLength int        `json:"context_length"`
	// ContextFrom names the file and field of ContextLength ("" when unknown).
	ContextFrom string `json:"context_from,omitempty"`
	Overflow    string `json:"context_overflow"`
	EOSIDs      []int  `json:"eos_token_ids"`
	// EOSFrom names the file and field (or option) that gave EOSIDs.
	EOSFrom string `json:"eos_from"`
	PadID   int    `json:"pad_token_id"`
	PadFrom string `json:"pad_from,omitempty"`
	BOSRule string `json:"bos_rule"`
	Layers  int    `json:"layers"`
	KVHeads int    `json:"kv_heads"`
	HeadDim int    `json:"head_dim"`
	KVType  string `json:"kv_type"`
	Vocab   int    `json:"vocab"`
	// TokenizerIDs is how many ids the tokenizer defines (its largest id + 1): at most Vocab.
	TokenizerIDs int `json:"tokenizer_ids,omitempty"`
	// MaskedIDs counts the logits ids without a token in the tokenizer (a padded vocabulary): they
	// are never sampled.
	MaskedIDs int `json:"masked_ids,omitempty"`
	// GenAIShareBuffer is genai_config.json's search.past_present_share_buffer, recorded as found
	// (KVCache says whether one buffer was bound as past and present).
	GenAIShareBuffer bool `json:"genai_past_present_share_buffer,omitempty"`
	// KVCache says where the KV cache lived and how it was bound (device or host, shared past/present
	// buffer or separate).
	KVCache string `json:"kv_cache,omitempty"`
	// IntraOpThreads and Spinning are the session's intra-op settings as given (0 / nil: ONNX
	// Runtime's defaults: one thread per core, spinning).
	IntraOpThreads int   `json:"intra_op_threads,omitempty"`
	Spinning       *bool `json:"intra_op_spinning,omitempty"`
	// CUDA describes the GPU a CUDA session runs on (nil on the CPU).
	CUDA     *CUDAInfo         `json:"cuda,omitempty"`
	Metadata map[string]string `json:"metadata,omitempty"`
	// Warnings are disagreements found in the directory that do not stop the model (a tokenizer whose
	// special tokens disagree with the config's BOS/EOS ids, context lengths that differ, ...).
	Warnings []string `json:"warnings,omitempty"`
}

// Model is an opened model directory: its tokenizer, its decoder contract and an ONNX Runtime session.
// Generate calls are serialized; the other methods are safe for concurrent use.
type Model struct {
	md       *modelDir
	contract Contract
	tok      Tokenizer
	info     Info
	cfg      genConfig
	st       engine
	ext      []ExternalFile

	mu      sync.Mutex // serializes Generate (the session's buffers are per model)
	shaOnce sync.Once
}

// Open loads a model directory: everything Check checks (without ONNX Runtime, so a bad directory is
// reported before any library is loaded), then ONNX Runtime (opts.ORTLib) and a session on the chosen
// provider.
func Open(dir string, opts Options) (*Model, error) {
	opts, err := opts.normalize()
	if err != nil {
		return nil, err
	}
	p, err := prepare(dir, opts, true)
	if err != nil {
		return nil, err
	}
	if err := ort.InitDefault(opts.ORTLib); err != nil {
		return nil, err
	}
	m := &Model{md: p.md, contract: p.contract, tok: p.tok, info: p.info, cfg: p.cfg, ext: p.ext}
	m.info.ORTVersion, m.info.ORTLibrary = ort.RuntimeVersion(), ort.LibraryPath()
	if err := m.openSession(opts); err != nil {
		return nil, err
	}
	return m, nil
}

// openSession creates the session on the requested provider. On CUDA (asked for, or chosen by auto
// once the process's CUDA self-test has passed) Go's signal handlers are restored after the session is
// created and after each step (ort.GuardSignals), and where the nodes were placed is read back: a
// decoder op left on the CPU is a warning.
func (m *Model) openSession(opts Options) error {
	provider := opts.Provider
	if provider == "" {
		provider = ProviderAuto
	}
	m.info.IntraOpThreads, m.info.Spinning = opts.IntraOpThreads, opts.Spinning
	if provider == ProviderCUDA || provider == ProviderAuto {
		how, err := m.openCUDA(opts, provider == ProviderAuto)
		if err == nil {
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
		switch {
		case errors.Is(err, ort.ErrCUDAMissing):
			why = "CUDA provider libraries not installed: `make setup-cuda`; details: `acoer-bench doctor`"
		case errors.Is(err, ErrNoCUDADevice):
			why = "no CUDA device: NVIDIA " + ort.DriverInfo().Summary()
		case errors.Is(err, ort.ErrCUDALibsMissing):
			why = "the CUDA 13 libraries the plugin links are not found (" + strings.Join(ort.MissingCUDALibs(), ", ") + "); details: `acoer-bench doctor`"
		}
		fmt.Fprintf(opts.Log, "acoer-bench: provider auto: using cpu (cuda unavailable: %s)\n", why)
	}
	so, err := baseSessionOptions(opts)
	if err != nil {
		return err
	}
	defer so.Destroy()
	m.st, err = m.newEngine(so, opts)
	if err != nil {
		return fmt.Errorf("creating an ONNX Runtime session for %s: %w", m.md.ModelFile, err)
	}
	m.info.Provider = ProviderCPU
	return nil
}

// openCUDA creates the session on CUDA and records what it runs on. For auto, the process's CUDA
// self-test (CUDASelfTestOnce) must pass first: a provider that starts but computes wrong numbers is not
// picked.
func (m *Model) openCUDA(opts Options, auto bool) (string, error) {
	so, how, err := cudaSessionOptions(opts)
	if err != nil {
		return "", err
	}
	defer so.Destroy()
	if auto {
		if st := CUDASelfTestOnce(opts); !st.OK {
			return "", fmt.Errorf("the CUDA self-test failed: %s", st.Error)
		}
	}
	warn := CUDAContractWarnings(m.contract)
	ort.GuardSignals("creating a CUDA session", func() { m.st, err = m.newEngine(so, opts) })
	if err != nil {
		return "", fmt.Errorf("provider cuda (%s): creating the session failed: %s (details: `acoer-bench doctor`)", how, ShortORTError(err))
	}
	ci := newCUDAInfo()
	if p, perr := sessionPlacement(engineSession(m.st), "CUDAExecutionProvider"); perr == nil {
		ci.Placement, ci.ComputeOnCPU = p.String(), p.ComputeOnCPU
		if len(p.ComputeOnCPU) > 0 {
			warn = append(warn, fmt.Sprintf("on CUDA, ONNX Runtime placed these decoder ops on the CPU (no CUDA kernel for their types): %v; each costs a device round trip per step (placement: %s)", p.ComputeOnCPU, p.String()))
		}
	} else {
		ci.Placement = "unknown: " + perr.Error()
	}
	for _, w := range warn {
		m.info.Warnings = append(m.info.Warnings, w)
		fmt.Fprintf(opts.Log, "acoer-bench: warning: %s: %s\n", m.md.Dir, w)
	}
	m.st = signalChecked{m.st}
	m.info.Provider, m.info.ProviderNote, m.info.CUDA = ProviderCUDA, how, ci
	return how, nil
}

// engine is a stepper with a session behind it.
type engine interface {
	stepper
	close() error
}

// newEngine creates the session and its stepper: by default the device-binding one (the KV cache stays
// where the session runs), with Options.HostKV the one that keeps it in Go buffers. It records which.
func (m *Model) newEngine(so *ortgo.SessionOptions, opts Options) (engine, error) {
	if opts.HostKV {
		st, err := newORTStep(m.md.ModelFile, m.contract, so)
		if err == nil {
			m.info.KVCache = "host: Go buffers, past and present separate"
		}
		return st, err
	}
	share := m.md.ShareBuffer && m.contract.GroupQueryAttention && !opts.SeparateKV
	st, err := newBindStep(m.md.ModelFile, m.contract, so, share)
	if err != nil {
		return nil, err
	}
	m.info.KVCache = "device (" + st.devName + "): ONNX Runtime's tensors bound in place, past and present separate"
	if st.shareBuffer {
		m.info.KVCache = "device (" + st.devName + "): one buffer bound as past and present (GroupQueryAttention, past_present_share_buffer)"
	}
	return st, nil
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

// Info returns the model's provenance; the sha256 of the graph file and of each external weight file
// it reads are computed on first call.
func (m *Model) Info() Info {
	m.shaOnce.Do(func() {
		p := prepared{md: m.md, ext: m.ext}
		info := m.info
		if p.hash(&info) == nil {
			m.info.ModelSHA256, m.info.DataSHA256, m.info.DataFiles = info.ModelSHA256, info.DataSHA256, info.DataFiles
		}
	})
	info := m.info.clone()
	if info.CUDA != nil {
		c := *info.CUDA
		c.SignalHandlersRestored = ort.Restored()
		info.CUDA = &c
	}
	return info
}

// Warnings are Info().Warnings, without hashing the files.
func (m *Model) Warnings() []string { return append([]string(nil), m.info.Warnings...) }

// EncodePrompt turns text into prompt ids. With chat, text becomes the user turn (after an optional
// system turn) of the tokenizer's chat template with the generation prompt appended, encoded without
// adding special tokens (the template writes them). Without chat, BOS follows one explicit rule, recorded
// in Info().BOSRule: when tokenizer_config.json sets add_bos_token, BOS is prepended exactly when it is
// true (the text itself encoded without special tokens); when it does not set it, the tokenizer.json
// post-processor decides (the text is encoded with special tokens). Text that is not valid UTF-8 is an
// error naming the first bad byte's offset (it would otherwise be replaced by U+FFFD unseen).
func (m *Model) EncodePrompt(text string, chat bool, system string) ([]int, error) {
	return encodePrompt(m.tok, text, chat, system)
}

func encodePrompt(tok Tokenizer, text string, chat bool, system string) ([]int, error) {
	if err := ValidUTF8("the prompt", text); err != nil {
		return nil, err
	}
	if err := ValidUTF8("the system prompt", system); err != nil {
		return nil, err
	}
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
	if r := m.contract.MaxRows; r > 0 && (slots <= 0 || slots > r) {
		slots = r // a batch-1 graph, or one whose results would depend on the batch (Info.Warnings)
	}
	return generate(ctx, m.st, m.cfg, reqs, dec, slots, emit)
}
