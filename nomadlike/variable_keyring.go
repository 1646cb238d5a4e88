package nomadlike

import "time"

// Root key states and algorithm, as Nomad's (api.RootKeyState).
const (
	RootKeyStateActive     = "active"
	RootKeyStateInactive   = "inactive"
	RootKeyStateRekeying   = "rekeying"
	RootKeyStateDeprecated = "deprecated"
	RootKeyAlgorithm       = "aes256-gcm"
)

// RootKeyMeta is a root key's metadata, Nomad's api.RootKeyMeta. Times are
// unix nanoseconds.
type RootKeyMeta struct {
	KeyID       string `json:"KeyID"`
	Algorithm   string `json:"Algorithm"`
	CreateTime  int64  `json:"CreateTime"`
	CreateIndex uint64 `json:"CreateIndex"`
	ModifyIndex uint64 `json:"ModifyIndex"`
	State       string `json:"State"`
}

// Active reports whether the key encrypts new variables and signs new
// identities (active, or rekeying: active while a full rotation
// re-encrypts).
func (m RootKeyMeta) Active() bool {
	return m.State == RootKeyStateActive || m.State == RootKeyStateRekeying
}

// Root key wrappings (WrappedRootKey.Wrap).
const (
	// WrapClusterKey: the key material is sealed with a key derived from
	// the cluster key (server.encrypt), which is never in Raft.
	WrapClusterKey = "cluster-key"
	// WrapInline: no cluster key is configured; the material is sealed
	// with a random key encryption key stored beside it (as Nomad's
	// default AEAD keystore does): the data dir alone can decrypt.
	WrapInline = "inline"
)

// WrappedRootKey is how a root key is stored in Raft and snapshots: its
// metadata and its key material sealed under a key encryption key.
type WrappedRootKey struct {
	Meta       RootKeyMeta `json:"Meta"`
	Wrap       string      `json:"Wrap"`
	WrappedKey []byte      `json:"WrappedKey"`
	// KEK is the key encryption key, only with Wrap == WrapInline.
	KEK []byte `json:"KEK,omitempty"`
}

// WorkloadIdentity is a task's identity block (Nomad's
// structs.WorkloadIdentity, the fields nomadlike honours). Every task
// gets a default identity signed for it; the block says where the task
// sees it (Env: NOMAD_TOKEN, File: secrets/nomad_token), its audience and
// its lifetime (TTL 0: no expiry, as Nomad's default identity). With a
// TTL the client renews the token before it expires, rewrites the files
// and acts as ChangeMode says (client/identity).
type WorkloadIdentity struct {
	Name     string        `json:"Name"`
	Audience []string      `json:"Audience"`
	Env      bool          `json:"Env"`
	File     bool          `json:"File"`
	TTL      time.Duration `json:"TTL"`
	// ChangeMode is what a renewal does to the running task:
	// IdentityChangeNoop (the default), IdentityChangeSignal (send
	// ChangeSignal) or IdentityChangeRestart.
	ChangeMode   string `json:"ChangeMode"`
	ChangeSignal string `json:"ChangeSignal"`
	// Filepath, with File, is where the token is written instead of
	// secrets/nomad_token: a path relative to the task directory, inside
	// it, whose parent directory exists (local/, secrets/).
	Filepath string `json:"Filepath"`
}

// Identity change modes (WorkloadIdentity.ChangeMode), Nomad's.
const (
	IdentityChangeNoop    = "noop"
	IdentityChangeSignal  = "signal"
	IdentityChangeRestart = "restart"
)

// DefaultIdentityName is the name of the default workload identity.
const DefaultIdentityName = "default"
