package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/hashicorp/go-hclog"
)

// TestForwardWebsocket: a client request forwarded to a node (alloc exec)
// keeps its websocket upgrade through the forwarder and the handler's
// status recorder, and messages flow both ways.
func TestForwardWebsocket(t *testing.T) {
	node := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(forwardedHeader) == "" {
			t.Errorf("the node got a request without %s", forwardedHeader)
		}
		conn, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		_, msg, err := conn.ReadMessage()
		if err != nil {
			return
		}
		_ = conn.WriteMessage(websocket.TextMessage, append([]byte("node got "), msg...))
	}))
	defer node.Close()
	f := newForwarder(hclog.NewNullLogger(), nil, nil)
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		f.forward(rec, r, strings.TrimPrefix(node.URL, "http://"), nil)
	}))
	defer server.Close()

	url := "ws" + strings.TrimPrefix(server.URL, "http") + "/v1/client/allocation/x/exec?command=%5B%22sh%22%5D"
	conn, resp, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial through the forwarder: %v (response %+v)", err, resp)
	}
	defer conn.Close()
	if err := conn.WriteMessage(websocket.TextMessage, []byte(`{"stdin":{"data":"aGk="}}`)); err != nil {
		t.Fatal(err)
	}
	_, msg, err := conn.ReadMessage()
	if err != nil || string(msg) != `node got {"stdin":{"data":"aGk="}}` {
		t.Fatalf("reply through the forwarder = %q, %v", msg, err)
	}
}
