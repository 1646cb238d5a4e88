# Runtime interpolations are kept as text for the scheduler and client; var
# and local references in the same strings are resolved.
variable "suffix" {
  default = "prod"
}

job "interp" {
  datacenters = ["dc1"]

  constraint {
    attribute = "${attr.kernel.name}"
    value     = "linux"
  }

  constraint {
    attribute = "${meta.rack}"
    operator  = "!="
    value     = "${var.suffix}"
  }

  group "g" {
    network {
      port "http" {}
    }

    service {
      name = "svc-${NOMAD_ALLOC_INDEX}-${var.suffix}"
      port = "http"
    }

    task "t" {
      driver = "exec"

      config {
        command = "/bin/echo"
        args = [
          "${node.unique.name}",
          "${node.unique.id}-${var.suffix}",
          "${attr.unique.network.ip-address}",
          "${NOMAD_PORT_http}",
          "${env["HOME"]}",
          "${meta.rack}",
          "${ NOMAD_ALLOC_INDEX }",
          "literal $${var.suffix}",
        ]
      }

      env {
        ADDR = "${NOMAD_IP_http}:${NOMAD_PORT_http}"
        HOST = "${attr.unique.hostname}"
      }

      template {
        destination = "local/info.txt"
        data        = <<EOT
alloc ${NOMAD_ALLOC_ID} on ${node.unique.name} (${var.suffix})
EOT
      }
    }
  }
}
