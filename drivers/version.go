package drivers

// SDKVersion is the semantic version of this module,
// github.com/nomadlike/nomadlike/drivers (the driver SDK), released on its
// own: tag drivers/vX.Y.Z. While it is v0, a minor version may change the
// contract (CHANGELOG.md says how); a patch never does. An agent runs a
// plugin built with any SDK version of the same Handshake.ProtocolVersion.
const SDKVersion = "0.1.0"
