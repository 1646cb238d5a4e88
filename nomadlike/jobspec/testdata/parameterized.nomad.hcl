job "transcode" {
  type = "batch"

  parameterized {
    payload       = "required"
    meta_required = ["input"]
    meta_optional = ["profile"]
  }

  group "transcode" {
    task "ffmpeg" {
      driver = "exec"

      dispatch_payload {
        file = "input.json"
      }

      config {
        command = "/bin/cat"
        args    = ["local/input.json", "${NOMAD_META_input}"]
      }
    }
  }
}
