# A task run by the containerd driver from an image archive on the node, so
# it needs no registry. `make dev` builds the archive from busybox-static:
#
#   go run ./scripts/mkimage -o /var/lib/nomadlike/images/busybox.tar
#
# The archive lies in /var/lib/nomadlike/images, the plugin's default
# image_archive_dirs, so no host-path gate (volumes) has to be opened.
#
# The container shares the host's network, so httpd listens on the dynamic
# port the scheduler picked: curl http://127.0.0.1:<port>/ (see `alloc status`).
job "containerd" {
  type        = "service"
  datacenters = ["*"]

  group "web" {
    network {
      port "http" {}
    }

    service {
      port     = "http"
      provider = "nomad"

      check {
        type     = "tcp"
        interval = "10s"
        timeout  = "2s"
      }
    }

    task "httpd" {
      driver = "containerd"

      config {
        image         = "busybox:latest"
        image_archive = "/var/lib/nomadlike/images/busybox.tar"
        command       = "httpd"
        args          = ["-f", "-p", "${NOMAD_PORT_http}", "-h", "/local"]
        host_network  = true
      }

      template {
        destination = "local/index.html"
        data        = "hello from a container on {{ env \"NOMAD_ALLOC_ID\" }}\n"
      }

      resources {
        cpu        = 100
        memory     = 64
        memory_max = 128
      }
    }
  }
}
