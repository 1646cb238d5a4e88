# A batch job with lifecycle hooks, artifacts and templates.
job "build" {
  type        = "batch"
  datacenters = ["dc1"]

  group "pipeline" {
    task "fetch" {
      driver = "exec"

      lifecycle {
        hook = "prestart"
      }

      artifact {
        source      = "https://example.com/src.tar.gz"
        destination = "local/src"
        mode        = "dir"

        options {
          checksum = "sha256:abcd"
        }

        headers = {
          User-Agent = "nomadlike"
        }
      }

      config {
        command = "/bin/ls"
        args    = ["local/src"]
      }
    }

    task "build" {
      driver = "exec"

      template {
        destination     = "local/build.env"
        env             = true
        change_mode     = "signal"
        change_signal   = "SIGHUP"
        perms           = "0600"
        splay           = "1s"
        left_delimiter  = "[["
        right_delimiter = "]]"
        data            = <<-EOT
          JOB=[[ env "NOMAD_JOB_NAME" ]]
          ALLOC=${NOMAD_ALLOC_ID}
        EOT
      }

      template {
        source      = "local/src/config.tpl"
        destination = "local/config.json"
        change_mode = "noop"
      }

      artifact {
        source = "https://example.com/tool"
        mode   = "file"
      }

      config {
        command = "/bin/sh"
        args = ["-c", <<-EOT
          set -e
          . local/build.env
          echo building $JOB
        EOT
        ]
      }

      resources {
        cpu    = 1000
        memory = 512
      }
    }

    task "report" {
      driver = "exec"

      lifecycle {
        hook = "poststop"
      }

      config {
        command = "/bin/echo"
        args    = ["done"]
      }
    }
  }
}
