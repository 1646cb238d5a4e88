# Cluster operations: see everything, drain nodes, touch no workload.
namespace "*" {
  policy = "read"
}

namespace "prod-*" {
  capabilities = ["list-jobs", "read-job", "alloc-lifecycle"]
}

namespace "secrets" {
  policy = "deny"
}

node {
  policy = "write"
}

operator {
  policy = "write"
}

agent {
  policy = "read"
}

plugin {
  policy = "list"
}
