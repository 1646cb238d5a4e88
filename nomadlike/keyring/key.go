package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// KeySize is the size of a root key and of a key encryption key: AES-256.
const KeySize = 32

// Sentinel errors.
var (
	// ErrDecrypt is returned when a ciphertext does not open: wrong key,
	// tampered or truncated data, or another path's ciphertext.
	ErrDecrypt = errors.New("decryption failed")
	// ErrKeyNotFound is returned when no key of the ring has the KeyID.
	ErrKeyNotFound = errors.New("root key not found")
	// ErrNoActiveKey is returned by Ring.Active before a key is active.
	ErrNoActiveKey = errors.New("no active root key")
)

// Key is an unwrapped root key: its metadata and 32 bytes of AES-256 key
// material. A Key is immutable once built; safe for concurrent use.
type Key struct {
	Meta     nomadlike.RootKeyMeta
	material []byte
	aead     cipher.AEAD
	signing  ed25519.PrivateKey
}

// NewKey makes a fresh random root key with the given ID, created at now,
// in state active.
func NewKey(id string, now time.Time) (*Key, error) {
	m := make([]byte, KeySize)
	if _, err := rand.Read(m); err != nil {
		return nil, fmt.Errorf("generate root key: %w", err)
	}
	meta := nomadlike.RootKeyMeta{KeyID: id, Algorithm: nomadlike.RootKeyAlgorithm,
		CreateTime: now.UnixNano(), State: nomadlike.RootKeyStateActive}
	return FromMaterial(meta, m)
}

// FromMaterial builds a Key from its metadata and material (copied).
func FromMaterial(meta nomadlike.RootKeyMeta, material []byte) (*Key, error) {
	if len(material) != KeySize {
		return nil, fmt.Errorf("root key %s: %d bytes of key material, want %d", meta.KeyID, len(material), KeySize)
	}
	m := append([]byte(nil), material...)
	aead, err := newGCM(m)
	if err != nil {
		return nil, err
	}
	seed, err := hkdf.Key(sha256.New, m, nil, "nomadlike workload identity ed25519 v1", ed25519.SeedSize)
	if err != nil {
		return nil, fmt.Errorf("derive signing key: %w", err)
	}
	return &Key{Meta: meta, material: m, aead: aead, signing: ed25519.NewKeyFromSeed(seed)}, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("aes: %w", err)
	}
	return cipher.NewGCM(block)
}

// Material returns a copy of the key material (for wrapping).
func (k *Key) Material() []byte { return append([]byte(nil), k.material...) }

// PublicKey is the Ed25519 public key that verifies the identities this
// key signs.
func (k *Key) PublicKey() ed25519.PublicKey { return k.signing.Public().(ed25519.PublicKey) }

// Seal encrypts plaintext bound to aad (e.g. a variable's namespace and
// path): the result is nonce || ciphertext || tag.
func (k *Key) Seal(plaintext, aad []byte) ([]byte, error) { return seal(k.aead, plaintext, aad) }

// Open decrypts what Seal returned with the same aad; ErrDecrypt when the
// key, the aad or the data differ.
func (k *Key) Open(sealed, aad []byte) ([]byte, error) { return open(k.aead, sealed, aad) }

func seal(aead cipher.AEAD, plaintext, aad []byte) ([]byte, error) {
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("nonce: %w", err)
	}
	return aead.Seal(nonce, nonce, plaintext, aad), nil
}

func open(aead cipher.AEAD, sealed, aad []byte) ([]byte, error) {
	n := aead.NonceSize()
	if len(sealed) < n+aead.Overhead() {
		return nil, ErrDecrypt
	}
	out, err := aead.Open(nil, sealed[:n], sealed[n:], aad)
	if err != nil {
		return nil, ErrDecrypt
	}
	return out, nil
}

// Wrap seals key material under a key encryption key (KeySize bytes),
// bound to the key's ID.
func Wrap(kek []byte, k *Key) ([]byte, error) {
	aead, err := newGCM(kek)
	if err != nil {
		return nil, err
	}
	return seal(aead, k.material, []byte("root key "+k.Meta.KeyID))
}

// Unwrap opens what Wrap returned and rebuilds the Key.
func Unwrap(kek []byte, meta nomadlike.RootKeyMeta, wrapped []byte) (*Key, error) {
	aead, err := newGCM(kek)
	if err != nil {
		return nil, err
	}
	m, err := open(aead, wrapped, []byte("root key "+meta.KeyID))
	if err != nil {
		return nil, fmt.Errorf("unwrap root key %s: %w", meta.KeyID, err)
	}
	return FromMaterial(meta, m)
}

// DeriveKEK derives the key encryption key from the cluster key
// (server.encrypt): HKDF-SHA256 with a fixed label.
func DeriveKEK(clusterKey []byte) ([]byte, error) {
	return hkdf.Key(sha256.New, clusterKey, nil, "nomadlike keyring kek v1", KeySize)
}

// NewKEK returns a random key encryption key.
func NewKEK() ([]byte, error) {
	k := make([]byte, KeySize)
	_, err := rand.Read(k)
	return k, err
}
