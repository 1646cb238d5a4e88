# A service job using most group and task blocks.
job "web" {
  name        = "web-frontend"
  region      = "eu"
  namespace   = "prod"
  datacenters = ["dc1", "dc2"]
  node_pool   = "linux"
  type        = "service"
  priority    = 70
  all_at_once = false

  meta = {
    owner = "team-web"
    tier  = 1
  }

  constraint {
    attribute = "${attr.kernel.name}"
    value     = "linux"
  }

  constraint {
    attribute = "${attr.kernel.version}"
    operator  = ">="
    value     = "5.10"
  }

  constraint {
    attribute = "${attr.nomad.version}"
    version   = ">= 0.1.0"
  }

  affinity {
    attribute = "${node.datacenter}"
    value     = "dc1"
    weight    = 80
  }

  spread {
    attribute = "${node.datacenter}"
    weight    = 60

    target "dc1" {
      percent = 70
    }

    target "dc2" {
      percent = 30
    }
  }

  update {
    max_parallel      = 2
    min_healthy_time  = "15s"
    healthy_deadline  = "3m"
    progress_deadline = "20m"
    auto_revert       = true
    canary            = 1
    health_check      = "checks"
    stagger           = "45s"
  }

  reschedule {
    delay          = "10s"
    delay_function = "fibonacci"
    max_delay      = "5m"
    unlimited      = true
  }

  group "frontend" {
    count          = 3
    shutdown_delay = "6s"

    meta {
      role = "frontend"
    }

    constraint {
      distinct_hosts = true
    }

    constraint {
      distinct_property = "${meta.rack}"
      value             = "2"
    }

    constraint {
      attribute = "${meta.zone}"
      regexp    = "^eu-.*$"
    }

    affinity {
      attribute = "${meta.ssd}"
      value     = "true"
      weight    = -30
    }

    restart {
      attempts = 5
      interval = "10m"
      delay    = "20s"
      mode     = "delay"
    }

    reschedule {
      attempts  = 0
      unlimited = true
    }

    update {
      canary       = 2
      auto_promote = true
    }

    ephemeral_disk {
      size    = 500
      sticky  = true
      migrate = true
    }

    network {
      mode     = "host"
      hostname = "web-${NOMAD_ALLOC_INDEX}"

      port "http" {
        to = 8080
      }

      port "admin" {
        static       = 9090
        host_network = "private"
      }
    }

    volume "certs" {
      type      = "host"
      source    = "tls-certs"
      read_only = true
    }

    service {
      name        = "web"
      port        = "http"
      tags        = ["frontend", "v1"]
      canary_tags = ["canary"]
      provider    = "nomad"
      task        = "server"

      meta {
        version = "1"
      }

      check {
        name     = "alive"
        type     = "http"
        path     = "/health"
        method   = "GET"
        interval = "10s"
        timeout  = "2s"
        port     = "http"

        header {
          Authorization = ["Bearer xyz"]
          X-Probe       = ["a", "b"]
        }
      }

      check {
        type     = "tcp"
        port     = "admin"
        interval = "30s"
        timeout  = "5s"
      }
    }

    task "server" {
      driver         = "exec"
      user           = "nobody"
      leader         = true
      kill_timeout   = "20s"
      kill_signal    = "SIGTERM"
      shutdown_delay = "3s"

      config {
        command = "/bin/busybox"
        args    = ["httpd", "-f", "-p", "${NOMAD_PORT_http}"]
      }

      env = {
        PORT     = "${NOMAD_PORT_http}"
        LOGLEVEL = "info"
      }

      meta = {
        build = "42"
      }

      resources {
        cpu        = 500
        memory     = 256
        memory_max = 512
        disk       = 100
      }

      logs {
        max_files     = 3
        max_file_size = 20
      }

      volume_mount {
        volume           = "certs"
        destination      = "/etc/tls"
        read_only        = true
        propagation_mode = "private"
      }

      restart {
        attempts = 1
      }

      affinity {
        attribute = "${attr.cpu.arch}"
        value     = "amd64"
      }

      constraint {
        attribute = "${attr.os.name}"
        operator  = "set_contains_any"
        value     = "debian,ubuntu"
      }

      service {
        port = "admin"

        check {
          type     = "script"
          command  = "/bin/true"
          args     = ["-v"]
          interval = "1m"
          timeout  = "10s"
        }
      }
    }

    task "log-shipper" {
      driver = "exec"

      lifecycle {
        hook    = "poststart"
        sidecar = true
      }

      config {
        command = "/bin/sh"
        args    = ["-c", "tail -F ${NOMAD_ALLOC_DIR}/logs/server.stdout.0"]
      }

      resources {
        cores  = 1
        memory = 64
      }
    }
  }
}
