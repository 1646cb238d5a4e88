# The client block: every Nomad client setting. servers names the servers'
# RPC port, as Nomad's clients do.
client {
  enabled    = true
  servers    = ["10.1.0.5:4647", "10.1.0.6"]
  node_class = "linux-64bit"
  node_pool  = "batch-pool"

  state_dir        = "/opt/nomad/data/client"
  alloc_dir        = "/opt/nomad/data/alloc"
  alloc_mounts_dir = "/opt/nomad/alloc_mounts"
  host_volumes_dir = "/opt/nomad/volumes"
  common_plugin_dir = "/opt/nomad/common"

  network_interface        = "eth0"
  network_speed            = 1000
  preferred_address_family = "ipv4"
  cpu_total_compute        = 4000
  memory_total_mb          = 8192
  disk_total_mb            = 100000
  disk_free_mb             = 80000
  reservable_cores         = "0-3"
  client_min_port          = 14000
  client_max_port          = 14512
  cpu_disable_dmidecode    = true
  min_dynamic_port         = 20000
  max_dynamic_port         = 32000
  max_kill_timeout         = "30s"
  disable_remote_exec      = false
  no_host_uuid             = true
  cgroup_parent            = "nomad.slice"
  nomad_service_discovery  = true
  intro_token              = "not-a-real-token"

  cni_path                    = "/opt/cni/bin"
  cni_config_dir              = "/opt/cni/config"
  bridge_network_name         = "nomad"
  bridge_network_subnet       = "172.26.64.0/20"
  bridge_network_subnet_ipv6  = "fd00:a110:c8::/80"
  bridge_network_hairpin_mode = false
  bind_wildcard_default_host_network = true

  gc_interval              = "1m"
  gc_disk_usage_threshold  = 80
  gc_inode_usage_threshold = 70
  gc_max_allocs            = 50
  gc_parallel_destroys     = 2
  gc_volumes_on_node_gc    = false

  chroot_env = {
    "/bin"      = "/bin"
    "/etc"      = "/etc"
  }

  meta {
    rack = "r1"
  }

  options = {
    "driver.allowlist" = "exec,raw_exec"
  }

  reserved {
    cpu            = 500
    cores          = "0"
    memory         = 512
    disk           = 1024
    reserved_ports = "22,80,8500-8600"
  }

  artifact {
    http_read_timeout = "30m"
    http_max_size     = "100GB"
    git_timeout       = "30m"
  }

  template {
    function_denylist    = ["plugin"]
    disable_file_sandbox = false
  }

  host_volume "mysql" {
    path      = "/tmp"
    read_only = false
  }

  host_network "public" {
    cidr           = "203.0.113.0/24"
    reserved_ports = "22"
  }

  drain_on_shutdown {
    deadline           = "1m"
    force              = true
    ignore_system_jobs = true
  }

  users {
    dynamic_user_min = 80000
    dynamic_user_max = 89999
  }

  server_join {
    retry_join     = ["10.1.0.7:4647"]
    start_join     = ["10.1.0.7:4648"]
    retry_max      = 0
    retry_interval = "15s"
  }
}
