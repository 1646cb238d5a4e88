// Package getter downloads a task's artifacts into its directory before the
// task starts: local files and directories (an absolute path or file://) and
// http(s) URLs, verified against options { checksum = "sha256:..." } (also
// md5, sha1, sha512) and unpacked when they are .tar, .tar.gz, .tgz or .zip
// archives (unless options { archive = "false" }). Destinations and archive
// entries are confined to the allocation directory.
package getter
