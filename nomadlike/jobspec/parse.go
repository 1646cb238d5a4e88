package jobspec

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/dynblock"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/periodic"
)

// ParseOptions are the inputs of a job file besides its text.
type ParseOptions struct {
	// Vars are -var name=value settings; they win over every other source.
	Vars map[string]string
	// VarFiles are -var-file paths (HCL, or JSON when named *.json), applied
	// in order after the environment and before Vars.
	VarFiles []string
	// Environ is the environment searched for NOMAD_VAR_name and
	// NOMADLIKE_VAR_name (which wins); nil means os.Environ().
	Environ []string
	// BaseDir is the directory the file function resolves relative paths
	// against; empty means the job file's directory.
	BaseDir string
	// VarSources are variables files given by their content, applied after
	// VarFiles (the parse endpoint's Variables).
	VarSources []VarSource
	// NoFileFunctions makes file and fileexists fail with
	// ErrFileFunctionsDisabled: a job sent to a server to parse must not
	// read the server's files.
	NoFileFunctions bool
}

// VarSource is a variables file given by content: Name names it in
// diagnostics and, ending in .json, makes it JSON rather than HCL.
type VarSource struct {
	Name string
	Src  []byte
}

// ParseFile reads and parses the job file at path; see Parse.
func ParseFile(path string, opts *ParseOptions) (*nomadlike.Job, error) {
	res, err := ParseFileWarnings(path, opts)
	if err != nil {
		return nil, err
	}
	return res.Job, nil
}

// ParseFileWarnings reads and parses the job file at path; see
// ParseWarnings.
func ParseFileWarnings(path string, opts *ParseOptions) (*Result, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read job file: %w", err)
	}
	return ParseWarnings(path, src, opts)
}

// Parse parses the HCL job file src, named filename in diagnostics, and
// returns the canonicalized and validated job, dropping the warnings (see
// ParseWarnings). Any problem comes back as an *Error listing every
// positioned diagnostic found. Parse is safe for concurrent use; the
// returned job belongs to the caller.
func Parse(filename string, src []byte, opts *ParseOptions) (*nomadlike.Job, error) {
	res, err := ParseWarnings(filename, src, opts)
	if err != nil {
		return nil, err
	}
	return res.Job, nil
}

// Result is a parsed job with the warnings about it.
type Result struct {
	Job *nomadlike.Job
	// Warnings name, with their place, the parts of the file nomadlike
	// accepts but does not act on ("... has no effect in nomadlike"), and
	// the checks Nomad does not make that nomadlike reports without failing.
	Warnings []Diagnostic
	sources  map[string][]byte
}

// ParseWarnings is Parse, returning the warnings too. The warnings are
// sorted by position; they are not returned when there are errors.
func ParseWarnings(filename string, src []byte, opts *ParseOptions) (*Result, error) {
	if opts == nil {
		opts = &ParseOptions{}
	}
	p := newParser(filename, src, opts)
	job := p.parse()
	if p.diags.HasErrors() {
		return nil, newError(p.diags, p.sources)
	}
	return &Result{Job: job, Warnings: diagnostics(p.diags, hcl.DiagWarning), sources: p.sources}, nil
}

// parser holds the state of one Parse call. It is not safe for concurrent use.
type parser struct {
	filename string
	opts     *ParseOptions
	sources  map[string][]byte
	funcs    map[string]function.Function

	vars     map[string]*variable
	varOrder []string
	locals   map[string]cty.Value
	ctx      *hcl.EvalContext

	diags     hcl.Diagnostics
	ranges    map[string]hcl.Range        // job field path -> source range
	rawBodies map[bodyKey]*hclsyntax.Body // for free-form config blocks
	jobRange  hcl.Range
}

type bodyKey struct {
	file string
	byte int
}

func newParser(filename string, src []byte, opts *ParseOptions) *parser {
	base := opts.BaseDir
	if base == "" {
		base = filepath.Dir(filename)
	}
	return &parser{
		filename:  filename,
		opts:      opts,
		sources:   map[string][]byte{filename: src},
		funcs:     functions(base, opts.NoFileFunctions),
		vars:      map[string]*variable{},
		locals:    map[string]cty.Value{},
		ranges:    map[string]hcl.Range{},
		rawBodies: map[bodyKey]*hclsyntax.Body{},
	}
}

var fileSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "job", LabelNames: []string{"id"}},
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "variables"},
		{Type: "locals"},
	},
}

