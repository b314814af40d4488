package metrics

// Verdict is the grade of one response against its gold answer.
type Verdict struct {
	Correct bool `json:"correct"`
	// Extracted is the final answer pulled from the response ("" when none was found).
	Extracted string `json:"extracted"`
	// Rule names the extraction rule that fired ("boxed", "answer_is", "hash", "answer_colon",
	// "last_number", "none", ...).
	Rule string `json:"rule"`
	// Reason explains an incorrect verdict that is not a plain mismatch ("no answer found", "parse
	// error: ...", "timeout").
	Reason string `json:"reason,omitempty"`
	// ThinkOpened reports that the response contains <think>; ThinkClosed that it also closed it with
	// </think> (answer extraction only looks after the closing tag).
	ThinkOpened bool `json:"think_opened,omitempty"`
	ThinkClosed bool `json:"think_closed,omitempty"`
}
