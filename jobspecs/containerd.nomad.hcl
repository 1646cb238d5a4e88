# A task run by the containerd driver from an image archive on the node, so
# it needs no registry. Create the archive once with:
#
#   ctr image pull docker.io/library/busybox:latest
#   ctr image export /var/lib/nomadlike/images/busybox.tar docker.io/library/busybox:latest
job "containerd" {
  type        = "service"
  datacenters = ["*"]

  group "web" {
    network {
      port "http" {
        to = 8080
      }
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
        args          = ["-f", "-p", "8080", "-h", "/local"]
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
