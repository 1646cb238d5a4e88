# A service job that uses every job, group and task block of Nomad's job
# specification outside service mesh. Written for nomadlike's corpus test.
locals {
  instance = uuidv5("dns", "shop.example.com")
}

job "shop" {
  region      = "global"
  namespace   = "default"
  name        = "shop"
  type        = "service"
  priority    = 60
  datacenters = ["dc1", "dc2"]
  node_pool   = "default"
  all_at_once = false

  vault_token  = ""
  consul_token = ""

  meta {
    owner    = "team-shop"
    instance = local.instance
  }

  constraint {
    attribute = "${attr.kernel.name}"
    operator  = "="
    value     = "linux"
  }

  constraint {
    distinct_hosts = true
  }

  affinity {
    attribute = "${node.datacenter}"
    value     = "dc1"
    weight    = 40
  }

  spread {
    attribute = "${node.datacenter}"
    weight    = 70

    target "dc1" {
      percent = 60
    }

    target "dc2" {
      percent = 40
    }
  }

  update {
    stagger           = "20s"
    max_parallel      = 2
    health_check      = "checks"
    min_healthy_time  = "15s"
    healthy_deadline  = "4m"
    progress_deadline = "8m"
    auto_revert       = true
    auto_promote      = false
    canary            = 1
  }

  migrate {
    max_parallel     = 1
    health_check     = "task_states"
    min_healthy_time = "10s"
    healthy_deadline = "5m"
  }

  reschedule {
    attempts       = 4
    interval       = "2h"
    delay          = "20s"
    delay_function = "fibonacci"
    max_delay      = "30m"
    unlimited      = false
  }

  ui {
    description = "The shop front end"

    link {
      label = "Runbook"
      url   = "https://wiki.example.com/shop"
    }
  }

  vault {
    role        = "shop"
    change_mode = "restart"
  }

  consul {
    namespace = "shop"
  }

  secret "db" {
    provider = "vault"
    path     = "secret/data/shop/db"

    config {
      engine = "kv_v2"
    }
  }

  group "front" {
    count                      = 2
    shutdown_delay             = "5s"
    max_client_disconnect      = "1h"
    stop_after_client_disconnect = "30m"
    prevent_reschedule_on_lost = false

    meta = {
      tier = "front"
    }

    constraint {
      attribute = "${meta.rack}"
      regexp    = "^r[0-9]+$"
    }

    constraint {
      attribute = "${attr.os.version}"
      version   = ">= 11"
    }

    constraint {
      attribute = "${attr.kernel.version}"
      semver    = ">= 5.10"
    }

    constraint {
      attribute    = "${meta.features}"
      set_contains = "ssd"
    }

    constraint {
      distinct_property = "${meta.rack}"
    }

    affinity {
      attribute = "${meta.zone}"
      set_contains_any = "a,b"
      weight    = -20
    }

    spread {
      attribute = "${meta.rack}"
    }

    restart {
      attempts         = 3
      interval         = "10m"
      delay            = "10s"
      mode             = "delay"
      render_templates = true
    }

    reschedule {
      attempts  = 0
      unlimited = true
      delay     = "5s"
    }

    update {
      max_parallel = 1
    }

    migrate {
      max_parallel = 2
    }

    ephemeral_disk {
      size    = 600
      sticky  = true
      migrate = true
    }

    disconnect {
      lost_after = "10m"
      replace    = true
      reconcile  = "best_score"
    }

    scaling {
      enabled = true
      min     = 1
      max     = 10

      policy {
        cooldown = "1m"
        check "cpu" {
          source = "nomad-apm"
          query  = "avg_cpu-allocated"
          strategy "target-value" {
            target = 70
          }
        }
      }
    }

    consul {
      cluster   = "default"
      partition = "shop"
    }

    vault {
      cluster = "default"
    }

    secret "api" {
      provider = "nomad"
      path     = "nomad/jobs/shop"
    }

    network {
      mode     = "host"
      hostname = "front"
      mbits    = 10

      port "http" {
        to = 8080
      }

      port "admin" {
        static           = 9090
        host_network     = "private"
        ignore_collision = false
      }

      dns {
        servers  = ["10.0.0.53"]
        searches = ["example.com"]
        options  = ["ndots:2"]
      }

      cni {
        args = {
          zone = "a"
        }
      }
    }

    volume "assets" {
      type      = "host"
      source    = "shop-assets"
      read_only = true
      sticky    = false
    }

    volume "db" {
      type            = "csi"
      source          = "shop-db"
      read_only       = false
      per_alloc       = true
      attachment_mode = "file-system"
      access_mode     = "single-node-writer"

      mount_options {
        fs_type     = "ext4"
        mount_flags = ["noatime"]
      }
    }

    service {
      name                = "shop-front"
      port                = "http"
      tags                = ["web", "v1"]
      canary_tags         = ["canary"]
      enable_tag_override = false
      address_mode        = "auto"
      provider            = "nomad"
      on_update           = "require_healthy"
      tagged_addresses = {
        lan = "10.0.0.1"
      }

      meta {
        version = "1"
      }

      canary_meta {
        canary = "yes"
      }

      weights {
        passing = 5
        warning = 1
      }

      check {
        name                     = "alive"
        type                     = "http"
        path                     = "/health"
        method                   = "GET"
        body                     = ""
        protocol                 = "http"
        interval                 = "10s"
        timeout                  = "2s"
        initial_status           = "passing"
        success_before_passing   = 2
        failures_before_critical = 3
        failures_before_warning  = 1
        tls_skip_verify          = true
        tls_server_name          = "shop.example.com"
        on_update                = "ignore"
        notes                    = "served by the front task"

        header {
          Accept = ["application/json"]
        }

        check_restart {
          limit           = 3
          grace           = "30s"
          ignore_warnings = true
        }
      }

      check {
        type         = "grpc"
        port         = "admin"
        grpc_service = "shop.Health"
        grpc_use_tls = false
        interval     = "15s"
        timeout      = "3s"
      }

      check_restart {
        limit = 2
      }

      identity {
        aud = ["consul.io"]
        ttl = "1h"
      }
    }

    task "web" {
      driver       = "exec"
      user         = "nobody"
      kill_timeout = "20s"
      kill_signal  = "SIGTERM"
      leader       = true
      shutdown_delay = "3s"
      kind         = ""

      config {
        command = "/bin/busybox"
        args    = ["httpd", "-f", "-p", "${NOMAD_PORT_http}"]
      }

      env {
        SHOP_MODE = "production"
      }

      meta = {
        role = "web"
      }

      constraint {
        attribute = "${driver.exec}"
        value     = "1"
      }

      affinity {
        attribute = "${node.class}"
        value     = "large"
      }

      resources {
        cpu        = 200
        cores      = 0
        memory     = 128
        memory_max = 256
        secrets    = 10

        device "nvidia/gpu" {
          count = 1

          constraint {
            attribute = "${device.attr.memory}"
            operator  = ">="
            value     = "2 GiB"
          }

          affinity {
            attribute = "${device.model}"
            value     = "Tesla"
          }
        }

        numa {
          affinity = "prefer"
          devices  = ["nvidia/gpu"]
        }
      }

      restart {
        attempts = 5
      }

      logs {
        max_files     = 4
        max_file_size = 20
        disabled      = false
      }

      artifact {
        source      = "https://example.com/assets.tar.gz"
        destination = "local/assets"
        mode        = "any"
        chown       = true

        options {
          checksum = "sha256:0d2b6e5c59a1b3a1dd6fbe2d1d4d9c5c8c6e0b4c3f9fd1a3f5a4d8e7c7b6a5f4"
        }

        headers {
          User-Agent = "nomadlike-corpus"
        }
      }

      artifact {
        source      = "https://example.com/motd.txt"
        destination = "../alloc/motd.txt"
        mode        = "file"
        headers = {
          Accept = "text/plain"
        }
      }

      template {
        data                 = "mode={{ env \"SHOP_MODE\" }}\n"
        destination          = "local/shop.env"
        env                  = true
        change_mode          = "signal"
        change_signal        = "SIGHUP"
        splay                = "2s"
        perms                = "0640"
        uid                  = 1000
        gid                  = 1000
        left_delimiter       = "{{"
        right_delimiter      = "}}"
        error_on_missing_key = true
        once                 = false

        wait {
          min = "2s"
          max = "10s"
        }
      }

      template {
        source      = "local/reload.tpl"
        destination = "local/reload.sh"
        change_mode = "script"

        change_script {
          command       = "/local/reload.sh"
          args          = ["-q"]
          timeout       = "5s"
          fail_on_error = true
        }
      }

      volume_mount {
        volume           = "assets"
        destination      = "/srv/assets"
        read_only        = true
        propagation_mode = "private"
        selinux_label    = "z"
      }

      service {
        name     = "shop-admin"
        port     = "admin"
        provider = "nomad"
      }

      identity {
        name        = "shop-api"
        aud         = ["shop"]
        env         = true
        file        = true
        change_mode = "signal"
        change_signal = "SIGHUP"
        filepath    = "secrets/shop.jwt"
      }

      vault {
        role          = "shop-web"
        env           = true
        disable_file  = false
        namespace     = "shop"
        change_signal = "SIGUSR1"
        allow_token_expiration = false
      }

      consul {
        namespace = "shop"
      }

      secret "tls" {
        provider = "custom-plugin"
        path     = "tls/shop"
        env = {
          STORE = "local"
        }
      }

      action "flush-cache" {
        command = "/bin/busybox"
        args    = ["rm", "-rf", "/local/cache"]
      }

      scaling "cpu" {
        enabled = false
        min     = 100
        max     = 400

        policy {
          evaluation_interval = "5m"
        }
      }

      schedule {
        cron {
          start    = "0 8 * * mon-fri"
          end      = "0 18"
          timezone = "Europe/Berlin"
        }
      }
    }

    task "warmup" {
      driver = "raw_exec"

      lifecycle {
        hook    = "prestart"
        sidecar = false
      }

      config {
        command = "/bin/true"
      }

      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
