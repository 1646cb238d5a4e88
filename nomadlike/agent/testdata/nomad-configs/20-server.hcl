# The server block: every Nomad server setting.
server {
  enabled          = true
  bootstrap_expect = 3
  data_dir         = "/opt/nomad/data/server"
  num_schedulers   = 2
  enabled_schedulers = ["service", "batch", "system", "sysbatch", "_core"]
  encrypt          = "cg8StVXbQJ0gPvMd9o7yrg=="

  authoritative_region = "global"
  redundancy_zone      = "zone1"
  upgrade_version      = "1.0.0"
  non_voting_server    = false
  license_path         = "/etc/nomad.d/license.hclic"

  raft_protocol           = 3
  protocol_version        = 3
  enable_event_broker     = true
  raft_multiplier         = 1
  raft_snapshot_threshold = 8192
  raft_snapshot_interval  = "2m"
  raft_trailing_logs      = 10240
  raft_boltdb {
    no_freelist_sync = false
  }
  raft_logstore {
    backend = "wal"
  }

  heartbeat_grace           = "10s"
  min_heartbeat_ttl         = "10s"
  failover_heartbeat_ttl    = "5m"
  max_heartbeats_per_second = 50.0

  job_gc_interval               = "5m"
  job_gc_threshold              = "4h"
  eval_gc_threshold             = "1h"
  batch_eval_gc_threshold       = "24h"
  node_gc_threshold             = "24h"
  deployment_gc_threshold       = "1h"
  csi_volume_claim_gc_interval  = "5m"
  csi_volume_claim_gc_threshold = "1h"
  csi_plugin_gc_threshold       = "1h"
  acl_token_gc_threshold        = "1h"
  root_key_gc_interval          = "10m"
  root_key_gc_threshold         = "1h"
  root_key_rotation_threshold   = "720h"

  event_buffer_size           = 100
  job_max_priority            = 100
  job_default_priority        = 50
  job_max_source_size         = "1M"
  job_tracked_versions        = 6
  deploy_query_rate_limit = 100
  oidc_issuer                 = "https://nomad.example.com"
  rejoin_after_leave          = false
  start_join                  = ["10.1.0.6:4648"]

  server_join {
    retry_join     = ["10.1.0.6:4647", "10.1.0.7"]
    retry_max      = 3
    retry_interval = "15s"
    start_join     = ["10.1.0.6:4648"]
  }

  default_scheduler_config {
    scheduler_algorithm = "spread"
    memory_oversubscription_enabled = true
    preemption_config {
      batch_scheduler_enabled   = true
      system_scheduler_enabled  = true
      service_scheduler_enabled = true
    }
  }

  plan_rejection_tracker {
    enabled        = true
    node_threshold = 100
    node_window    = "31m"
  }

  client_introduction {
    enforcement = "warn"
  }

  search {
    fuzzy_enabled   = true
    limit_query     = 20
    limit_results   = 100
    min_term_length = 2
  }
}
