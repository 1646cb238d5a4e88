# Variables, locals, functions, for expressions, dynamic blocks and heredocs.
# The golden test sets NOMADLIKE_VAR_env_name=from-env and applies
# variables.vars.hcl as a -var-file.

variable "datacenters" {
  type        = list(string)
  default     = ["dc1"]
  description = "Where the job may run."
}

variable "count" {
  type    = number
  default = 2

  validation {
    condition     = var.count > 0 && var.count <= 10
    error_message = "The count must be between 1 and 10."
  }
}

variable "env_name" {
  type    = string
  default = "default-env"
}

variable "ports" {
  type = map(number)
  default = {
    http = 8080
    grpc = 0
  }
}

variable "image" {
  default = "overridden by the var file"
}

variables {
  team = "platform"
}

locals {
  name     = "${var.team}-${lower(var.env_name)}"
  labels   = merge({ team = var.team }, { env = var.env_name })
  upper    = upper(local.name)
  settings = jsondecode(file("settings.json"))
  sizes    = [for s in [1, 2, 3] : s * 128]
}

job "vars" {
  datacenters = var.datacenters
  meta        = local.labels

  group "app" {
    count = var.count

    network {
      dynamic "port" {
        for_each = var.ports
        labels   = [port.key]

        content {
          to = port.value
        }
      }
    }

    dynamic "task" {
      for_each = ["alpha", "beta"]
      iterator = name
      labels   = [name.value]

      content {
        driver = "exec"

        config {
          command = "/bin/echo"
          args = [
            name.value,
            "task ${name.key} of ${length(var.ports)}",
            "on ${node.unique.name}",
          ]

          dynamic "mount" {
            for_each = range(2)

            content {
              index  = mount.value
              target = "/mnt/${name.value}/${mount.value}"
            }
          }
        }

        env = {
          NAME      = local.name
          UPPER     = local.upper
          FORMATTED = format("%s-%03d", var.team, 7)
          JOINED    = join(",", concat(["a"], ["b", "c"]))
          SPLIT     = length(split(",", "x,y,z"))
          LOOKUP    = lookup(local.settings, "level", "none")
          REPLACED  = replace("a-b-c", "-", "_")
          TRIMMED   = trimspace("  padded  ")
          JSON      = jsonencode({ a = 1 })
          COALESCE  = coalesce(null, "fallback")
          MIN_MAX   = "${min(3, 1, 2)}/${max(3, 1, 2)}"
          IMAGE     = var.image
          SIZES     = join(" ", local.sizes)
          KEYS      = join(",", [for k, v in local.labels : "${k}=${v}"])
          COND      = var.count > 1 ? "many" : "one"
        }

        resources {
          memory = local.sizes[1]
        }
      }
    }

    task "motd" {
      driver = "exec"

      config {
        command = "/bin/sh"
        args    = ["-c", local.motd_script]
      }
    }
  }
}

locals {
  motd_script = <<EOT
echo "welcome to ${local.name}"
echo "running on ${attr.unique.hostname}"
%{for dc in var.datacenters~}
echo "dc: ${dc}"
%{endfor~}
EOT
}
