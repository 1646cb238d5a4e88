package keyring

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/nomadlike/nomadlike/nomadlike"
)

func mustKey(t *testing.T, id string) *Key {
	t.Helper()
	k, err := NewKey(id, time.Unix(1000, 0))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestSealOpenProperty: for random plaintexts and paths, Open(Seal(p))
// is p; another key, another path (aad) or any flipped byte fails.
func TestSealOpenProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	k1, k2 := mustKey(t, "k1"), mustKey(t, "k2")
	for i := range 200 {
		p := make([]byte, r.IntN(512))
		for j := range p {
			p[j] = byte(r.UintN(256))
		}
		aad := nomadlike.VariableAAD("default", "a/b")
		sealed, err := k1.Seal(p, aad)
		if err != nil {
			t.Fatal(err)
		}
		if len(p) > 0 && bytes.Contains(sealed, p) && len(p) > 8 {
			t.Fatalf("case %d: plaintext visible in ciphertext", i)
		}
		got, err := k1.Open(sealed, aad)
		if err != nil || !bytes.Equal(got, p) {
			t.Fatalf("case %d: Open(Seal(p)) = %v, %v", i, got, err)
		}
		if _, err := k2.Open(sealed, aad); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("case %d: wrong key: err = %v, want ErrDecrypt", i, err)
		}
		if _, err := k1.Open(sealed, nomadlike.VariableAAD("default", "a/c")); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("case %d: other path: err = %v, want ErrDecrypt", i, err)
		}
		tampered := append([]byte(nil), sealed...)
		tampered[r.IntN(len(tampered))] ^= byte(1 + r.UintN(255))
		if _, err := k1.Open(tampered, aad); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("case %d: tampered: err = %v, want ErrDecrypt", i, err)
		}
		if _, err := k1.Open(sealed[:r.IntN(len(sealed))], aad); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("case %d: truncated: err = %v, want ErrDecrypt", i, err)
		}
	}
}

func TestWrapUnwrap(t *testing.T) {
	k := mustKey(t, "k1")
	kek, _ := NewKEK()
	w, err := Wrap(kek, k)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(w, k.Material()) {
		t.Fatal("wrapped key contains the material")
	}
	got, err := Unwrap(kek, k.Meta, w)
	if err != nil || !bytes.Equal(got.Material(), k.Material()) {
		t.Fatalf("Unwrap = %v, %v", got, err)
	}
	other, _ := NewKEK()
	if _, err := Unwrap(other, k.Meta, w); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("Unwrap(wrong kek) = %v, want ErrDecrypt", err)
	}
	meta := k.Meta
	meta.KeyID = "k2"
	if _, err := Unwrap(kek, meta, w); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("Unwrap(other key ID) = %v, want ErrDecrypt", err)
	}
	a, _ := DeriveKEK([]byte("0123456789abcdef"))
	b, _ := DeriveKEK([]byte("0123456789abcdef"))
	if !bytes.Equal(a, b) || len(a) != KeySize {
		t.Fatal("DeriveKEK is not deterministic or not 32 bytes")
	}
}

func TestIdentitySignVerify(t *testing.T) {
	now := time.Unix(2000, 0)
	k1 := mustKey(t, "k1")
	ring := NewRing()
	ring.Put(k1)
	claims := func(exp time.Duration) *IdentityClaims {
		c := &IdentityClaims{Namespace: "default", JobID: "web", AllocationID: "a1", Task: "t",
			Claims: jwt.Claims{Subject: "s", IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now)}}
		if exp != 0 {
			c.Expiry = jwt.NewNumericDate(now.Add(exp))
		}
		return c
	}
	tok, err := Sign(k1, claims(0))
	if err != nil {
		t.Fatal(err)
	}
	if !LooksLikeJWT(tok) {
		t.Fatalf("LooksLikeJWT(%q) = false", tok)
	}
	c, err := Verify(ring, tok, now)
	if err != nil || c.JobID != "web" || c.AllocationID != "a1" {
		t.Fatalf("Verify = %+v, %v", c, err)
	}
	expired, _ := Sign(k1, claims(time.Minute))
	other := mustKey(t, "k1") // same ID, other material: a forged key
	forged, _ := Sign(other, claims(0))
	unknown, _ := Sign(mustKey(t, "k9"), claims(0))
	cases := []struct{ name, tok string }{
		{"expired", expired},
		{"forged", forged},
		{"unknown key", unknown},
		{"tampered", tok[:len(tok)-4] + "AAAA"},
		{"garbage", "a.b.c"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Verify(ring, tc.tok, now.Add(time.Hour)); !errors.Is(err, ErrInvalidIdentity) {
				t.Fatalf("Verify = %v, want ErrInvalidIdentity", err)
			}
		})
	}
	if set := JWKS(ring); len(set.Keys) != 1 || set.Keys[0].KeyID != "k1" {
		t.Fatalf("JWKS = %+v", set)
	}
}

func TestRingActive(t *testing.T) {
	r := NewRing()
	if _, err := r.Active(); !errors.Is(err, ErrNoActiveKey) {
		t.Fatalf("Active() = %v, want ErrNoActiveKey", err)
	}
	k1 := mustKey(t, "k1")
	r.Put(k1)
	k2 := mustKey(t, "k2")
	r.Put(k2)
	if a, _ := r.Active(); a.Meta.KeyID != "k2" {
		t.Fatalf("Active = %s, want k2", a.Meta.KeyID)
	}
	if _, err := r.Get("nope"); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("Get(nope) = %v", err)
	}
}
