// Package ociimage builds small OCI image archives locally, without a
// registry: a single-layer image holding busybox-static and its applets. The
// containerd driver's tests and `make dev` import such an archive through the
// task config's image_archive.
package ociimage
