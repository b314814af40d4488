//go:build !acoer_tokenizer

package runner

import (
	"errors"
	"fmt"
)

// errNoTokenizer is what loadTokenizer returns until runner/tokenizer is wired in.
var errNoTokenizer = errors.New("no tokenizer implementation is linked into this build (runner/tokenizer not wired in; see tokenizer_adapter.go)")

// loadTokenizer is the default TokenizerLoader. This stub stands in until runner/tokenizer is merged;
// tokenizer_adapter.go replaces it (delete this file and the build constraint there).
func loadTokenizer(dir string) (Tokenizer, error) {
	return nil, fmt.Errorf("%s: %w", dir, errNoTokenizer)
}
