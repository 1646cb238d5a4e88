// Package acl implements Nomad's ACL policy language and the compiled ACL
// object that authorizes requests. It uses only the standard library and
// HCL, and knows nothing of tokens, HTTP or raft: callers look a token's
// policies up, Compile them (and cache the result) and ask the ACL.
//
// # Policies
//
// Parse reads a policy written in HCL, with Nomad's blocks:
//
//	namespace "glob" {                 # no label means "default"
//	  policy       = "read"            # deny | read | write | scale
//	  capabilities = ["alloc-exec"]    # NamespaceCapability* names
//	  variables {
//	    path "project/*" { capabilities = ["read", "write"] } # list read write destroy deny
//	  }
//	}
//	host_volume "glob" { policy = "write", capabilities = ["mount-readonly"] } # deny | read | write
//	node     { policy = "read" }       # deny | read | write; as are agent, operator, quota
//	plugin   { policy = "list" }       # deny | list | read | write
//
// A shorthand policy expands to Nomad's capability list (the tables of
// Nomad's ACL policy specification; read also grants host-volume-read and
// write the host-volume-* management capabilities), and a capability brings
// what Nomad documents it implies (read-fs grants read-logs, read-job grants
// csi-read-volume, host-volume-write grants the other host-volume-*, a
// variables write or read grants list, mount-readwrite grants
// mount-readonly). Parse stores the expanded, sorted list. Unknown blocks,
// attributes and capabilities, bad policy values, bad labels and duplicate
// rules are errors positioned as "policy-name:line:col: message".
//
// # Merging
//
// Compile merges any number of policies. Rules for the same resource and
// the same label (say two namespace "prod-*" rules) are united; a deny in
// any of them, as the policy or as a capability, leaves only deny: deny
// wins over every grant for that label. The coarse rules (node, agent,
// operator, quota, plugin) merge the same way: deny wins, otherwise the
// highest level.
//
// # Which rule applies
//
// As in Nomad, exactly one label applies to a namespace (host volume,
// variables path): the rule labelled with the exact name, else the glob
// ('*' matches any run of characters, including none) that matches the
// name with the greatest number of literal characters, i.e. the fewest
// characters left to the wildcards. For "production-web", namespace
// "*-web" (4 literal characters) wins over "*" (none). A more specific
// rule therefore shadows a broader one even when it grants less: namespace
// "prod" { policy = "read" } next to namespace "*" { policy = "write" }
// gives read only in "prod". Where this package had to choose:
//
//   - Globs that tie (same number of literal characters, both matching)
//     are merged like rules with the same label, so the result does not
//     depend on policy order and a deny in either still wins. Nomad leaves
//     the tie to sort order.
//   - Variables follow Nomad: the namespace rules that have a variables
//     block are searched (exact, else closest glob) and then the path
//     within them the same way. In addition, a namespace whose applicable
//     namespace rule is deny allows no variable operation, so a deny on a
//     namespace cannot be bypassed through a broader rule's variables.
//
// The ACL is immutable and safe for concurrent use. Exact labels live in a
// map and globs in a slice sorted by specificity, so a check costs a map
// lookup plus, for names without an exact rule, glob matches until the
// first (most specific) hit.
package acl
