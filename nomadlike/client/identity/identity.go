package identity

import (
	"fmt"
	"path"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/client/allocdir"
)

// TokenFile is the token's file name in the task's secrets directory.
const TokenFile = "nomad_token"

// EnvVar is the environment variable that carries the token.
const EnvVar = "NOMAD_TOKEN"

// Token returns the task's identity token, "" when the servers signed
// none (ACLs off, or an allocation fetched before the keyring existed).
func Token(a *nomadlike.Allocation, task string) string {
	if a == nil {
		return ""
	}
	return a.SignedIdentities[task]
}

// Apply writes the task's token where its identity block asks, and
// returns the environment to add (nil when none). The file is written
// atomically, with mode 0600, beneath the allocation directory without
// following links.
func Apply(ad *allocdir.AllocDir, a *nomadlike.Allocation, t *nomadlike.Task) (map[string]string, error) {
	tok := Token(a, t.Name)
	id := t.Identity
	if tok == "" || id == nil {
		return nil, nil
	}
	if id.File {
		root, err := ad.Open()
		if err != nil {
			return nil, err
		}
		defer root.Close()
		rel := path.Join(t.Name, allocdir.TaskSecrets, TokenFile)
		if err := root.WriteFileAtomic(rel, []byte(tok), 0o600); err != nil {
			return nil, fmt.Errorf("write workload identity: %w", err)
		}
	}
	if id.Env {
		return map[string]string{EnvVar: tok}, nil
	}
	return nil, nil
}
