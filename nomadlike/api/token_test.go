package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// TestTokenPrecedence: QueryOptions.AuthToken wins over the context's
// token (WithAuthToken), which wins over the client's; RequestToken reads
// what was sent, from either header.
func TestTokenPrecedence(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%q", api.RequestToken(r))
	}))
	t.Cleanup(srv.Close)
	c, err := api.NewClient(api.Config{Address: srv.URL, Token: "client"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cases := []struct {
		name string
		ctx  context.Context
		q    *api.QueryOptions
		want string
	}{
		{"client token", ctx, nil, "client"},
		{"context token", api.WithAuthToken(ctx, "node-secret"), nil, "node-secret"},
		{"query token", api.WithAuthToken(ctx, "node-secret"), &api.QueryOptions{AuthToken: "query"}, "query"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got string
			if _, err := c.Query(tc.ctx, "/v1/x", &got, tc.q); err != nil || got != tc.want {
				t.Errorf("token sent = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer  abc ")
	if got := api.RequestToken(r); got != "abc" {
		t.Errorf("RequestToken(Authorization: Bearer abc) = %q, want abc", got)
	}
}
