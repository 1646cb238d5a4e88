package jobspec

// The blocks of Nomad's job specification that nomadlike keeps no struct
// for. Their bodies are checked (unknown names and wrong types are errors,
// as everywhere) and dropped; the block itself draws the warning named in
// noEffect.

var consulSpec = blockSpec{name: "consul",
	extra: []typedAttr{strAttr("cluster"), strAttr("namespace"), strAttr("partition")},
}.build()

var vaultSpec = blockSpec{name: "vault",
	extra: []typedAttr{
		strAttr("cluster"), strAttr("change_mode"), strAttr("change_signal"), boolAttr("env"),
		boolAttr("disable_file"), strAttr("namespace"), strAttr("role"), listAttr("policies"),
		boolAttr("allow_token_expiration"),
	},
}.build()

var identitySpec = blockSpec{name: "identity",
	extra: []typedAttr{
		strAttr("name"), listAttr("aud"), boolAttr("env"), boolAttr("file"), strAttr("change_mode"),
		strAttr("change_signal"), strAttr("filepath"), durAttr("ttl"),
	},
}.build()

var csiPluginSpec = blockSpec{name: "csi_plugin",
	extra: []typedAttr{
		strAttr("id"), strAttr("type"), strAttr("mount_dir"), strAttr("stage_publish_base_dir"),
		durAttr("health_timeout"),
	},
}.build()

var disconnectSpec = blockSpec{name: "disconnect",
	extra: []typedAttr{durAttr("lost_after"), boolAttr("replace"), strAttr("reconcile"), durAttr("stop_on_client_after")},
}.build()

var actionSpec = blockSpec{name: "action",
	extra: []typedAttr{strAttr("command"), listAttr("args")},
}.build()

var scheduleSpec = blockSpec{name: "schedule",
	drop: []dropBlock{drop("cron", &scheduleCronSpec)},
}.build()

var scheduleCronSpec = blockSpec{name: "schedule.cron",
	extra: []typedAttr{strAttr("start"), strAttr("end"), strAttr("timezone")},
}.build()

var uiSpec = blockSpec{name: "ui",
	extra: []typedAttr{strAttr("description")},
	drop:  []dropBlock{drop("link", &uiLinkSpec)},
}.build()

var uiLinkSpec = blockSpec{name: "ui.link",
	extra: []typedAttr{strAttr("label"), strAttr("url")},
}.build()

var multiregionSpec = blockSpec{name: "multiregion",
	drop: []dropBlock{drop("strategy", &multiregionStrategySpec), drop("region", &multiregionRegionSpec, "name")},
}.build()

var multiregionStrategySpec = blockSpec{name: "multiregion.strategy",
	extra: []typedAttr{numAttr("max_parallel"), strAttr("on_failure")},
}.build()

var multiregionRegionSpec = blockSpec{name: "multiregion.region",
	extra: []typedAttr{numAttr("count"), listAttr("datacenters"), strAttr("node_pool"), mapAttr("meta")},
	drop:  []dropBlock{drop("meta", mapBody)},
}.build()

var changeScriptSpec = blockSpec{name: "change_script",
	fields: []field{{"command", "Command"}, {"args", "Args"}, {"timeout", "Timeout"}, {"fail_on_error", "FailOnError"}},
}.build()

var templateWaitSpec = blockSpec{name: "wait",
	fields: []field{{"min", "Min"}, {"max", "Max"}},
}.build()

var mountOptionsSpec = blockSpec{name: "mount_options",
	extra: []typedAttr{strAttr("fs_type"), listAttr("mount_flags")},
}.build()

var deviceSpec = blockSpec{name: "device",
	extra: []typedAttr{numAttr("count")},
	drop:  []dropBlock{drop("constraint", &constraintSpec), drop("affinity", &affinitySpec)},
}.build()

var numaSpec = blockSpec{name: "numa",
	extra: []typedAttr{strAttr("affinity"), listAttr("devices")},
}.build()

var checkRestartSpec = blockSpec{name: "check_restart",
	fields: []field{{"limit", "Limit"}, {"grace", "Grace"}, {"ignore_warnings", "IgnoreWarnings"}},
}.build()

var weightsSpec = blockSpec{name: "weights",
	extra: []typedAttr{numAttr("passing"), numAttr("warning")},
}.build()

var connectSpec = blockSpec{name: "connect",
	extra: []typedAttr{boolAttr("native")},
	drop: []dropBlock{
		drop("sidecar_service", &sidecarServiceSpec), drop("sidecar_task", &sidecarTaskSpec),
		drop("gateway", &gatewaySpec),
	},
}.build()

var sidecarServiceSpec = blockSpec{name: "sidecar_service",
	extra: []typedAttr{strAttr("port"), listAttr("tags"), boolAttr("disable_default_tcp_check"), mapAttr("meta")},
	drop:  []dropBlock{drop("proxy", &proxySpec), drop("meta", mapBody)},
}.build()

