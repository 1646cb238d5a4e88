# A parameterized batch job with a dispatch payload, a poststart sidecar and
# dynamic blocks. Written for nomadlike's corpus test.
variable "steps" {
  type    = list(string)
  default = ["fetch", "build"]
}

job "render" {
  type        = "batch"
  datacenters = ["*"]

  parameterized {
    payload       = "required"
    meta_required = ["format"]
    meta_optional = ["pages"]
  }

  group "render" {
    restart {
      attempts = 1
      mode     = "fail"
    }

    dynamic "task" {
      for_each = var.steps
      labels   = [task.value]

      content {
        driver = "raw_exec"

        config {
          command = "/bin/echo"
          args    = [task.value, sha256(task.value)]
        }

        dispatch_payload {
          file = "input/${task.value}.json"
        }

        resources {
          cpu    = 50
          memory = 16
        }
      }
    }

    task "watch" {
      driver = "raw_exec"

      lifecycle {
        hook    = "poststart"
        sidecar = true
      }

      config {
        command = "/bin/sleep"
        args    = ["60"]
      }

      resources {
        cpu    = 10
        memory = 10
      }
    }
  }
}
