// Package ui is the agent's web UI, served at /ui/: server-rendered HTML
// (html/template) with one small script of its own (assets/ui.js) for live
// updates, log following and the token form. Everything is embedded in the
// binary; the pages fetch nothing from outside the agent.
//
// Every page reads the cluster through nomadlike/api, with the user's own
// token, against the agent's HTTP API handler called in process (see
// transport.go): the same routes, ACL checks and forwarding as a request
// from the CLI, so the UI can never show what the token could not read
// through the API. The UI itself stores nothing but the token, in an
// HttpOnly SameSite=Strict cookie (session.go); action buttons are POST
// forms with a CSRF token and an Origin check.
//
// Lists are paged and filtered by the API (per_page, next_token, filter):
// the browser never holds a whole list, which keeps the jobs page fast
// with 10,000 jobs. A page updates itself without reload: ui.js asks for
// the page's main fragment again with ?index=N, which the handler answers
// after a blocking query on the page's data passes that raft index.
package ui