var proxySpec = blockSpec{name: "proxy",
	extra: []typedAttr{strAttr("local_service_address"), numAttr("local_service_port"), anyAttr("config")},
	drop: []dropBlock{
		drop("upstreams", &upstreamsSpec), drop("expose", &exposeSpec),
		drop("transparent_proxy", &transparentProxySpec), drop("config", anyBody),
	},
}.build()

var upstreamsSpec = blockSpec{name: "upstreams",
	extra: []typedAttr{
		strAttr("destination_name"), strAttr("destination_namespace"), strAttr("destination_peer"),
		strAttr("destination_partition"), strAttr("destination_type"), numAttr("local_bind_port"),
		strAttr("local_bind_address"), strAttr("local_bind_socket_path"), strAttr("local_bind_socket_mode"),
		strAttr("datacenter"), anyAttr("config"),
	},
	drop: []dropBlock{drop("mesh_gateway", &meshGatewaySpec), drop("config", anyBody)},
}.build()

var meshGatewaySpec = blockSpec{name: "mesh_gateway",
	extra: []typedAttr{strAttr("mode")},
}.build()

var exposeSpec = blockSpec{name: "expose",
	drop: []dropBlock{drop("path", &exposePathSpec)},
}.build()

var exposePathSpec = blockSpec{name: "expose.path",
	extra: []typedAttr{strAttr("path"), strAttr("protocol"), numAttr("local_path_port"), strAttr("listener_port")},
}.build()

var transparentProxySpec = blockSpec{name: "transparent_proxy",
	extra: []typedAttr{
		listAttr("exclude_inbound_ports"), listAttr("exclude_outbound_cidrs"), numsAttr("exclude_outbound_ports"),
		listAttr("exclude_uids"), boolAttr("no_dns"), numAttr("outbound_port"), strAttr("uid"),
	},
}.build()

var sidecarTaskSpec = blockSpec{name: "sidecar_task",
	extra: []typedAttr{
		strAttr("name"), strAttr("driver"), strAttr("user"), durAttr("kill_timeout"), strAttr("kill_signal"),
		durAttr("shutdown_delay"), mapAttr("env"), mapAttr("meta"), anyAttr("config"),
	},
	drop: []dropBlock{
		drop("config", anyBody), drop("env", mapBody), drop("meta", mapBody),
		drop("logs", &sidecarLogsSpec), drop("resources", &sidecarResourcesSpec), drop("identity", &identitySpec),
	},
}.build()

var sidecarLogsSpec = blockSpec{name: "sidecar_task.logs",
	extra: []typedAttr{numAttr("max_files"), numAttr("max_file_size"), boolAttr("disabled")},
}.build()

var sidecarResourcesSpec = blockSpec{name: "sidecar_task.resources",
	extra: []typedAttr{numAttr("cpu"), numAttr("cores"), numAttr("memory"), numAttr("memory_max")},
}.build()

var gatewaySpec = blockSpec{name: "gateway",
	drop: []dropBlock{
		drop("proxy", &gatewayProxySpec), drop("ingress", &ingressSpec),
		drop("terminating", &terminatingSpec), drop("mesh", anyBody),
	},
}.build()

var gatewayProxySpec = blockSpec{name: "gateway.proxy",
	extra: []typedAttr{
		durAttr("connect_timeout"), boolAttr("envoy_gateway_bind_tagged_addresses"),
		boolAttr("envoy_gateway_no_default_bind"), strAttr("envoy_dns_discovery_type"), anyAttr("config"),
	},
	drop: []dropBlock{drop("envoy_gateway_bind_addresses", &bindAddressSpec, "name"), drop("config", anyBody)},
}.build()

var bindAddressSpec = blockSpec{name: "envoy_gateway_bind_addresses",
	extra: []typedAttr{strAttr("address"), numAttr("port")},
}.build()

var ingressSpec = blockSpec{name: "ingress",
	drop: []dropBlock{drop("tls", &gatewayTLSSpec), drop("listener", &listenerSpec)},
}.build()

var gatewayTLSSpec = blockSpec{name: "ingress.tls",
	extra: []typedAttr{boolAttr("enabled"), strAttr("tls_min_version"), strAttr("tls_max_version"), listAttr("cipher_suites")},
}.build()

var listenerSpec = blockSpec{name: "listener",
	extra: []typedAttr{numAttr("port"), strAttr("protocol")},
	drop:  []dropBlock{drop("service", &listenerServiceSpec)},
}.build()

var listenerServiceSpec = blockSpec{name: "listener.service",
	extra: []typedAttr{strAttr("name"), listAttr("hosts")},
}.build()

var terminatingSpec = blockSpec{name: "terminating",
	drop: []dropBlock{drop("service", &terminatingServiceSpec)},
}.build()

var terminatingServiceSpec = blockSpec{name: "terminating.service",
	extra: []typedAttr{strAttr("name"), strAttr("ca_file"), strAttr("cert_file"), strAttr("key_file"), strAttr("sni")},
}.build()

var secretSpec = blockSpec{name: "secret",
	extra: []typedAttr{strAttr("provider"), strAttr("path"), mapAttr("env")},
	drop:  []dropBlock{drop("config", anyBody), drop("env", mapBody)},
}.build()
