package checks

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// prober runs one check once; ctx carries the check's timeout.
type prober interface {
	probe(ctx context.Context) Result
	close()
}

type tcpProbe struct{ addr string }

func (p *tcpProbe) probe(ctx context.Context) Result {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return Result{Status: StatusCritical, Output: err.Error()}
	}
	_ = conn.Close()
	return Result{Status: StatusPassing, Output: "TCP connect " + p.addr + ": Success"}
}

func (p *tcpProbe) close() {}

// grpcProbe keeps one client connection between runs.
type grpcProbe struct {
	addr, service string
	tlsConf       *tls.Config

	mu   sync.Mutex
	conn *grpc.ClientConn
}

func (p *grpcProbe) client() (healthpb.HealthClient, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn == nil {
		creds := insecure.NewCredentials()
		if p.tlsConf != nil {
			creds = credentials.NewTLS(p.tlsConf)
		}
		conn, err := grpc.NewClient(p.addr, grpc.WithTransportCredentials(creds))
		if err != nil {
			return nil, err
		}
		p.conn = conn
	}
	return healthpb.NewHealthClient(p.conn), nil
}

func (p *grpcProbe) probe(ctx context.Context) Result {
	c, err := p.client()
	if err != nil {
		return Result{Status: StatusCritical, Output: err.Error()}
	}
	resp, err := c.Check(ctx, &healthpb.HealthCheckRequest{Service: p.service})
	if err != nil {
		return Result{Status: StatusCritical, Output: "gRPC health check " + p.addr + ": " + err.Error()}
	}
	st := StatusCritical
	if resp.GetStatus() == healthpb.HealthCheckResponse_SERVING {
		st = StatusPassing
	}
	return Result{Status: st, Output: fmt.Sprintf("gRPC health check %s/%s: %s", p.addr, p.service, resp.GetStatus())}
}

func (p *grpcProbe) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn != nil {
		_ = p.conn.Close()
		p.conn = nil
	}
}

// scriptProbe runs a command inside the task: exit 0 passing, 1 warning,
// anything else critical.
type scriptProbe struct {
	tasks   Tasks
	task    string
	cmd     []string
	timeout time.Duration
}

func (p *scriptProbe) probe(ctx context.Context) Result {
	res, err := p.tasks.Exec(ctx, p.task, p.cmd, p.timeout)
	if err != nil {
		return Result{Status: StatusCritical, Output: err.Error()}
	}
	out := append(append([]byte{}, res.Stdout...), res.Stderr...)
	if len(out) > maxOutput {
		out = out[:maxOutput]
	}
	st := StatusCritical
	switch res.ExitCode {
	case 0:
		st = StatusPassing
	case 1:
		st = StatusWarning
	}
	return Result{Status: st, StatusCode: res.ExitCode, Output: string(bytes.TrimSpace(out))}
}

func (p *scriptProbe) close() {}
