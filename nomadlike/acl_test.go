package nomadlike

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestACLPolicyValidate(t *testing.T) {
	cases := []struct {
		name    string
		policy  ACLPolicy
		wantErr string // "" for valid
	}{
		{"ok", ACLPolicy{Name: "read-only-1"}, ""},
		{"128 chars", ACLPolicy{Name: strings.Repeat("a", 128)}, ""},
		{"empty name", ACLPolicy{}, "Name: invalid policy name"},
		{"129 chars", ACLPolicy{Name: strings.Repeat("a", 129)}, "Name: invalid policy name"},
		{"slash", ACLPolicy{Name: "a/b"}, "Name: invalid policy name"},
		{"space", ACLPolicy{Name: "a b"}, "Name: invalid policy name"},
		{"long description", ACLPolicy{Name: "p", Description: strings.Repeat("d", 257)}, "Description: is 257 characters long"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.policy.Validate()
			checkValidation(t, "ACLPolicy.Validate()", err, tc.wantErr)
		})
	}
}

func TestACLTokenValidate(t *testing.T) {
	exp := time.Now().Add(time.Hour)
	cases := []struct {
		name    string
		token   ACLToken
		wantErr string
	}{
		{"client", ACLToken{Type: "client", Policies: []string{"p"}}, ""},
		{"management", ACLToken{Type: "management"}, ""},
		{"client without policy", ACLToken{Type: "client"}, "Policies: a client token needs at least one policy"},
		{"management with policy", ACLToken{Type: "management", Policies: []string{"p"}}, "Policies: a management token cannot have policies"},
		{"bad type", ACLToken{Type: "root"}, `Type: token type must be "client" or "management", not "root"`},
		{"bad policy name", ACLToken{Type: "client", Policies: []string{"ok", "no/pe"}}, `Policies[1]: invalid policy name "no/pe"`},
		{"roles", ACLToken{Type: "client", Policies: []string{"p"}, Roles: []*ACLTokenRoleLink{{Name: "r"}}}, "Roles: ACL roles are not supported"},
		{"negative ttl", ACLToken{Type: "management", ExpirationTTL: -time.Second}, "ExpirationTTL: must not be negative"},
		{"ttl and time", ACLToken{Type: "management", ExpirationTTL: time.Hour, ExpirationTime: &exp}, "ExpirationTTL: set either"},
		{"long name", ACLToken{Type: "management", Name: strings.Repeat("n", 300)}, "Name: is 300 characters long"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkValidation(t, "ACLToken.Validate()", tc.token.Validate(), tc.wantErr)
		})
	}
}

func checkValidation(t *testing.T, call string, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Errorf("%s = %v, want nil", call, err)
		}
		return
	}
	if !errors.Is(err, ErrValidation) || !strings.Contains(err.Error(), want) {
		t.Errorf("%s = %v, want a validation error containing %q", call, err, want)
	}
}

// TestACLTokenJSON: ExpirationTTL is a duration string on the wire and
// reads back from a string or a number, as Nomad's api package writes and
// reads it; the hash survives a round trip (state dumps) and Public drops it.
func TestACLTokenJSON(t *testing.T) {
	exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tok := &ACLToken{AccessorID: "a", Type: "client", Policies: []string{"p"}, ExpirationTTL: 90 * time.Minute,
		ExpirationTime: &exp, SecretHash: HashACLSecret("s"), CreateIndex: 3}
	b, err := json.Marshal(tok)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"ExpirationTTL":"1h30m0s"`) {
		t.Errorf("Marshal = %s, want ExpirationTTL \"1h30m0s\"", b)
	}
	var back ACLToken
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.ExpirationTTL != tok.ExpirationTTL || back.SecretHash != tok.SecretHash || !back.ExpirationTime.Equal(exp) || back.CreateIndex != 3 {
		t.Errorf("round trip = %+v, want %+v", back, tok)
	}
	for in, want := range map[string]time.Duration{`{"ExpirationTTL":""}`: 0, `{"ExpirationTTL":60000000000}`: time.Minute, `{}`: 0, `{"ExpirationTTL":"2h"}`: 2 * time.Hour} {
		var got ACLToken
		if err := json.Unmarshal([]byte(in), &got); err != nil || got.ExpirationTTL != want {
			t.Errorf("Unmarshal(%s) = %v, %v; want %v", in, got.ExpirationTTL, err, want)
		}
	}
	if err := json.Unmarshal([]byte(`{"ExpirationTTL":"soon"}`), &back); err == nil || !strings.Contains(err.Error(), "ExpirationTTL") {
		t.Errorf("Unmarshal(bad TTL) = %v, want an error naming ExpirationTTL", err)
	}
	pub, _ := json.Marshal(tok.Public())
	if strings.Contains(string(pub), "SecretHash") {
		t.Errorf("Public() JSON = %s, want no SecretHash", pub)
	}
	if tok.SecretHash == "" {
		t.Error("Public() changed the original")
	}
}

func TestACLTokenIsExpired(t *testing.T) {
	now := time.Now()
	past, future := now.Add(-time.Second), now.Add(time.Second)
	for _, tc := range []struct {
		name string
		exp  *time.Time
		want bool
	}{{"never", nil, false}, {"past", &past, true}, {"now", &now, true}, {"future", &future, false}} {
		if got := (&ACLToken{ExpirationTime: tc.exp}).IsExpired(now); got != tc.want {
			t.Errorf("%s: IsExpired = %v, want %v", tc.name, got, tc.want)
		}
	}
}
