package fsm

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
)

func TestEncodeIsTypeByteAndJSON(t *testing.T) {
	req := &EvalUpdateRequest{Evals: []*nomadlike.Evaluation{{ID: "e1", StatusDescription: "a <b> & \"c\"\n"}}}
	got, err := Encode(EvalUpdateRequestType, req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(req)
	want := append([]byte{byte(EvalUpdateRequestType)}, body...)
	if !bytes.Equal(got, want) {
		t.Errorf("Encode = %q, want %q", got, want)
	}
}
