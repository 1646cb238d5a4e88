package identity

import (
	"fmt"
	"path"
	"strings"

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
	return ApplyToken(ad, t, Token(a, t.Name))
}

// ApplyToken is Apply with the token given (a renewed one).
func ApplyToken(ad *allocdir.AllocDir, t *nomadlike.Task, tok string) (map[string]string, error) {
	id := t.Identity
	if tok == "" || id == nil {
		return nil, nil
	}
	if err := WriteFile(ad, t, tok); err != nil {
		return nil, err
	}
	if id.Env {
		return map[string]string{EnvVar: tok}, nil
	}
	return nil, nil
}

// WriteFile writes tok where the identity block asks (nothing without
// file = true): filepath, relative to the task directory, else
// secrets/nomad_token; atomically, mode 0600, beneath the allocation
// directory without following links (the task can write there).
func WriteFile(ad *allocdir.AllocDir, t *nomadlike.Task, tok string) error {
	id := t.Identity
	if id == nil || !id.File || tok == "" {
		return nil
	}
	rel := path.Join(allocdir.TaskSecrets, TokenFile)
	if id.Filepath != "" {
		rel = path.Clean(strings.TrimLeft(id.Filepath, "/"))
		if rel == "." || rel == ".." || strings.HasPrefix(rel, "../") {
			return fmt.Errorf("write workload identity: filepath %q is not inside the task directory", id.Filepath)
		}
	}
	root, err := ad.Open()
	if err != nil {
		return err
	}
	defer root.Close()
	if err := root.WriteFileAtomic(path.Join(t.Name, rel), []byte(tok), 0o600); err != nil {
		return fmt.Errorf("write workload identity to %s: %w", rel, err)
	}
	return nil
}
