package iradix

import (
	"sync"
	"testing"
)

// Local change of the nomadlike repository: mutation channels are made
// on demand.

func TestWatchChLazy(t *testing.T) {
	r := New()
	for _, k := range []string{"alloc/1", "alloc/2", "alloc/3", "node/1"} {
		r, _, _ = r.Insert([]byte(k), k)
	}
	made := 0
	var count func(n *Node)
	count = func(n *Node) {
		if n.mutateCh.p.Load() != nil {
			made++
		}
		if n.leaf != nil && n.leaf.mutateCh.p.Load() != nil {
			made++
		}
		for _, e := range n.edges {
			count(e.node)
		}
	}
	if _, ok := r.Get([]byte("alloc/2")); !ok {
		t.Fatal("Get(alloc/2) found nothing")
	}
	it := r.Root().Iterator()
	it.SeekPrefix([]byte("alloc/"))
	count(r.Root())
	if made != 0 {
		t.Fatalf("%d channels made by inserts, Get and SeekPrefix, want 0", made)
	}

	watch, _, _ := r.Root().GetWatch([]byte("alloc/2"))
	prefix := r.Root().Iterator().SeekPrefixWatch([]byte("alloc/"))
	other, _, _ := r.Root().GetWatch([]byte("node/1"))
	txn := r.Txn()
	txn.TrackMutate(true)
	txn.Insert([]byte("alloc/2"), "changed")
	r2 := txn.Commit()
	for name, ch := range map[string]<-chan struct{}{"leaf": watch, "prefix": prefix} {
		select {
		case <-ch:
		default:
			t.Errorf("%s watch not closed by the change", name)
		}
	}
	select {
	case <-other:
		t.Error("watch of an unchanged key closed")
	default:
	}
	// A channel asked for after the change, of the old tree, is closed.
	late, _, _ := r.Root().GetWatch([]byte("alloc/1"))
	if v, _ := r2.Get([]byte("alloc/2")); v != "changed" {
		t.Fatalf("Get(alloc/2) = %v after the change", v)
	}
	select {
	case <-late:
		t.Error("alloc/1's leaf was not changed, its watch closed")
	default:
	}
	oldPrefix := r.Root().Iterator().SeekPrefixWatch([]byte("alloc/"))
	select {
	case <-oldPrefix:
	default:
		t.Error("watch asked for after the change on the old tree's changed node is open")
	}
}

// Concurrent get and notify: every getter ends with a closed channel.
func TestWatchChRace(t *testing.T) {
	for i := 0; i < 200; i++ {
		var w watchCh
		var wg sync.WaitGroup
		chans := make([]chan struct{}, 4)
		for j := range chans {
			wg.Add(1)
			go func() {
				defer wg.Done()
				chans[j] = w.get()
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.notify()
			w.notify()
		}()
		wg.Wait()
		for j, ch := range chans {
			select {
			case <-ch:
			default:
				t.Fatalf("round %d: getter %d's channel open after notify", i, j)
			}
		}
	}
}
