package tlsutil

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"time"
)

// CAOptions shape a new CA (`tls ca create`).
type CAOptions struct {
	// Days the CA is valid (Nomad: 1825).
	Days int
	// Domain the CA is constrained to ("nomad") when NameConstraint.
	Domain string
	// CommonName of the CA; "Nomad Agent CA <serial>" when empty.
	CommonName string
	// NameConstraint limits the CA to Domain, localhost and the
	// additional domains (Nomad's -name-constraint).
	NameConstraint    bool
	AdditionalDomains []string
}

// CertOptions shape a leaf certificate (`tls cert create`).
type CertOptions struct {
	// Days the certificate is valid (Nomad: 365).
	Days int
	// DNSNames and IPs are its subject alternative names; the first DNS
	// name is also its common name.
	DNSNames []string
	IPs      []net.IP
	// ExtKeyUsage says what it may do: servers and clients both serve
	// and dial, the CLI only dials.
	ExtKeyUsage []x509.ExtKeyUsage
}

// Pair is a PEM certificate and its PEM private key.
type Pair struct {
	Cert, Key []byte
}

// GenerateCA makes a self-signed CA with an ECDSA P-256 key.
func GenerateCA(o CAOptions) (Pair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Pair{}, err
	}
	serial, err := serialNumber()
	if err != nil {
		return Pair{}, err
	}
	cn := o.CommonName
	if cn == "" {
		cn = "Nomad Agent CA " + serial.String()
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"nomadlike"}},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.AddDate(0, 0, days(o.Days, 1825)),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		SubjectKeyId:          keyID(key.Public()),
	}
	if o.NameConstraint {
		domain := o.Domain
		if domain == "" {
			domain = "nomad"
		}
		tmpl.PermittedDNSDomainsCritical = true
		tmpl.PermittedDNSDomains = append([]string{domain, "localhost"}, o.AdditionalDomains...)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return Pair{}, err
	}
	return encode(der, key)
}

// GenerateCert makes a certificate signed by the CA in ca.
func GenerateCert(ca Pair, o CertOptions) (Pair, error) {
	caCert, caKey, err := parsePair(ca)
	if err != nil {
		return Pair{}, err
	}
	if !caCert.IsCA {
		return Pair{}, fmt.Errorf("%w: the CA certificate is not a CA", ErrConfig)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Pair{}, err
	}
	serial, err := serialNumber()
	if err != nil {
		return Pair{}, err
	}
	cn := ""
	if len(o.DNSNames) > 0 {
		cn = o.DNSNames[0]
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:   serial,
		Subject:        pkix.Name{CommonName: cn},
		NotBefore:      now.Add(-time.Minute),
		NotAfter:       now.AddDate(0, 0, days(o.Days, 365)),
		KeyUsage:       x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:    o.ExtKeyUsage,
		DNSNames:       o.DNSNames,
		IPAddresses:    o.IPs,
		SubjectKeyId:   keyID(key.Public()),
		AuthorityKeyId: caCert.SubjectKeyId,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, key.Public(), caKey)
	if err != nil {
		return Pair{}, err
	}
	return encode(der, key)
}

func days(n, def int) int {
	if n <= 0 {
		return def
	}
	return n
}

func serialNumber() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
}

func keyID(pub crypto.PublicKey) []byte {
	der, _ := x509.MarshalPKIXPublicKey(pub)
	sum := sha256.Sum256(der)
	return sum[:20]
}

func encode(der []byte, key *ecdsa.PrivateKey) (Pair, error) {
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return Pair{}, err
	}
	return Pair{
		Cert: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		Key:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}),
	}, nil
}

func parsePair(p Pair) (*x509.Certificate, crypto.Signer, error) {
	cb, _ := pem.Decode(p.Cert)
	if cb == nil || cb.Type != "CERTIFICATE" {
		return nil, nil, fmt.Errorf("%w: the CA file holds no PEM certificate", ErrConfig)
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: CA certificate: %v", ErrConfig, err)
	}
	kb, _ := pem.Decode(p.Key)
	if kb == nil {
		return nil, nil, fmt.Errorf("%w: the CA key file holds no PEM key", ErrConfig)
	}
	var key any
	switch kb.Type {
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(kb.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(kb.Bytes)
	default:
		key, err = x509.ParsePKCS8PrivateKey(kb.Bytes)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%w: CA key: %v", ErrConfig, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, nil, fmt.Errorf("%w: CA key cannot sign", ErrConfig)
	}
	if !publicEqual(signer.Public(), cert.PublicKey) {
		return nil, nil, errors.Join(ErrConfig, errors.New("the CA key does not belong to the CA certificate"))
	}
	return cert, signer, nil
}

func publicEqual(a, b crypto.PublicKey) bool {
	eq, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && eq.Equal(b)
}

// Roles of `tls cert create`.
const (
	RoleServer = "server"
	RoleClient = "client"
	RoleCLI    = "cli"
)

// RoleOptions are the names and uses of a role's certificate in region,
// as Nomad makes them: <role>.<region>.<domain> and localhost (servers and
// clients also 127.0.0.1), plus the extra names and addresses given.
func RoleOptions(role, region, domain string, days int, extraDNS []string, extraIPs []net.IP) (CertOptions, error) {
	if domain == "" {
		domain = "nomad"
	}
	o := CertOptions{Days: days, DNSNames: []string{role + "." + regionOr(region) + "." + domain, "localhost"}}
	switch role {
	case RoleServer, RoleClient:
		o.IPs = []net.IP{net.IPv4(127, 0, 0, 1)}
		o.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	case RoleCLI:
		o.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	default:
		return CertOptions{}, fmt.Errorf("%w: unknown role %q (server, client or cli)", ErrConfig, role)
	}
	o.DNSNames = append(o.DNSNames, extraDNS...)
	o.IPs = append(o.IPs, extraIPs...)
	return o, nil
}
