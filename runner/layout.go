package runner

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Model directory layouts (Info.Layout): where the decoder graph files are, and which graphs.
const (
	// LayoutStandard: model.onnx (+ external data) next to the config and tokenizer files (optimum's
	// current text-generation-with-past export, build-model).
	LayoutStandard = "standard"
	// LayoutGenAI: onnxruntime-genai's model builder: genai_config.json names the graph
	// (model.decoder.filename, model.onnx by default).
	LayoutGenAI = "onnxruntime-genai"
	// LayoutTransformersJS: config and tokenizer files at the top, the graph under onnx/: model.onnx or
	// model_<variant>.onnx (onnx-community, Xenova, most ONNX LLMs on the Hub).
	LayoutTransformersJS = "transformers.js"
	// LayoutOptimumMerged: optimum <= 1.13's decoder_model_merged.onnx (at the top or under onnx/): one
	// graph with a bool use_cache_branch input and an If between a no-cache and a with-past branch.
	LayoutOptimumMerged = "optimum-merged"
	// LayoutOptimumSplit: optimum's split pair decoder_model.onnx (the first step, no past inputs) and
	// decoder_with_past_model.onnx (every later step), at the top or under onnx/.
	LayoutOptimumSplit = "optimum-split"
)

// Variant aliases: what --variant accepts besides the file-name suffixes it finds. transformers.js calls
// the plain model.onnx "fp32" and model_quantized.onnx "q8".
var variantAliases = map[string]string{"fp32": "", "default": "", "q8": "quantized"}

// graphBase is one kind of graph file a layout holds, by its name before the variant suffix.
type graphBase struct {
	layout string
	base   string // model, decoder_model_merged, decoder_with_past_model, decoder_model
	first  bool   // the split pair's first-step graph
}

// graphBases in the order their names must be tried (decoder_model_merged_x before decoder_model_x).
var graphBases = []graphBase{
	{layout: LayoutOptimumMerged, base: "decoder_model_merged"},
	{layout: LayoutOptimumSplit, base: "decoder_with_past_model"},
	{layout: LayoutOptimumSplit, base: "decoder_model", first: true},
	{layout: "model", base: "model"}, // standard at the top, transformers.js under onnx/
}

// layoutGraphs is one layout in one folder of a directory: its variants, by suffix ("" = the plain
// name), each with its graph files relative to the model directory.
type layoutGraphs struct {
	layout   string
	folder   string // "" or "onnx"
	variants map[string]*variantFiles
}

// variantFiles are a variant's graph files (slash paths relative to the model directory).
type variantFiles struct {
	main  string // the graph for steps with a past (and all steps when first is "")
	first string // the split pair's decoder_model*.onnx
	// missing names the other file of an incomplete split pair ("" when complete).
	missing string
}

// variantName is how a variant suffix is shown ("default" for the plain name).
func variantName(suffix string) string {
	if suffix == "" {
		return "default"
	}
	return suffix
}

// scanLayouts lists the decoder layouts a directory holds, in the order they are preferred: the top
// folder's model.onnx (standard), decoder_model_merged*.onnx, the split pair; then onnx/'s model*.onnx
// (transformers.js), decoder_model_merged*.onnx, the split pair. Other .onnx files (an embedding or
// vision graph) are ignored.
func scanLayouts(dir string) ([]*layoutGraphs, error) {
	var out []*layoutGraphs
	for _, folder := range []string{"", "onnx"} {
		ents, err := os.ReadDir(filepath.Join(dir, folder))
		if errors.Is(err, fs.ErrNotExist) || (err != nil && folder != "") {
			continue
		}
		if err != nil {
			return nil, err
		}
		byLayout := map[string]*layoutGraphs{}
		for _, e := range ents {
			name := e.Name()
			if e.IsDir() || !strings.HasSuffix(name, ".onnx") {
				continue
			}
			stem := strings.TrimSuffix(name, ".onnx")
			for _, gb := range graphBases {
				suffix, ok := strings.CutPrefix(stem, gb.base)
				if !ok || (suffix != "" && !strings.HasPrefix(suffix, "_")) {
					continue
				}
				suffix = strings.TrimPrefix(suffix, "_")
				if gb.base == "decoder_model" && (suffix == "merged" || strings.HasPrefix(suffix, "merged_")) {
					continue // decoder_model_merged*, matched above
				}
				layout := gb.layout
				if layout == "model" {
					layout = LayoutStandard
					if folder == "onnx" {
						layout = LayoutTransformersJS
					}
				}
				lg := byLayout[layout]
				if lg == nil {
					lg = &layoutGraphs{layout: layout, folder: folder, variants: map[string]*variantFiles{}}
					byLayout[layout] = lg
				}
				v := lg.variants[suffix]
				if v == nil {
					v = &variantFiles{}
					lg.variants[suffix] = v
				}
				rel := name
				if folder != "" {
					rel = folder + "/" + name
				}
				if gb.first {
					v.first = rel
				} else {
					v.main = rel
				}
				break
			}
		}
		for _, l := range []string{LayoutStandard, LayoutTransformersJS, LayoutOptimumMerged, LayoutOptimumSplit} {
			lg := byLayout[l]
			if lg == nil {
				continue
			}
			if l == LayoutOptimumSplit {
				for _, v := range lg.variants {
					switch {
					case v.main == "":
						v.missing = strings.Replace(v.first, "decoder_model", "decoder_with_past_model", 1)
					case v.first == "":
						v.missing = strings.Replace(v.main, "decoder_with_past_model", "decoder_model", 1)
					}
				}
			}
			out = append(out, lg)
		}
	}
	return out, nil
}

