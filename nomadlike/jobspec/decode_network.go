package jobspec

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/nomadlike/nomadlike/nomadlike"
)

var networkSpec = blockSpec{
	name:   "network",
	fields: []field{{"mode", "Mode"}, {"hostname", "Hostname"}, {"mbits", "MBits"}},
	blocks: []hcl.BlockHeaderSchema{
		{Type: "port", LabelNames: []string{"label"}}, {Type: "dns"}, {Type: "cni"},
	},
	children: map[string]*blockSpec{"port": &portSpec, "dns": &dnsSpec, "cni": &cniSpec},
}.build()

var dnsSpec = blockSpec{name: "dns",
	fields: []field{{"servers", "Servers"}, {"searches", "Searches"}, {"options", "Options"}},
}.build()

var cniSpec = blockSpec{name: "cni", attrs: []string{"args"}}.build()

// portSpec fields land in a portBlock, then become a static or dynamic port.
var portSpec = blockSpec{
	name:   "port",
	fields: []field{{"static", "Static"}, {"to", "To"}, {"host_network", "HostNetwork"}},
	extra:  []typedAttr{boolAttr("ignore_collision")},
}.build()

type portBlock struct {
	Static      int
	To          int
	HostNetwork string
}

var serviceSpec = blockSpec{
	name: "service",
	fields: []field{
		{"name", "Name"},
		{"port", "PortLabel"},
		{"tags", "Tags"},
		{"canary_tags", "CanaryTags"},
		{"address_mode", "AddressMode"},
		{"address", "Address"},
		{"provider", "Provider"},
		{"task", "TaskName"},
	},
	attrs:    []string{"meta"},
	blocks:   []hcl.BlockHeaderSchema{{Type: "check"}, {Type: "meta"}, {Type: "check_restart"}},
	children: map[string]*blockSpec{"check": &checkSpec, "meta": nil, "check_restart": &checkRestartSpec},
	extra: []typedAttr{
		boolAttr("enable_tag_override"), mapAttr("canary_meta"), mapAttr("tagged_addresses"),
		strAttr("on_update"), strAttr("cluster"), strAttr("kind"),
	},
	drop: []dropBlock{
		drop("canary_meta", mapBody), drop("connect", &connectSpec),
		drop("identity", &identitySpec), drop("weights", &weightsSpec),
	},
}.build()

var checkSpec = blockSpec{
	name: "check",
	fields: []field{
		{"name", "Name"},
		{"type", "Type"},
		{"command", "Command"},
		{"args", "Args"},
		{"path", "Path"},
		{"protocol", "Protocol"},
		{"port", "PortLabel"},
		{"address_mode", "AddressMode"},
		{"interval", "Interval"},
		{"timeout", "Timeout"},
		{"initial_status", "InitialStatus"},
		{"method", "Method"},
		{"body", "Body"},
		{"task", "TaskName"},
		{"grpc_service", "GRPCService"},
		{"grpc_use_tls", "GRPCUseTLS"},
		{"tls_server_name", "TLSServerName"},
		{"tls_skip_verify", "TLSSkipVerify"},
		{"success_before_passing", "SuccessBeforePassing"},
		{"failures_before_critical", "FailuresBeforeCritical"},
		{"on_update", "OnUpdate"},
	},
	attrs:    []string{"header"},
	blocks:   []hcl.BlockHeaderSchema{{Type: "header"}, {Type: "check_restart"}},
	children: map[string]*blockSpec{"header": nil, "check_restart": &checkRestartSpec},
	extra: []typedAttr{
		numAttr("failures_before_warning"), boolAttr("expose"), strAttr("notes"),
	},
}.build()

