package httpapi_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	nomadapi "github.com/hashicorp/nomad/api"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi"
	"github.com/nomadlike/nomadlike/nomadlike/server"
)

var (
	_ httpapi.VariableBackend = (*server.Server)(nil)
	_ httpapi.IdentitySigner  = (*server.Server)(nil)
)

// TestVariablesWithNomadAPI drives /v1/var(s) and the keyring routes with
// Nomad's api package: create, read, check-and-set conflict, list with a
// prefix, a blocking read woken by a write, delete, rotate and list keys.
func TestVariablesWithNomadAPI(t *testing.T) {
	c, _ := aclAgent(t)
	vars := c.Variables()
	var created *nomadapi.Variable
	// The leader makes the first root key just after it leads.
	poll.Until(t, 10*time.Second, "a variable created", func() (bool, string) {
		var err error
		created, _, err = vars.Create(&nomadapi.Variable{Path: "app/db", Items: nomadapi.VariableItems{"password": "p1"}}, nil)
		return err == nil, fmt.Sprintf("Create = %v", err)
	})
	if created.ModifyIndex == 0 || created.CreateTime == 0 || created.Items["password"] != "p1" {
		t.Fatalf("Create = %+v", created)
	}
	got, qm, err := vars.Read("app/db", nil)
	if err != nil || got.Items["password"] != "p1" || qm.LastIndex != created.ModifyIndex {
		t.Fatalf("Read = %+v %+v %v", got, qm, err)
	}
	_, _, err = vars.CheckedCreate(&nomadapi.Variable{Path: "app/db", Items: nomadapi.VariableItems{"password": "p2"}}, nil)
	var ce nomadapi.ErrCASConflict
	if !errors.As(err, &ce) || ce.Conflict.ModifyIndex != created.ModifyIndex {
		t.Fatalf("CheckedCreate of an existing variable = %v, want ErrCASConflict", err)
	}
	if _, _, err := vars.Create(&nomadapi.Variable{Path: "other/x", Items: nomadapi.VariableItems{"a": "b"}}, nil); err != nil {
		t.Fatal(err)
	}
	metas, _, err := vars.PrefixList("app", nil)
	if err != nil || len(metas) != 1 || metas[0].Path != "app/db" {
		t.Fatalf("PrefixList(app) = %+v, %v", metas, err)
	}

	// A blocking read returns when the variable changes.
	done := make(chan *nomadapi.Variable, 1)
	go func() {
		v, _, err := vars.Read("app/db", &nomadapi.QueryOptions{WaitIndex: created.ModifyIndex, WaitTime: 10 * time.Second})
		if err != nil {
			t.Error(err)
		}
		done <- v
	}()
	updated, _, err := vars.CheckedUpdate(&nomadapi.Variable{Path: "app/db", Items: nomadapi.VariableItems{"password": "p3"}, ModifyIndex: created.ModifyIndex}, nil)
	if err != nil {
		t.Fatalf("CheckedUpdate at the right index = %v", err)
	}
	select {
	case v := <-done:
		if v == nil || v.Items["password"] != "p3" || v.ModifyIndex != updated.ModifyIndex {
			t.Fatalf("blocking Read = %+v, want p3 at %d", v, updated.ModifyIndex)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the blocking read did not return after the write")
	}

	keys, _, err := c.Keyring().List(nil)
	if err != nil || len(keys) != 1 || keys[0].State != nomadapi.RootKeyStateActive || keys[0].Algorithm != "aes256-gcm" {
		t.Fatalf("Keyring().List = %+v, %v", keys, err)
	}
	nk, _, err := c.Keyring().Rotate(nil, nil)
	if err != nil || nk.KeyID == keys[0].KeyID {
		t.Fatalf("Keyring().Rotate = %+v, %v", nk, err)
	}
	if v, _, err := vars.Read("app/db", nil); err != nil || v.Items["password"] != "p3" {
		t.Fatalf("Read after rotate = %+v, %v", v, err)
	}
	if _, err := vars.Delete("app/db", nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := vars.Read("app/db", nil); !errors.Is(err, nomadapi.ErrVariablePathNotFound) {
		t.Fatalf("Read after delete = %v, want ErrVariablePathNotFound", err)
	}
}
