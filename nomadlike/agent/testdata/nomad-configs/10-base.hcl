# A Nomad agent configuration, top level: every general setting and every
# top-level block except tls (the tls block has its own tests).
name       = "agent-1"
region     = "global"
datacenter = "dc1"
data_dir   = "/opt/nomad/data"
bind_addr  = "0.0.0.0"
plugin_dir = "/opt/nomad/plugins"

log_level            = "INFO"
log_json             = false
log_include_location = false
log_file             = "/var/log/nomad/"
log_rotate_bytes     = 10485760
log_rotate_duration  = "24h"
log_rotate_max_files = 5
enable_syslog        = false
syslog_facility      = "LOCAL0"

enable_debug                = false
disable_update_check        = true
disable_anonymous_signature = true
leave_on_interrupt          = true
leave_on_terminate          = true

http_api_response_headers {
  Access-Control-Allow-Origin = "*"
}

ports {
  http = 4646
  rpc  = 4647
  serf = 4648
}

addresses {
  http = "0.0.0.0"
  rpc  = "0.0.0.0"
  serf = "0.0.0.0"
}

advertise {
  http = "10.1.0.5"
  rpc  = "10.1.0.5:4647"
  serf = "10.1.0.5:4648"
}

limits {
  https_handshake_timeout   = "5s"
  http_max_conns_per_client = 100
  rpc_handshake_timeout     = "5s"
  rpc_max_conns_per_client  = 100
}

acl {
  enabled    = true
  token_ttl  = "30s"
  policy_ttl = "30s"
  role_ttl   = "30s"
}

telemetry {
  collection_interval        = "1s"
  disable_hostname           = true
  prometheus_metrics         = true
  publish_allocation_metrics = true
  publish_node_metrics       = true
}

consul {
  address = "127.0.0.1:8500"
  auto_advertise = true
  server_auto_join = true
  client_auto_join = true
}

vault {
  enabled = false
  address = "https://vault.service.consul:8200"
}

ui {
  enabled = true
  consul {
    ui_url = "https://consul.example.com:8500/ui"
  }
}

autopilot {
  cleanup_dead_servers      = true
  last_contact_threshold    = "200ms"
  max_trailing_logs         = 250
  server_stabilization_time = "10s"
}

audit {
  enabled = true
}

reporting {
  license {
    enabled = false
  }
}

sentinel {
  import "custom-plugin" {
    path = "/usr/bin/sentinel-custom-plugin"
  }
}

keyring "awskms" {
  active     = true
  region     = "us-east-1"
  kms_key_id = "alias/nomad"
}

plugin "raw_exec" {
  config {
    enabled = true
  }
}
