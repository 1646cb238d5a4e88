package server

import (
	"encoding/json"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike/fsm"
)

// TestCommitWritesCompactPlacements commits a plan of 35 placements in
// entries of at most 10: every entry carries its placements in the compact
// form, and the store holds the placements as planned.
func TestCommitWritesCompactPlacements(t *testing.T) {
	s, rec, nodes, job := committerServer(t, 10, nil)
	placed := placements(job, nodes, 0, 35)
	for i, a := range placed {
		a.PreviousAllocation = placed[(i+1)%len(placed)].ID
	}
	if _, err := commit(t, s, planOf(job, placed, nil)); err != nil {
		t.Fatalf("commit: %v", err)
	}
	rec.mu.Lock()
	entries := rec.entries
	rec.mu.Unlock()
	if len(entries) != 4 {
		t.Fatalf("commit wrote %d entries, want 4", len(entries))
	}
	records := 0
	for i, cmd := range entries {
		if got := fsm.MessageType(cmd[0]); got != fsm.PlanResultsEntryType {
			t.Errorf("entry %d is a %s entry, want %s (older servers must stop at it, not ignore its records)", i, got, fsm.PlanResultsEntryType)
		}
		var e fsm.PlanResultsEntry
		if err := json.Unmarshal(cmd[1:], &e); err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		if len(e.AllocsUpdated) != 0 || len(e.AllocTemplates) != 1 {
			t.Errorf("entry %d: %d plain placements and %d templates, want 0 and 1", i, len(e.AllocsUpdated), len(e.AllocTemplates))
		}
		records += len(e.AllocRecords)
	}
	if records != len(placed) {
		t.Errorf("entries hold %d records, want %d", records, len(placed))
	}
	for _, want := range placed {
		got, err := s.State().AllocByID(nil, want.ID)
		if err != nil || got == nil {
			t.Fatalf("AllocByID(%s) = %v, %v", want.ID, got, err)
		}
		g, _ := json.Marshal([]any{got.Name, got.NodeID, got.NodeName, got.PreviousAllocation, got.AllocatedResources, got.DesiredStatus, got.EvalID})
		w, _ := json.Marshal([]any{want.Name, want.NodeID, want.NodeName, want.PreviousAllocation, want.AllocatedResources, want.DesiredStatus, want.EvalID})
		if string(g) != string(w) {
			t.Errorf("stored %s = %s, want %s", want.ID, g, w)
		}
	}
}
