package reforward

import "strings"

// Option is one of the Options that sends a message a plan leaves out.
// The reasons and the preview's lines say how to turn it on in the CLI's
// words (Flag); another front end says it its own way (Rephrase).
type Option int

const (
	OptionAgain             Option = iota // Options.Again
	OptionIncludeSpam                     // Options.IncludeSpam
	OptionRetryUncertain                  // Options.RetryUncertain
	OptionIncludeSuppressed               // Options.IncludeSuppressed
	OptionRetryRefused                    // Options.RetryRefused
)

// Flag is how the CLI turns o on.
func (o Option) Flag() string {
	switch o {
	case OptionAgain:
		return "sesbox forward --again"
	case OptionIncludeSpam:
		return "sesbox forward --include-spam"
	case OptionIncludeSuppressed:
		return "sesbox forward --include-suppressed"
	case OptionRetryRefused:
		return "sesbox forward --retry-refused"
	default:
		return "sesbox forward --retry-uncertain"
	}
}

// Rephrase replaces in text (a reason, a line of the preview) the CLI's
// way of turning each option on (Option.Flag) with how's (the TUI's key).
func Rephrase(text string, how func(Option) string) string {
	for _, o := range []Option{OptionAgain, OptionIncludeSpam, OptionRetryUncertain, OptionIncludeSuppressed, OptionRetryRefused} {
		text = strings.ReplaceAll(text, o.Flag(), how(o))
	}
	return text
}
