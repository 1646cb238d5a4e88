package containerd_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/drivers/drivertest"
	ctrd "github.com/nomadlike/nomadlike/plugins/containerd"
	"github.com/nomadlike/nomadlike/plugins/containerd/ctrdtest"
)

func TestMain(m *testing.M) {
	// When the suite launches this test binary as the driver plugin, serve.
	drivertest.ServeIfPlugin(func(l hclog.Logger) drivers.Driver { return ctrd.New(l) })
	os.Exit(m.Run())
}

// TestConformance runs the driver conformance suite through a real plugin
// connection against a private containerd daemon.
func TestConformance(t *testing.T) {
	daemon := ctrdtest.Start(t, testNamespace)
	archive := ctrdtest.BusyboxArchive(t, t.TempDir(), testImage)
	pluginCfg, _ := json.Marshal(map[string]any{"address": daemon.Address, "namespace": testNamespace,
		"image_archive_dirs": []string{filepath.Dir(archive)}})
	drivertest.Run(t, drivertest.Harness{
		Plugin:       drivertest.SelfPlugin(ctrd.Name),
		PluginConfig: pluginCfg,
		ShellTask: func(script string) json.RawMessage {
			raw, _ := json.Marshal(map[string]any{
				"image":         testImage,
				"image_archive": archive,
				"command":       "/bin/sh",
				"args":          []string{"-c", script},
			})
			return raw
		},
		BadConfig: json.RawMessage(`{"image": "busybox", "comand": "true"}`),
		BadField:  "config.comand",
		Skip: map[string]string{
			// `exec sleep 1000` makes sleep the container's PID 1, and the
			// kernel drops signals a namespace's init does not handle, so
			// SIGTERM cannot end it: the driver kills it instead, as Docker
			// and Nomad's containerd driver end such containers.
			"signals/stop_graceful": "a container's PID 1 without a SIGTERM handler cannot be stopped by SIGTERM (kernel rule for namespace init)",
		},
	})
}
