# Variables make one file serve many environments. Override them with
#   -var env=prod, -var-file prod.vars.hcl, or NOMAD_VAR_env=prod.
variable "env" {
  type        = string
  default     = "dev"
  description = "The environment this job runs in."

  validation {
    condition     = contains(["dev", "staging", "prod"], var.env)
    error_message = "The env must be dev, staging or prod."
  }
}

variable "instances" {
  type    = number
  default = 1
}

variable "ports" {
  type        = list(string)
  default     = ["http", "metrics"]
  description = "One dynamic port is reserved per label."
}

locals {
  job_name = "echo-${var.env}"
  # Production gets more memory; a conditional keeps it in one place.
  memory = var.env == "prod" ? 256 : 64
  labels = {
    env  = var.env
    team = "platform"
  }
}

job "variables" {
  name        = local.job_name
  type        = "service"
  datacenters = ["*"]
  meta        = local.labels

  group "echo" {
    count = var.instances

    network {
      # One port block per label in var.ports.
      dynamic "port" {
        for_each = var.ports
        labels   = [port.value]

        content {}
      }
    }

    task "server" {
      driver = "exec"

      config {
        command = "/bin/busybox"
        args    = ["httpd", "-f", "-p", "${NOMAD_PORT_http}", "-h", "local"]
      }

      env = {
        ENVIRONMENT = upper(var.env)
        PORTS       = join(",", [for p in var.ports : "${p}=$${NOMAD_PORT_${p}}"])
      }

      resources {
        cpu    = 100
        memory = local.memory
      }
    }
  }
}
