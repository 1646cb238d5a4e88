# The smallest useful job: every default comes from Canonicalize, and a
# group without count runs once.
job "minimal" {
  group "g" {
    task "t" {
      driver = "exec"

      config {
        command = "/bin/true"
      }
    }
  }
}