func (p *parser) network(b *hcl.Block, path string) *nomadlike.NetworkResource {
	p.ranges[path] = b.DefRange
	n := &nomadlike.NetworkResource{}
	c := p.content(b.Body, networkSpec)
	p.decodeFields(c, networkSpec, path, n)
	for _, db := range c.Blocks.OfType("dns") {
		dpath := joinPath(path, "DNS")
		p.ranges[dpath] = db.DefRange
		n.DNS = &nomadlike.DNSConfig{}
		p.decodeFields(p.content(db.Body, dnsSpec), dnsSpec, dpath, n.DNS)
	}
	for _, cb := range c.Blocks.OfType("cni") {
		cpath := joinPath(path, "CNI")
		p.ranges[cpath] = cb.DefRange
		n.CNI = &nomadlike.CNIConfig{Args: p.stringMap(p.content(cb.Body, cniSpec), "args", joinPath(cpath, "Args"))}
	}
	for _, pb := range c.Blocks.OfType("port") {
		label := pb.Labels[0]
		var port portBlock
		// The port's kind is known only after decoding; record under both.
		staticPath := item(path, "ReservedPorts", label)
		dynamicPath := item(path, "DynamicPorts", label)
		p.decodeFields(p.content(pb.Body, portSpec), portSpec, staticPath, &port)
		for _, f := range portSpec.fields {
			if r, ok := p.ranges[joinPath(staticPath, f.name)]; ok {
				p.ranges[joinPath(dynamicPath, f.name)] = r
			}
		}
		if r, ok := p.ranges[joinPath(staticPath, "Static")]; ok {
			p.ranges[joinPath(staticPath, "Value")] = r
		}
		p.ranges[staticPath] = pb.DefRange
		p.ranges[dynamicPath] = pb.DefRange
		p.ranges[joinPath(staticPath, "Label")] = pb.LabelRanges[0]
		p.ranges[joinPath(dynamicPath, "Label")] = pb.LabelRanges[0]
		np := nomadlike.Port{Label: label, Value: port.Static, To: port.To, HostNetwork: port.HostNetwork}
		if port.Static != 0 {
			n.ReservedPorts = append(n.ReservedPorts, np)
		} else {
			n.DynamicPorts = append(n.DynamicPorts, np)
		}
	}
	return n
}

// service decodes a service block; defaultName is used when it sets none.
func (p *parser) service(b *hcl.Block, path, defaultName string) *nomadlike.Service {
	p.ranges[path] = b.DefRange
	s := &nomadlike.Service{}
	c := p.content(b.Body, serviceSpec)
	p.decodeFields(c, serviceSpec, path, s)
	if s.Name == "" {
		s.Name = defaultName
	}
	s.Meta = p.stringMap(c, "meta", joinPath(path, "Meta"))
	s.CheckRestart = p.checkRestart(c, joinPath(path, "CheckRestart"))
	for i, cb := range c.Blocks.OfType("check") {
		cpath := item(path, "Checks", itoa(i))
		p.ranges[cpath] = cb.DefRange
		chk := &nomadlike.ServiceCheck{}
		cc := p.content(cb.Body, checkSpec)
		p.decodeFields(cc, checkSpec, cpath, chk)
		chk.Header = p.headers(cc, joinPath(cpath, "Header"))
		chk.CheckRestart = p.checkRestart(cc, joinPath(cpath, "CheckRestart"))
		s.Checks = append(s.Checks, chk)
	}
	return s
}

// headers reads a check's header, as a block of lists or a map attribute.
func (p *parser) headers(c *hcl.BodyContent, path string) map[string][]string {
	attr, hasAttr := c.Attributes["header"]
	blocks := c.Blocks.OfType("header")
	if hasAttr && len(blocks) > 0 {
		p.errorAt(blocks[0].DefRange, "Duplicate header", "header is set both as an attribute and as a block; use one.")
		return nil
	}
	out := map[string][]string{}
	add := func(name string, expr hcl.Expression) {
		v, ok := p.eval(expr)
		if !ok || v.IsNull() {
			return
		}
		lv, ok := p.convertTo(v, cty.List(cty.String), expr.Range(), name)
		if !ok || lv.IsNull() {
			return
		}
		var vals []string
		for it := lv.ElementIterator(); it.Next(); {
			_, e := it.Element()
			vals = append(vals, e.AsString())
		}
		out[name] = vals
	}
	if hasAttr {
		p.ranges[path] = attr.Expr.Range()
		v, ok := p.eval(attr.Expr)
		if !ok || v.IsNull() {
			return nil
		}
		mv, ok := p.convertTo(v, cty.Map(cty.List(cty.String)), attr.Expr.Range(), "header")
		if !ok {
			return nil
		}
		for it := mv.ElementIterator(); it.Next(); {
			k, e := it.Element()
			var vals []string
			for jt := e.ElementIterator(); jt.Next(); {
				_, s := jt.Element()
				vals = append(vals, s.AsString())
			}
			out[k.AsString()] = vals
		}
	}
	for _, b := range blocks {
		p.ranges[path] = b.DefRange
		attrs, diags := b.Body.JustAttributes()
		p.addDiags(diags)
		for _, a := range sortedAttrs(attrs) {
			add(a.Name, a.Expr)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// checkRestart decodes the check_restart block of c, if any.
func (p *parser) checkRestart(c *hcl.BodyContent, path string) *nomadlike.CheckRestart {
	bs := c.Blocks.OfType("check_restart")
	if len(bs) == 0 {
		return nil
	}
	if len(bs) > 1 {
		p.errorAt(bs[1].DefRange, "Duplicate check_restart block", "Only one check_restart block is allowed here.")
	}
	p.ranges[path] = bs[0].DefRange
	cr := &nomadlike.CheckRestart{}
	p.decodeFields(p.content(bs[0].Body, checkRestartSpec), checkRestartSpec, path, cr)
	return cr
}
