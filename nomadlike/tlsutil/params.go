package tlsutil

import (
	"crypto/tls"
	"fmt"
	"sort"
	"strings"
)

// minVersions are Nomad's tls_min_version values.
var minVersions = map[string]uint16{
	"tls10": tls.VersionTLS10,
	"tls11": tls.VersionTLS11,
	"tls12": tls.VersionTLS12,
	"tls13": tls.VersionTLS13,
}

// ParseMinVersion reads tls_min_version ("tls12" when empty, Nomad's
// default).
func ParseMinVersion(s string) (uint16, error) {
	if s == "" {
		return tls.VersionTLS12, nil
	}
	v, ok := minVersions[strings.ToLower(s)]
	if !ok {
		return 0, fmt.Errorf("%q is not one of tls10, tls11, tls12, tls13", s)
	}
	return v, nil
}

// ParseCipherSuites reads tls_cipher_suites: a comma-separated list of Go's
// (and Nomad's) suite names such as TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256.
// Empty means Go's defaults. Insecure suites are refused.
func ParseCipherSuites(s string) ([]uint16, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	known := map[string]uint16{}
	var names []string
	for _, cs := range tls.CipherSuites() {
		known[cs.Name] = cs.ID
		names = append(names, cs.Name)
	}
	var out []uint16
	for _, n := range strings.Split(s, ",") {
		n = strings.TrimSpace(n)
		id, ok := known[n]
		if !ok {
			sort.Strings(names)
			return nil, fmt.Errorf("unknown or insecure cipher suite %q; supported: %s", n, strings.Join(names, ", "))
		}
		out = append(out, id)
	}
	return out, nil
}
