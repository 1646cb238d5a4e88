// Package hostvolumes is the client side of dynamic host volumes (issue
// #17): the built-in "mkdir" plugin, which creates a volume as the
// directory <host_volumes_dir>/<volume ID> and deletes it, through
// drivers/beneath (no symbolic link is followed, no mount crossed), and
// the small file that keeps the node's ready volumes across agent
// restarts.
package hostvolumes
