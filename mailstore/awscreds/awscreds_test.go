package awscreds

import "testing"

// TestFromNamesTheSource: each SDK provider's Source is said in a
// person's words, with the profile where one is used.
func TestFromNamesTheSource(t *testing.T) {
	for _, tc := range []struct{ source, profile, want string }{
		{"EnvConfigCredentials", "", "the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)"},
		{"SharedConfigCredentials: /h/.aws/credentials", "", "profile default in /h/.aws/credentials"},
		{"SharedConfigCredentials: /h/.aws/config", "work", "profile work in /h/.aws/config"},
		{"SSOProvider", "work", "SSO (profile work; aws sso login --profile work renews them)"},
		{"EC2RoleProvider", "", "the EC2 instance's role (IMDS)"},
		{"SomethingNew", "", "SomethingNew"},
		{"", "", ""},
	} {
		if got := From(tc.source, tc.profile); got != tc.want {
			t.Errorf("From(%q, %q) = %q, want %q", tc.source, tc.profile, got, tc.want)
		}
	}
}
