// Package keyring is the pure cryptography of Variables and workload
// identities, with no server dependencies: root keys (AES-256-GCM) that
// seal variable items, wrapping of root key material under a key
// encryption key (for storage in Raft), a Ring of unwrapped keys with one
// active key, and the Ed25519 signing key each root key derives, which
// signs and verifies workload identity JWTs (go-jose). Safe for
// concurrent use where a type says so.
package keyring
