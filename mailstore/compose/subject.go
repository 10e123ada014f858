package compose

import (
	"strings"

	"github.com/sesbox/sesbox/internal/lazyregexp"
	"github.com/sesbox/sesbox/mailstore/sanitize"
)

// replyPrefix matches one reply marker at the start of a subject, as mail
// clients in many languages write it: "Re:", "RE:", "Re[2]:", "Re(3):",
// "Aw:" (German), "Sv:" (Nordic), "Antw:" (Dutch), "Vs:" (Finnish), "Odp:"
// (Polish), "R:"/"Rif:" (Italian), "Ynt:" (Turkish), "Atb:" (Latvian),
// "Απ:" (Greek), "回复:"/"回覆:"/"答复:" (Chinese), "返信:" (Japanese),
// "회신:"/"답장:" (Korean), with an ASCII or full-width colon. Forwarding
// markers (Fwd:, Fw:, WG:) are not reply markers and stay: "Re: Fwd: x"
// says what the thread is.
var replyPrefix = lazyregexp.New(`(?i)^\s*(?:re|aw|sv|antw|vs|odp|rif|r|ynt|atb|απ|回复|回覆|答复|答覆|返信|회신|답장)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*`)

// ReplySubject returns "Re: " + subject without stacking: every leading
// reply marker, in any of the common languages and cases, collapses into
// one "Re:". The result is a single safe header line.
func ReplySubject(subject string) string {
	s := sanitize.HeaderValue(subject)
	for {
		loc := replyPrefix().FindStringIndex(s)
		if loc == nil {
			break
		}
		s = s[loc[1]:]
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return "Re:"
	}
	return "Re: " + s
}
