// Package tlsutil turns the agent's tls block (Nomad's names: ca_file,
// cert_file, key_file, verify_server_hostname, verify_https_client,
// tls_min_version, tls_cipher_suites) into *tls.Config values for the
// agent's listeners and for its outgoing connections, and makes the
// certificates that `nomadlike tls ca create` and `tls cert create` write.
//
// A Configurator holds the current CA pool and key pair behind an atomic
// pointer. Every config it returns reads that pointer at each handshake
// (GetConfigForClient on the listening side, GetClientCertificate and
// VerifyConnection on the dialing side), so Reload (on SIGHUP) takes effect
// for new connections without closing the ones that are open.
//
// Roles follow Nomad: a server's certificate names server.<region>.nomad, a
// client agent's client.<region>.nomad. With verify_server_hostname a
// listener of the RPC port (raft and server joins) accepts only peers whose
// certificate names server.<region>.nomad, and a dialer accepts only such
// servers, so a client certificate cannot join raft or pose as a server.
//
// The package imports only the standard library.
package tlsutil
