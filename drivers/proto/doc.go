// Package proto holds the gRPC protocol between a client agent and a driver
// plugin: driver.proto and the code protoc generates from it, committed.
// Regenerate with `go generate ./drivers/proto` (needs protoc, protoc-gen-go
// and protoc-gen-go-grpc on PATH).
package proto

//go:generate protoc --go_out=. --go_opt=paths=source_relative --go-grpc_out=. --go-grpc_opt=paths=source_relative driver.proto
