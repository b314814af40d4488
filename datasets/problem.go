package datasets

// Problem is one benchmark problem.
type Problem struct {
	// ID is unique within its dataset (the file's own id when it has one, else the 0-based line index).
	ID string `json:"id"`
	// Question is the problem statement as the file gives it (no prompt template applied).
	Question string `json:"question"`
	// Gold is the reference final answer, normalised to a string (files use strings, ints and floats).
	Gold string `json:"gold"`
	// Meta carries what the file has besides: "level", "subject", "year", "url", ... (for breakdowns).
	Meta map[string]string `json:"meta,omitempty"`
}