func (p *parser) parse() *nomadlike.Job {
	src := p.sources[p.filename]
	file, diags := hclsyntax.ParseConfig(src, p.filename, hcl.InitialPos)
	if p.addDiags(diags) {
		return nil
	}
	body := file.Body.(*hclsyntax.Body)
	refs := keepRuntimeInterpolations(body, src)
	p.indexBodies(body)

	// Unknown top-level items are reported but do not stop the parse, so the
	// job's own problems are reported with them.
	content, diags := body.Content(fileSchema)
	p.addDiags(diags)
	mark := len(p.diags)
	p.declareVariables(content.Blocks)
	p.assignVariables()
	if p.errorsSince(mark) {
		return nil
	}
	p.validateVariables()
	p.evalLocals(content.Blocks.OfType("locals"))
	if p.errorsSince(mark) {
		return nil
	}

	jobs := content.Blocks.OfType("job")
	switch len(jobs) {
	case 0:
		p.addDiags(hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Missing job block",
			Detail:   `A job file needs one job "ID" { ... } block.`,
			Subject:  &hcl.Range{Filename: p.filename, Start: hcl.InitialPos, End: hcl.InitialPos},
		}})
		return nil
	case 1:
	default:
		p.addDiags(hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Duplicate job block",
			Detail:   fmt.Sprintf("A job file holds one job; another was defined at %s.", jobs[0].DefRange),
			Subject:  &jobs[1].DefRange,
		}})
		return nil
	}

	p.ctx = p.evalContext()
	block := jobs[0]
	if p.checkReferences(refs, block.Body.(*hclsyntax.Body).SrcRange) {
		return nil
	}
	block.Body = dynblock.Expand(block.Body, p.ctx)
	job := p.decodeJob(block)
	if p.diags.HasErrors() {
		// Validation would repeat what decoding already reported.
		return nil
	}
	job.Canonicalize()
	p.checkValues(job)
	if err := job.Validate(); err != nil {
		p.addValidation(err)
		return nil
	}
	// The cron spec, checked as the servers will on register.
	if err := periodic.Validate(job); err != nil {
		p.addValidation(err)
		return nil
	}
	return job
}

// addDiags records diags and reports whether any is an error.
func (p *parser) addDiags(diags hcl.Diagnostics) bool {
	p.diags = append(p.diags, diags...)
	return diags.HasErrors()
}

// errorsSince reports whether an error was recorded after the first mark
// diagnostics.
func (p *parser) errorsSince(mark int) bool {
	return p.diags[mark:].HasErrors()
}

// errorAt records an error diagnostic at rng.
func (p *parser) errorAt(rng hcl.Range, summary, detail string, args ...any) {
	r := rng
	p.diags = append(p.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(detail, args...),
		Subject:  &r,
	})
}

// evalContext is the context job attributes are evaluated in: var, local
// and the functions.
func (p *parser) evalContext() *hcl.EvalContext {
	vals := make(map[string]cty.Value, len(p.vars))
	for name, v := range p.vars {
		vals[name] = v.value
	}
	return &hcl.EvalContext{
		Variables: map[string]cty.Value{
			"var":   cty.ObjectVal(vals),
			"local": cty.ObjectVal(p.locals),
		},
		Functions: p.funcs,
	}
}

// checkReferences reports every var.x and local.x among refs that lies in
// rng (the job block) and names no declared variable or local, including
// those in dynamic blocks' for_each; it returns whether there was any.
func (p *parser) checkReferences(refs []hcl.Traversal, rng hcl.Range) bool {
	found := false
	for _, tr := range refs {
		r := tr.SourceRange()
		if r.Start.Byte < rng.Start.Byte || r.End.Byte > rng.End.Byte {
			continue
		}
		if !p.referenceDefined(tr) {
			found = true
		}
	}
	return found
}

// indexBodies remembers every syntax body by its start, so a free-form
// config block reached through dynblock's wrappers can find its structure.
func (p *parser) indexBodies(body *hclsyntax.Body) {
	p.rawBodies[bodyKey{body.SrcRange.Filename, body.SrcRange.Start.Byte}] = body
	for _, b := range body.Blocks {
		p.indexBodies(b.Body)
	}
}

func (p *parser) rawBody(body hcl.Body) *hclsyntax.Body {
	if sb, ok := body.(*hclsyntax.Body); ok {
		return sb
	}
	r := body.MissingItemRange()
	return p.rawBodies[bodyKey{r.Filename, r.Start.Byte}]
}

// WriteWarnings writes each warning as "Warning: file:line:col: message"
// followed by the source line with the place underlined.
func (r *Result) WriteWarnings(w io.Writer) error {
	return writeDiagnostics(w, r.Warnings, r.sources, "Warning: ", "")
}
