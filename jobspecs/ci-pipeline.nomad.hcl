# A batch pipeline in one allocation: a prestart task fetches the sources, the
# main task builds and tests them with a rendered configuration, and a poststop
# task reports the result even when the build fails. Runs offline.
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

      # "Checks out" a tiny project and packs it into the shared alloc/data dir,
      # where the build task fetches it as an artifact.
      config {
        command = "/bin/sh"
        args = ["-c", <<-EOT
          set -e
          cd "$NOMAD_TASK_DIR"
          mkdir -p src
          cp /usr/share/common-licenses/Apache-2.0 src/LICENSE
          printf 'wc -l LICENSE\necho "all tests passed"\n' > src/run-tests.sh
          tar -czf "$NOMAD_ALLOC_DIR/data/src.tar.gz" src
          echo "checked out into $NOMAD_ALLOC_DIR/data/src.tar.gz"
        EOT
        ]
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }

    task "build" {
      driver = "exec"

      # Fetched and unpacked into local/ before the task starts. Artifacts come
      # from http(s) URLs (with options { checksum = "sha256:..." }) or from
      # paths inside the task's directory or the shared alloc directory, here
      # relative to the task directory. Host paths need the client setting
      # artifact { disable_filesystem_isolation = true }.
      artifact {
        source      = "../alloc/data/src.tar.gz"
        destination = "local/"
      }

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
          cd "$NOMAD_TASK_DIR/src" && sh run-tests.sh
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
