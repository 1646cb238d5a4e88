# The example structure of Nomad's ACL policy specification.
namespace "foo" {
  policy       = "write"
  capabilities = ["alloc-exec"]

  variables {
    path "project/*" {
      capabilities = ["read", "write"]
    }
  }
}

namespace "*" {
  policy = "read"
}

node {
  policy = "read"
}

agent {
  policy = "read"
}

operator {
  policy = "read"
}

quota {
  policy = "read"
}

host_volume "*" {
  policy = "read"
}

plugin {
  policy = "read"
}
