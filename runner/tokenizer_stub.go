//go:build !acoer_tokenizer

package runner

import "fmt"

// loadTokenizer is the default TokenizerLoader. This stub stands in until runner/tokenizer is merged;
// tokenizer_adapter.go replaces it (delete this file and the build constraint there).
func loadTokenizer(dir string) (Tokenizer, error) {
	return nil, fmt.Errorf("%s: %w", dir, errNoTokenizer)
}
