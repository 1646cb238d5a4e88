// Package getter downloads a task's artifacts into its directory before the
// task starts: http(s) URLs and local files and directories (a path or
// file://), verified against options { checksum = "sha256:..." } (also
// md5, sha1, sha512) and unpacked when they are .tar, .tar.gz, .tgz or .zip
// archives (unless options { archive = "false" }).
//
// The agent fetches as root, so the job is not trusted: local sources are
// refused outside the task and shared alloc directories unless the client
// config turns filesystem isolation off; everything is written below the
// destination through an os.Root, so a link the task planted there is
// replaced or refused, never written through; archive entries with
// absolute paths, "..", or links out are refused; fetched files keep their
// source's permission bits without setuid/setgid; downloads and archives
// are bounded by the Config limits, and a failed fetch leaves nothing new
// in the destination.
package getter
