# A batch pipeline in one allocation: a prestart task fetches the sources, the
# main task builds them with a rendered configuration, and a poststop task
# reports the result even when the build fails.
job "ci-pipeline" {
  type        = "batch"
  datacenters = ["*"]

  group "pipeline" {
    # Batch work should not loop forever on a broken commit.
    restart {
      attempts = 1
      delay    = "5s"
      mode     = "fail"
    }

    reschedule {
      attempts  = 0
      unlimited = false
    }

    ephemeral_disk {
      size = 500
    }

    task "checkout" {
      driver = "exec"

      lifecycle {
        hook = "prestart"
      }

      # Fetched into local/src before the task starts.
      artifact {
        source      = "https://github.com/hashicorp/go-hclog/archive/refs/tags/v1.6.3.tar.gz"
        destination = "local/src"
      }

      config {
        command = "/bin/busybox"
        args    = ["ls", "-R", "local/src"]
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }

    task "build" {
      driver = "exec"

      template {
        destination = "local/build.env"
        env         = true
        data        = <<-EOT
          BUILD_ID={{ env "NOMAD_ALLOC_ID" }}
          GOFLAGS=-mod=readonly
        EOT
      }

      config {
        command = "/bin/sh"
        args = ["-c", <<-EOT
          echo "build $BUILD_ID with GOFLAGS=$GOFLAGS"
          find ${NOMAD_ALLOC_DIR} -maxdepth 2 -type d
        EOT
        ]
      }

      resources {
        cpu    = 500
        memory = 256
      }
    }

    task "report" {
      driver = "exec"

      lifecycle {
        hook = "poststop"
      }

      config {
        command = "/bin/echo"
        args    = ["pipeline finished for", "${NOMAD_JOB_NAME}"]
      }

      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
