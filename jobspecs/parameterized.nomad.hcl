# A parameterized job is a template: it runs only when dispatched, with a
# payload and metadata.
#
#   echo '{"name": "world"}' | nomadlike job dispatch -meta greeting=hi parameterized -
job "parameterized" {
  type        = "batch"
  datacenters = ["*"]

  parameterized {
    payload       = "required"
    meta_required = ["greeting"]
    meta_optional = ["repeat"]
  }

  group "greet" {
    task "greet" {
      driver = "exec"

      # The dispatch payload is written to local/input.json.
      dispatch_payload {
        file = "input.json"
      }

      config {
        command = "/bin/sh"
        args    = ["-c", "echo \"$NOMAD_META_greeting\"; cat local/input.json"]
      }

      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
