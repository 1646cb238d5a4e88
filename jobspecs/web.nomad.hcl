# A long-running web server: two copies of busybox httpd, each on a port the
# scheduler picks, registered as a service with an HTTP health check.
job "web" {
  type        = "service"
  datacenters = ["*"]

  update {
    max_parallel     = 1
    min_healthy_time = "5s"
    healthy_deadline = "1m"
    auto_revert      = true
  }

  group "web" {
    count = 2

    network {
      port "http" {}
    }

    service {
      name     = "web"
      port     = "http"
      provider = "nomad"
      tags     = ["http"]

      check {
        name     = "index"
        type     = "http"
        path     = "/"
        interval = "10s"
        timeout  = "2s"
      }
    }

    task "httpd" {
      driver = "exec"

      config {
        command = "/bin/busybox"
        args    = ["httpd", "-f", "-v", "-p", "${NOMAD_PORT_http}", "-h", "local/www"]
      }

      template {
        destination = "local/www/index.html"
        data        = <<-EOT
          <html><body>
          <h1>nomadlike web example</h1>
          <p>allocation {{ env "NOMAD_ALLOC_INDEX" }} listening on port {{ env "NOMAD_PORT_http" }}</p>
          </body></html>
        EOT
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
