package state

import (
	"encoding/binary"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// Memory per stored allocation. At a million allocations every byte of an
// allocation is a megabyte of server memory, and each allocation arrives
// JSON-decoded with its own copy of every string and map. Writes therefore
// make the allocations they store share what they have in common:
//   - the node's ID and name with the stored node, the job ID, namespace and
//     group name with the allocation's job, and the eval ID within a write;
//   - short common strings (statuses, descriptions, task event texts) through
//     the store's bounded string table;
//   - AllocatedResources without networks or ports, and equal AllocMetric
//     count maps, within a write (a plan places many alike);
//   - equal placement score maps, through the same bounded table;
//   - on restore, the Job with the stored version.
// Stored objects are immutable, so sharing is safe; a change copies the
// Allocation struct and replaces what it changes. Interning writes a field
// only when its value is not already the canonical one, so objects that were
// stored before are never written to.

const (
	// maxInternLen is the longest string the string table keeps.
	maxInternLen = 64
	// maxInterned caps the string table (a store's lifetime); later new
	// strings are stored as they come.
	maxInterned = 1 << 14
)

// stringTable holds one copy of short common strings, and of placement
// score maps (see scores). Only write transactions use it, and memdb runs
// one at a time.
type stringTable struct {
	m      map[string]string
	scores map[string]map[string]float64
	key    []byte
}

func newStringTable() *stringTable {
	return &stringTable{m: map[string]string{}, scores: map[string]map[string]float64{}}
}

// scores returns the table's equal copy of a placement's score map
// (AllocMetric.ScoreMetaData[].Scores: a few named scores), or m. The
// allocations a scheduler places on alike nodes carry equal scores (the
// bin-pack score depends only on the node's size and usage), and each map
// costs about 250 bytes. A nil table returns m.
func (t *stringTable) scoreMap(m map[string]float64) map[string]float64 {
	if t == nil || len(m) == 0 || len(m) > 8 {
		return m
	}
	var names [8]string
	n := 0
	for name := range m {
		if len(name) > maxInternLen {
			return m
		}
		names[n] = name
		n++
	}
	slices.Sort(names[:n])
	k := t.key[:0]
	for _, name := range names[:n] {
		k = append(k, name...)
		k = append(k, 0)
		k = binary.LittleEndian.AppendUint64(k, math.Float64bits(m[name]))
	}
	t.key = k
	if c, ok := t.scores[string(k)]; ok {
		return c
	}
	if len(t.scores) < maxInterned {
		t.scores[string(k)] = m
	}
	return m
}

// intern returns the table's copy of s, or s. A nil table returns s.
func (t *stringTable) intern(s string) string {
	if t == nil || s == "" || len(s) > maxInternLen {
		return s
	}
	if c, ok := t.m[s]; ok {
		return c
	}
	if len(t.m) < maxInterned {
		c := strings.Clone(s) // s may pin a larger buffer
		t.m[c] = c
		return c
	}
	return s
}

// setStr sets *p to canon, an equal string, unless it already shares
// canon's bytes.
func setStr(p *string, canon string) {
	if unsafe.StringData(*p) != unsafe.StringData(canon) {
		*p = canon
	}
}

// allocInterner makes the allocations of one write share memory; see the
// comment at the top of this file.
type allocInterner struct {
	txn   *memdb.Txn
	strs  *stringTable
	ids   map[string]string // node and eval IDs without a stored node, within the write
	nodes map[string]*nomadlike.Node
	res   map[string]*nomadlike.AllocatedResources
	key   []byte
	// The count maps of the last AllocMetric seen, for the next to share.
	metric nomadlike.AllocMetric
	// jobs shares equal job versions among restored allocations.
	jobs map[jobVersionKey]*nomadlike.Job
}

type jobVersionKey struct {
	ns, id                  string
	version, jobModifyIndex uint64
}

func (s *StateStore) newAllocInterner(txn *memdb.Txn) *allocInterner {
	return &allocInterner{txn: txn, strs: s.strs}
}

// id returns one copy of an ID per write.
func (in *allocInterner) id(s string) string {
	if s == "" {
		return s
	}
	if in.ids == nil {
		in.ids = map[string]string{}
	}
	if c, ok := in.ids[s]; ok {
		return c
	}
	in.ids[s] = s
	return s
}

// node returns the stored node of id, nil when there is none.
func (in *allocInterner) node(id string) (*nomadlike.Node, error) {
	if n, ok := in.nodes[id]; ok {
		return n, nil
	}
	n, err := first[nomadlike.Node](in.txn, nil, TableNodes, indexID, id)
	if err != nil {
		return nil, err
	}
	if in.nodes == nil {
		in.nodes = map[string]*nomadlike.Node{}
	}
	in.nodes[id] = n
	return n, nil
}

// alloc interns the fields of a, the store's own Allocation struct (its
// sub-objects may be shared: they are written only when not yet interned).
func (in *allocInterner) alloc(a *nomadlike.Allocation) error {
	ns, group := in.strs.intern(a.Namespace), in.strs.intern(a.TaskGroup)
	if job := a.Job; job != nil {
		if a.Namespace == job.Namespace {
			ns = job.Namespace
		}
		if a.JobID == job.ID {
			setStr(&a.JobID, job.ID)
		}
		for _, tg := range job.TaskGroups {
			if tg.Name == a.TaskGroup {
				group = tg.Name
				break
			}
		}
	}
	setStr(&a.Namespace, ns)
	setStr(&a.TaskGroup, group)
	n, err := in.node(a.NodeID)
	if err != nil {
		return err
	}
	if n != nil {
		setStr(&a.NodeID, n.ID)
		if a.NodeName == n.Name {
			setStr(&a.NodeName, n.Name)
		}
	} else {
		setStr(&a.NodeID, in.id(a.NodeID))
		setStr(&a.NodeName, in.strs.intern(a.NodeName))
	}
	setStr(&a.EvalID, in.id(a.EvalID))
	setStr(&a.DesiredStatus, in.strs.intern(a.DesiredStatus))
	setStr(&a.DesiredDescription, in.strs.intern(a.DesiredDescription))
	setStr(&a.ClientStatus, in.strs.intern(a.ClientStatus))
	setStr(&a.ClientDescription, in.strs.intern(a.ClientDescription))
	a.AllocatedResources = in.resources(a.AllocatedResources)
	a.Metrics = in.metrics(a.Metrics, a.NodeID)
	in.taskStates(a.TaskStates)
	return nil
}

// taskStates interns the texts of task states and events in place.
func (in *allocInterner) taskStates(states map[string]*nomadlike.TaskState) {
	for _, ts := range states {
		if ts == nil {
			continue
		}
		setStr(&ts.State, in.strs.intern(ts.State))
		for _, e := range ts.Events {
			if e == nil {
				continue
			}
			setStr(&e.Type, in.strs.intern(e.Type))
			setStr(&e.Message, in.strs.intern(e.Message))
			setStr(&e.DisplayMessage, in.strs.intern(e.DisplayMessage))
			setStr(&e.RestartReason, in.strs.intern(e.RestartReason))
		}
	}
}

// resources returns an equal AllocatedResources seen before in this write,
// or r. Only those without networks or ports are shared: those differ per
// node.
func (in *allocInterner) resources(r *nomadlike.AllocatedResources) *nomadlike.AllocatedResources {
	if r == nil || len(r.Shared.Networks) > 0 || len(r.Shared.Ports) > 0 {
		return r
	}
	k := strconv.AppendInt(in.key[:0], r.Shared.DiskMB, 10)
	names := make([]string, 0, 4)
	for name, t := range r.Tasks {
		if t == nil || len(t.Networks) > 0 {
			return r
		}
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		t := r.Tasks[name]
		k = append(k, 0)
		k = append(k, name...)
		k = append(k, 0)
		k = strconv.AppendInt(k, t.Cpu.CpuShares, 10)
		k = append(k, ',')
		k = strconv.AppendInt(k, t.Memory.MemoryMB, 10)
		k = append(k, ',')
		k = strconv.AppendInt(k, t.Memory.MemoryMaxMB, 10)
	}
	in.key = k
	if c, ok := in.res[string(k)]; ok {
		return c
	}
	if in.res == nil {
		in.res = map[string]*nomadlike.AllocatedResources{}
	}
	in.res[string(k)] = r
	return r
}

// metrics returns m, or a copy of it that shares the count maps of the
// previous metric of this write where they are equal, and the node ID.
func (in *allocInterner) metrics(m *nomadlike.AllocMetric, nodeID string) *nomadlike.AllocMetric {
	if m == nil {
		return nil
	}
	counts := [...]struct{ cur, last *map[string]int }{
		{&m.NodesAvailable, &in.metric.NodesAvailable},
		{&m.ClassFiltered, &in.metric.ClassFiltered},
		{&m.ConstraintFiltered, &in.metric.ConstraintFiltered},
		{&m.ClassExhausted, &in.metric.ClassExhausted},
		{&m.DimensionExhausted, &in.metric.DimensionExhausted},
	}
	var shared [len(counts)]map[string]int
	changed := false
	for i, f := range counts {
		shared[i] = *f.cur
		switch {
		case *f.cur == nil:
		case *f.last != nil && maps.Equal(*f.cur, *f.last):
			if !sameMap(*f.cur, *f.last) {
				shared[i], changed = *f.last, true
			}
		default:
			*f.last = *f.cur
		}
	}
	// Each score entry shares the node ID and an equal score map.
	scoreChanged := false
	scores := make([]map[string]float64, len(m.ScoreMetaData))
	for i, s := range m.ScoreMetaData {
		if s == nil {
			continue
		}
		scores[i] = in.strs.scoreMap(s.Scores)
		if !sameScores(scores[i], s.Scores) ||
			(s.NodeID == nodeID && unsafe.StringData(s.NodeID) != unsafe.StringData(nodeID)) {
			scoreChanged = true
		}
	}
	if !changed && !scoreChanged {
		return m
	}
	c := *m
	c.NodesAvailable, c.ClassFiltered, c.ConstraintFiltered, c.ClassExhausted, c.DimensionExhausted =
		shared[0], shared[1], shared[2], shared[3], shared[4]
	if scoreChanged {
		c.ScoreMetaData = slices.Clone(m.ScoreMetaData)
		for i, s := range c.ScoreMetaData {
			if s == nil {
				continue
			}
			sc := *s
			sc.Scores = scores[i]
			if sc.NodeID == nodeID {
				sc.NodeID = nodeID
			}
			c.ScoreMetaData[i] = &sc
		}
	}
	return &c
}

// sameScores reports whether a and b are the same map, not only equal ones.
func sameScores(a, b map[string]float64) bool {
	return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

// sameMap reports whether a and b are the same map, not only equal ones.
func sameMap(a, b map[string]int) bool {
	return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

// restoredJob returns the job a restored allocation shares: the stored
// version when it is the same one (versions are restored before
// allocations), else the first restored allocation's copy of it.
func (in *allocInterner) restoredJob(job *nomadlike.Job) (*nomadlike.Job, error) {
	if job == nil {
		return nil, nil
	}
	k := jobVersionKey{job.Namespace, job.ID, job.Version, job.JobModifyIndex}
	if j, ok := in.jobs[k]; ok {
		return j, nil
	}
	v, err := first[nomadlike.Job](in.txn, nil, TableJobVersions, indexID, job.Namespace, job.ID, job.Version)
	if err != nil {
		return nil, err
	}
	if v == nil || v.JobModifyIndex != job.JobModifyIndex {
		v = job
	}
	if in.jobs == nil {
		in.jobs = map[jobVersionKey]*nomadlike.Job{}
	}
	in.jobs[k] = v
	return v, nil
}