// listVariants words the variants of the layouts found, for errors: "fp16 (onnx/model_fp16.onnx), q4
// (onnx/model_q4.onnx)".
func listVariants(layouts []*layoutGraphs) string {
	var parts []string
	for _, lg := range layouts {
		for _, s := range sortedSuffixes(lg) {
			v := lg.variants[s]
			files := v.main
			if v.first != "" && v.main != "" {
				files = v.first + " + " + v.main
			}
			if v.missing != "" {
				continue
			}
			parts = append(parts, fmt.Sprintf("%s (%s)", variantName(s), files))
		}
	}
	return strings.Join(parts, ", ")
}

func sortedSuffixes(lg *layoutGraphs) []string {
	var s []string
	for k := range lg.variants {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}

// normalizeVariant turns what a user may write for a variant into its file-name suffix: an alias
// (fp32, default, q8), a suffix (fp16, q4), or a graph file name (model_q4.onnx, onnx/model_q4.onnx).
func normalizeVariant(v string) string {
	v = strings.TrimSpace(v)
	if s, ok := variantAliases[v]; ok {
		return s
	}
	if strings.HasSuffix(v, ".onnx") {
		stem := strings.TrimSuffix(filepath.Base(filepath.FromSlash(v)), ".onnx")
		for _, gb := range graphBases {
			if s, ok := strings.CutPrefix(stem, gb.base); ok && (s == "" || strings.HasPrefix(s, "_")) {
				return strings.TrimPrefix(s, "_")
			}
		}
	}
	return v
}

// pickGraph finds the decoder graph(s) of dir for variant (see normalizeVariant; "" = the plain name)
// and fills m's Layout, Variant, Variants, ModelFile and FirstFile. genaiFile is genai_config.json's
// model.decoder.filename ("" when it names none).
func (m *modelDir) pickGraph(variant, genaiFile string) error {
	want := normalizeVariant(variant)
	if genaiFile != "" {
		m.Layout = LayoutGenAI
		m.ModelFile = filepath.Join(m.Dir, genaiFile)
		if want != "" && want != normalizeVariant(genaiFile) {
			return fmt.Errorf("%s: model.decoder.filename names the graph (%s): variant %q does not apply to an onnxruntime-genai directory",
				filepath.Join(m.Dir, "genai_config.json"), genaiFile, variant)
		}
		return nil
	}
	layouts, err := scanLayouts(m.Dir)
	if err != nil {
		return err
	}
	var incomplete string
	for _, lg := range layouts {
		v := lg.variants[want]
		if v == nil && variant != want {
			// an alias's name used as a suffix of its own (model_q8.onnx)
			if v = lg.variants[strings.TrimSpace(variant)]; v != nil {
				want = strings.TrimSpace(variant)
			}
		}
		if v == nil {
			continue
		}
		if named := strings.TrimSpace(variant); strings.HasSuffix(named, ".onnx") {
			// a file name picks that file, not another layout's graph of the same suffix
			b := filepath.Base(filepath.FromSlash(named))
			if b != path.Base(v.main) && b != path.Base(v.first) {
				continue
			}
		}
		if v.missing != "" {
			if incomplete == "" {
				have := v.main + v.first
				incomplete = fmt.Sprintf("model directory %s has %s but not %s: optimum's split decoder needs both (decoder_model.onnx for the first step, decoder_with_past_model.onnx for the steps with a KV cache)",
					m.Dir, have, v.missing)
				if v.main == "" {
					incomplete += "; a decoder_model.onnx alone is an export without a KV cache: export with --task text-generation-with-past"
				}
			}
			continue
		}
		m.Layout, m.Variant = lg.layout, want
		m.ModelFile = filepath.Join(m.Dir, filepath.FromSlash(v.main))
		if v.first != "" {
			m.FirstFile = filepath.Join(m.Dir, filepath.FromSlash(v.first))
		}
		for _, s := range sortedSuffixes(lg) {
			if lg.variants[s].missing == "" {
				m.Variants = append(m.Variants, variantName(s))
			}
		}
		return nil
	}
	if incomplete != "" {
		return errors.New(incomplete)
	}
	present := listVariants(layouts)
	switch {
	case present == "":
		return missingFiles(m.Dir, "model.onnx")
	case want == "":
		return fmt.Errorf("model directory %s has no plain decoder graph (model.onnx, onnx/model.onnx, decoder_model_merged.onnx, ...): pick one of its variants with --variant NAME (variant: in the benchmark config): %s",
			m.Dir, present)
	}
	return fmt.Errorf("model directory %s has no variant %q: it has %s", m.Dir, variant, present)
}
