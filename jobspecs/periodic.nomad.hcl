# A cron job: every 15 minutes the servers launch a child job
# "periodic/periodic-<time>". prohibit_overlap skips a launch while the
# previous child is still running.
job "periodic" {
  type        = "batch"
  datacenters = ["*"]

  periodic {
    crons            = ["*/15 * * * *"]
    prohibit_overlap = true
    time_zone        = "UTC"
  }

  group "report" {
    task "date" {
      driver = "exec"

      config {
        command = "/bin/date"
        args    = ["-u"]
      }

      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
