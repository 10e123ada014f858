package sesaccount

import (
	"fmt"
	"strings"
)

// Field is one labelled line of an account's description.
type Field struct {
	Label, Value string
	// Alarm marks a value an operator must act on (sending paused,
	// probation, an unverified identity).
	Alarm bool
	// Indent marks an identity line, listed under "Identities".
	Indent bool
}

// Fields describes the account in words, the same for `sesbox account`
// and the TUI's audit view. Values come from SES (and the config): callers
// sanitize them like any other text.
func (a Account) Fields() []Field {
	var out []Field
	add := func(label, value string, alarm bool) {
		out = append(out, Field{Label: label, Value: value, Alarm: alarm})
	}
	if a.Sandbox {
		review := ""
		if a.ReviewStatus != "" {
			review = " (production access request: " + a.ReviewStatus + ")"
		}
		add("Mode", "sandbox: sends only to verified identities and the mailbox simulator"+review, true)
	} else {
		add("Mode", "production", false)
	}
	if a.SendingEnabled {
		add("Sending", "enabled", false)
	} else {
		add("Sending", "PAUSED: SES sends nothing for this account", true)
	}
	switch a.EnforcementStatus {
	case "HEALTHY":
		add("Enforcement", "HEALTHY", false)
	case "PROBATION":
		add("Enforcement", "PROBATION: bounce or complaint rate under review; keep sends low and clean", true)
	case "SHUTDOWN":
		add("Enforcement", "SHUTDOWN: SES stopped the account's sending", true)
	case "":
		add("Enforcement", "(not reported)", false)
	default:
		add("Enforcement", a.EnforcementStatus, true)
	}
	if a.Unlimited() {
		add("24-hour quota", fmt.Sprintf("unlimited (%s sent in the last 24 hours)", num(a.SentLast24Hours)), false)
	} else {
		add("24-hour quota", fmt.Sprintf("%s recipients: %s sent in the last 24 hours, %s left",
			num(a.Max24HourSend), num(a.SentLast24Hours), num(a.Remaining24Hours)), a.Remaining24Hours <= 0)
	}
	add("Max send rate", num(a.MaxSendRate)+" recipients per second", false)
	if len(a.SuppressedReasons) == 0 {
		add("Suppression", "account-level list off (only SES's global list applies)", false)
	} else {
		verbs := make([]string, len(a.SuppressedReasons))
		for i, r := range a.SuppressedReasons {
			// SES names the reasons by noun (BOUNCE, COMPLAINT); the
			// sentence wants the verb: "addresses that bounce or complain".
			verbs[i] = strings.ToLower(r)
			if r == "COMPLAINT" {
				verbs[i] = "complain"
			}
		}
		add("Suppression", "addresses that "+strings.Join(verbs, " or ")+
			" are put on the account's list and skipped by sesbox", false)
	}
	if len(a.Identities) > 0 {
		add("Identities", "", false)
		for _, id := range a.Identities {
			text, alarm := identityText(id)
			out = append(out, Field{Label: id.Name, Value: text, Alarm: alarm, Indent: true})
		}
	}
	if c := a.ConfigurationSet; c != nil {
		switch {
		case c.Error != "":
			add("Configuration set", c.Name+": could not read: "+c.Error, true)
		case !c.Found:
			add("Configuration set", fmt.Sprintf("%s: not found in %s — create it (aws sesv2 create-configuration-set --configuration-set-name %s --region %s) or remove configuration_set from the mailbox's config",
				c.Name, c.Region, c.Name, c.Region), true)
		default:
			add("Configuration set", c.Name+" (exists)", false)
		}
	}
	return out
}

func identityText(id Identity) (string, bool) {
	switch {
	case id.Error != "":
		return "could not read: " + id.Error, true
	case id.Status == StatusNotFound:
		return "not an SES identity", true
	}
	out := strings.ToLower(strings.ReplaceAll(id.Type, "_", " ")) + ", " + id.Status
	alarm := false
	if id.VerifiedForSending {
		out += ", verified for sending"
	} else {
		out += ", NOT verified for sending"
		alarm = true
	}
	if id.DKIMStatus != "" {
		out += ", DKIM " + id.DKIMStatus
	}
	return out, alarm
}

// num prints a count without a needless ".0".
func num(f float64) string { return strings.TrimSuffix(fmt.Sprintf("%.1f", f), ".0") }
