job "nightly" {
  type = "batch"

  periodic {
    crons            = ["0 3 * * *"]
    prohibit_overlap = true
    time_zone        = "Europe/Paris"
  }

  group "cleanup" {
    task "cleanup" {
      driver = "exec"

      config {
        command = "/bin/echo"
        args    = ["cleaning up at", "${NOMAD_ALLOC_ID}"]
      }
    }
  }
}
