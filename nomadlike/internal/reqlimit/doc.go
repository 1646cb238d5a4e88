// Package reqlimit bounds what one HTTP request can make an agent read and
// echo: Body caps a request body (413 past the cap, without reading on when
// Content-Length already says too much) and Quote shortens user input
// quoted in an error message to a prefix and its length. The server API
// (httpapi) and the client agent's handler share it, so both answer the
// same way. Safe for concurrent use.
package reqlimit
