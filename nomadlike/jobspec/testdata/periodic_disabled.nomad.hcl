job "report" {
  type = "batch"

  periodic {
    cron    = "*/15 * * * *"
    enabled = false
  }

  group "report" {
    task "report" {
      driver = "exec"

      config {
        command = "/bin/date"
      }
    }
  }
}
