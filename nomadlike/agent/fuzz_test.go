package agent

import (
	"testing"
)

// FuzzConfig feeds agent configuration files to the parser and validates
// what it accepts. Nothing may panic.
func FuzzConfig(f *testing.F) {
	for _, s := range []string{
		fullConfig, ``, `server { enabled = true }`,
		"limits {\n  http_max_conns_per_client = 20\n  https_handshake_timeout = \"5s\"\n  rpc_max_conns_per_client = 100\n  rpc_handshake_timeout = \"0\"\n  http_body_read_timeout = \"3s\"\n}\n",
		"client {\n  enabled = true\n  servers = [\"127.0.0.1:4646\"]\n  options = { \"driver.raw_exec.enable\" = \"1\" }\n  meta = { a = 1, b = true }\n}\n",
		"plugin \"raw_exec\" {\n  config {\n    enabled = true\n    volumes { enabled = true }\n  }\n}\n",
		"plugin \"docker\" {\n  config {\n    a { b = 1 }\n    a { b = 2 }\n    l \"x\" { c = [1, \"two\"] }\n  }\n}\n",
		"ports {\n  http = 70000\n  rpc = -1\n}\nbind_addr = \"not-an-ip\"\nlog_level = \"loud\"\n",
		"server {\n  server_join {\n    retry_join = [\"a:1\"]\n    retry_interval = \"-5s\"\n  }\n}\n",
		"name = \"a\\u001b\"\nregion = \"..\"\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		cfg := DefaultConfig()
		if err := ParseConfigFile(cfg, "fuzz.hcl", src); err != nil {
			return
		}
		_ = cfg.Validate()
	})
}
