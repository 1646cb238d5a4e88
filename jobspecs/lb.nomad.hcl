# A load balancer in front of the web job (web.nomad.hcl): haproxy from
# Debian's packages (apt-get install haproxy) under raw_exec, listening on
# a static port. Its backend is rendered from the catalog's instances of
# service "web"; when an instance comes or goes the template re-renders and
# restarts haproxy with the new config (a restart takes a few milliseconds
# and needs no reload protocol). haproxy checks each server itself too, so
# an instance whose check fails stops getting requests at once.
#
#   nomadlike job run jobspecs/web.nomad.hcl
#   nomadlike job run jobspecs/lb.nomad.hcl          # -var port=9090 for another port
#   curl http://127.0.0.1:8080/
#
# raw_exec must be enabled on the client: plugin "raw_exec" { config { enabled = true } }.
variable "port" {
  type    = number
  default = 8080
}

job "lb" {
  type        = "service"
  datacenters = ["*"]

  group "lb" {
    network {
      port "http" {
        static = var.port
      }
    }

    task "haproxy" {
      driver = "raw_exec"

      config {
        command = "/usr/sbin/haproxy"
        args    = ["-db", "-f", "local/haproxy.cfg"]
      }

      template {
        destination = "local/haproxy.cfg"
        change_mode = "restart"
        data        = <<-EOT
          global
            maxconn 1024

          defaults
            mode http
            timeout connect 2s
            timeout client  30s
            timeout server  30s

          frontend http
            bind *:{{ env "NOMAD_PORT_http" }}
            default_backend web

          backend web
            balance roundrobin
          {{- range nomadService "web" }}
            server {{ .Address }}:{{ .Port }} {{ .Address }}:{{ .Port }} check inter 2s
          {{- end }}
        EOT
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
