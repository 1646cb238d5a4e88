// Package jobspecs holds example job files a new user can copy. It has no
// code; its test parses and validates every *.nomad.hcl here, so the
// examples never drift from what the parser accepts.
package jobspecs
