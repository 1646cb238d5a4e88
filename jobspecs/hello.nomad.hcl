# The first job to run: a batch job that prints a greeting and exits.
#
#   nomadlike job run jobspecs/hello.nomad.hcl
#   nomadlike job status hello
#   nomadlike alloc logs <alloc-id>
job "hello" {
  type        = "batch"
  datacenters = ["*"]

  group "hello" {
    count = 1

    task "echo" {
      driver = "exec"

      config {
        command = "/bin/echo"
        args    = ["hello from", "${node.unique.name}", "allocation", "${NOMAD_ALLOC_INDEX}"]
      }

      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
