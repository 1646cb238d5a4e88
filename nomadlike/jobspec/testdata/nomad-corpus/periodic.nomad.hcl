# A periodic sysbatch job and the checks Nomad does not make: a disk smaller
# than the logs may grow, an artifact fetched next to another task. Written
# for nomadlike's corpus test.
job "nightly" {
  type        = "sysbatch"
  datacenters = ["*"]

  periodic {
    crons            = ["30 2 * * *"]
    time_zone        = "Europe/Paris"
    prohibit_overlap = true
    enabled          = true
  }

  group "sweep" {
    ephemeral_disk {
      size = 10
    }

    task "sweep" {
      driver = "exec"

      config {
        command = "/bin/busybox"
        args    = ["find", "/tmp", "-mtime", "+7", "-delete"]
      }

      artifact {
        source      = "https://example.com/sweep.conf"
        destination = "../report/sweep.conf"
        mode        = "file"
      }

      artifact {
        source      = "git::https://example.com/tools.git"
        destination = "local/tools"

        options {
          ref   = "v1.2.0"
          depth = "1"
        }
      }

      artifact {
        source = "s3::https://s3.amazonaws.com/bucket/tool.zip"
      }

      logs {
        max_files     = 3
        max_file_size = 5
      }

      resources {
        cpu    = 50
        memory = 32
      }
    }

    task "report" {
      driver = "exec"

      lifecycle {
        hook = "poststop"
      }

      config {
        command = "/bin/busybox"
        args    = ["echo", "done"]
      }

      logs {
        disabled = true
      }

      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}
