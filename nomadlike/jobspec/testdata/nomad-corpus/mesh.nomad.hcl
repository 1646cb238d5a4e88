# Service mesh, gateways, multiregion and a CSI plugin: the parts of Nomad's
# job specification that need Consul, several regions or CSI. Written for
# nomadlike's corpus test.
job "mesh" {
  type        = "service"
  datacenters = ["*"]

  multiregion {
    strategy {
      max_parallel = 1
      on_failure   = "fail_all"
    }

    region "west" {
      count       = 2
      datacenters = ["west-1"]
      node_pool   = "default"
      meta = {
        cloud = "a"
      }
    }

    region "east" {
      count = 1

      meta {
        cloud = "b"
      }
    }
  }

  group "api" {
    network {
      mode = "bridge"

      port "http" {
        to = 9001
      }
    }

    service {
      name = "api"
      port = "9001"
      kind = "connect-proxy:api"
      cluster = "default"

      connect {
        native = false

        sidecar_service {
          port                      = "http"
          tags                      = ["mesh"]
          disable_default_tcp_check = true
          meta = {
            proxy = "envoy"
          }

          proxy {
            local_service_address = "127.0.0.1"
            local_service_port    = 9001
            config = {
              protocol = "http"
            }

            upstreams {
              destination_name      = "db"
              destination_namespace = "default"
              destination_peer      = ""
              destination_partition = ""
              destination_type      = "service"
              local_bind_port       = 5432
              local_bind_address    = "127.0.0.1"
              datacenter            = "dc1"

              mesh_gateway {
                mode = "local"
              }

              config {
                connect_timeout_ms = 500
              }
            }

            upstreams {
              destination_name       = "cache"
              local_bind_socket_path = "/tmp/cache.sock"
              local_bind_socket_mode = "0755"
            }

            expose {
              path {
                path            = "/health"
                protocol        = "http"
                local_path_port = 9001
                listener_port   = "http"
              }
            }

            transparent_proxy {
              exclude_inbound_ports  = ["9002"]
              exclude_outbound_cidrs = ["10.0.0.0/8"]
              exclude_outbound_ports = [53]
              exclude_uids           = ["0"]
              no_dns                 = false
              outbound_port          = 15001
              uid                    = "101"
            }
          }
        }

        sidecar_task {
          name           = "proxy"
          driver         = "exec"
          user           = "nobody"
          kill_timeout   = "5s"
          kill_signal    = "SIGTERM"
          shutdown_delay = "1s"

          config {
            command = "/usr/bin/envoy"
          }

          env {
            LOG_LEVEL = "info"
          }

          meta = {
            sidecar = "yes"
          }

          logs {
            max_files     = 2
            max_file_size = 5
            disabled      = false
          }

          resources {
            cpu        = 100
            memory     = 64
            memory_max = 128
          }

          identity {
            aud = ["consul.io"]
          }
        }
      }

      check {
        type     = "http"
        path     = "/health"
        expose   = true
        interval = "10s"
        timeout  = "2s"
        header = {
          X-Probe = ["nomad"]
        }
      }
    }

    task "api" {
      driver = "exec"

      config {
        command = "/bin/busybox"
        args    = ["httpd", "-f", "-p", "9001"]
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }

  group "ingress" {
    network {
      mode = "bridge"

      port "inbound" {
        static = 8080
      }
    }

    service {
      name = "ingress"
      port = "8080"

      connect {
        gateway {
          proxy {
            connect_timeout                     = "5s"
            envoy_gateway_bind_tagged_addresses = false
            envoy_gateway_no_default_bind       = true
            envoy_dns_discovery_type            = "LOGICAL_DNS"

            envoy_gateway_bind_addresses "default" {
              address = "0.0.0.0"
              port    = 8080
            }

            config {
              max_connections = 100
            }
          }

          ingress {
            tls {
              enabled         = true
              tls_min_version = "TLSv1_2"
              tls_max_version = "TLSv1_3"
              cipher_suites   = ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"]
            }

            listener {
              port     = 8080
              protocol = "http"

              service {
                name  = "api"
                hosts = ["api.example.com"]
              }
            }
          }
        }
      }
    }

    task "placeholder" {
      driver = "exec"

      config {
        command = "/bin/busybox"
        args    = ["sleep", "3600"]
      }

      resources {
        cpu    = 50
        memory = 16
      }
    }
  }

  group "egress" {
    service {
      name = "egress"

      connect {
        gateway {
          terminating {
            service {
              name      = "billing"
              ca_file   = "/etc/ssl/ca.pem"
              cert_file = "/etc/ssl/cert.pem"
              key_file  = "/etc/ssl/key.pem"
              sni       = "billing.example.com"
            }
          }
        }
      }
    }

    service {
      name = "mesh-gateway"

      connect {
        gateway {
          mesh {}
        }
      }
    }

    task "plugin" {
      driver = "raw_exec"

      config {
        command = "/usr/local/bin/csi-driver"
      }

      csi_plugin {
        id                     = "ebs"
        type                   = "monolith"
        mount_dir              = "/csi"
        stage_publish_base_dir = "/local/csi"
        health_timeout         = "30s"
      }

      resources {
        cpu    = 50
        memory = 32

        network {
          port "metrics" {}
        }
      }
    }
  }
}
