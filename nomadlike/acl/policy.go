package acl

// Policy is one parsed ACL policy. Parse fills it; Compile reads it and
// never changes it. Capability lists hold the expansion of the shorthand
// policy, the listed capabilities and everything they imply, sorted.
type Policy struct {
	// Name is the policy's name (used as the file name in diagnostics).
	Name string
	// Namespaces holds the namespace rules in file order.
	Namespaces []*NamespaceRule
	// HostVolumes holds the host_volume rules in file order.
	HostVolumes []*HostVolumeRule
	// Node, Agent, Operator and Quota are "deny", "read", "write", or ""
	// when the policy has no such rule.
	Node     string
	Agent    string
	Operator string
	Quota    string
	// Plugin is "deny", "list", "read", "write", or "".
	Plugin string
}

// NamespaceRule is a `namespace "glob" { ... }` block.
type NamespaceRule struct {
	// Name is the namespace or glob the rule applies to; "default" when the
	// block has no label.
	Name string
	// Policy is the shorthand as written ("" if absent).
	Policy string
	// Capabilities is the expanded capability list.
	Capabilities []string
	// Variables holds the path rules of the variables block, nil when the
	// rule has none.
	Variables []*VariablesPathRule
}

// VariablesPathRule is a `path "glob" { capabilities = [...] }` block
// inside a namespace rule's variables block.
type VariablesPathRule struct {
	Path         string
	Capabilities []string
}

// HostVolumeRule is a `host_volume "glob" { ... }` block.
type HostVolumeRule struct {
	Name         string
	Policy       string
	Capabilities []string
}
