package client

import (
	"github.com/nomadlike/nomadlike/nomadlike/client/identity"
	"io"
	"os"
	"path"
	"strings"

	"github.com/nomadlike/nomadlike/drivers/beneath"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/client/allocdir"
	"github.com/nomadlike/nomadlike/nomadlike/client/allocrunner"
	"github.com/nomadlike/nomadlike/nomadlike/client/tmplwatch"
)

// Templates that read Nomad data (nomadVar, nomadService...) query the
// servers through the client's ServerAPI when it can make those reads
// (tmplwatch.ServerAPI), with the task's workload identity when it has one
// (secrets/nomad_token, written by the identity hook) and else the node's
// SecretID.

// WorkloadTokenFile is where a task's workload identity is written, inside
// its task directory.
const WorkloadTokenFile = "secrets/nomad_token"

// maxTokenBytes bounds what is read of a token file.
const maxTokenBytes = 16 << 10

// templateConfig is what the alloc runners' template hooks use.
func (c *Client) templateConfig() allocrunner.TemplateConfig {
	tc := allocrunner.TemplateConfig{Token: c.templateToken}
	if s, ok := c.cfg.Servers.(tmplwatch.ServerAPI); ok {
		tc.Source = tmplwatch.APISource{Servers: s}
	}
	return tc
}

// templateToken is the token of a task's template queries: the task's
// server-signed workload identity (every task has one when ACLs are on, and
// the task cannot change it), then a token file the task holds, then the
// node's SecretID.
func (c *Client) templateToken(ad *allocdir.AllocDir, alloc *nomadlike.Allocation, task string) string {
	if tok := identity.Token(alloc, task); tok != "" {
		return tok
	}
	if tok := readWorkloadToken(ad, task); tok != "" {
		return tok
	}
	c.nodeMu.RLock()
	defer c.nodeMu.RUnlock()
	return c.node.SecretID
}

// readWorkloadToken reads a task's workload identity beneath the
// allocation directory, refusing links (the task can write there); "" when
// there is none.
func readWorkloadToken(ad *allocdir.AllocDir, task string) string {
	root, err := ad.Open()
	if err != nil {
		return ""
	}
	defer root.Close()
	f, err := root.OpenExisting(path.Join(task, WorkloadTokenFile), os.O_RDONLY, beneath.Want{Owner: beneath.AnyOwner})
	if err != nil {
		return ""
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxTokenBytes))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
