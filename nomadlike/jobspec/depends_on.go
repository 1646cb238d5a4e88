package jobspec

import (
	"github.com/hashicorp/hcl/v2"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// dependsOnBlock is one decoded depends_on block, before it is known to be
// a group's (naming a group) or the job's (naming a job).
type dependsOnBlock struct {
	Group, Job, Condition string
}

func (p *parser) dependsOnBlocks(c *hcl.BodyContent, path string, each func(i int, b *hcl.Block, d *dependsOnBlock, bc *hcl.BodyContent)) {
	for i, b := range c.Blocks.OfType("depends_on") {
		dpath := item(path, "DependsOn", itoa(i))
		p.ranges[dpath] = b.DefRange
		bc := p.content(b.Body, dependsOnSpec)
		d := &dependsOnBlock{}
		p.decodeFields(bc, dependsOnSpec, dpath, d)
		each(i, b, d, bc)
	}
}

// groupDependsOn decodes a group's depends_on blocks (nomadlike's): each
// names a group; a job attribute there is an error.
func (p *parser) groupDependsOn(c *hcl.BodyContent, path string) []*nomadlike.GroupDependency {
	var out []*nomadlike.GroupDependency
	p.dependsOnBlocks(c, path, func(_ int, _ *hcl.Block, d *dependsOnBlock, bc *hcl.BodyContent) {
		if a, ok := bc.Attributes["job"]; ok {
			p.errorAt(a.NameRange, "Unsupported argument", "depends_on in a group names a group (group = \"build\"); put a depends_on naming a job at job level.")
		}
		out = append(out, &nomadlike.GroupDependency{Group: d.Group, Condition: d.Condition})
	})
	return out
}

// jobDependsOn decodes the job-level depends_on blocks (nomadlike's): each
// names a job of the same namespace; a group attribute there is an error.
func (p *parser) jobDependsOn(c *hcl.BodyContent) []*nomadlike.JobDependency {
	var out []*nomadlike.JobDependency
	p.dependsOnBlocks(c, "", func(_ int, b *hcl.Block, d *dependsOnBlock, bc *hcl.BodyContent) {
		if a, ok := bc.Attributes["group"]; ok {
			p.errorAt(a.NameRange, "Unsupported argument", "depends_on at job level names a job (job = \"build\"); put a depends_on naming a group inside the group.")
		}
		if _, ok := bc.Attributes["job"]; !ok {
			p.errorAt(b.DefRange, "Missing required argument", "depends_on at job level needs job = \"<job ID>\".")
		}
		out = append(out, &nomadlike.JobDependency{Job: d.Job, Condition: d.Condition})
	})
	return out
}
