job "node-exporter" {
  type = "system"

  group "exporter" {
    network {
      port "metrics" {
        static = 9100
      }
    }

    service {
      port = "metrics"
    }

    task "exporter" {
      driver = "raw_exec"

      config {
        command = "/usr/local/bin/node_exporter"
      }

      resources {
        network {
          port "pprof" {}
        }
      }
    }
  }
}
