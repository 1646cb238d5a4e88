// Command httpload sends GET /v1/jobs from -c concurrent keep-alive clients for -d
// and prints the request rate (BENCHMARKS.md, "Access control").
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	addr := flag.String("addr", "http://127.0.0.1:4646", "")
	token := flag.String("token", "", "")
	d := flag.Duration("d", 10*time.Second, "")
	c := flag.Int("c", 8, "")
	flag.Parse()
	var n, bad atomic.Int64
	end := time.Now().Add(*d)
	var wg sync.WaitGroup
	tr := &http.Transport{MaxIdleConnsPerHost: *c}
	hc := &http.Client{Transport: tr}
	for i := 0; i < *c; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) {
				req, _ := http.NewRequest("GET", *addr+"/v1/jobs", nil)
				if *token != "" {
					req.Header.Set("X-Nomad-Token", *token)
				}
				resp, err := hc.Do(req)
				if err != nil {
					bad.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					bad.Add(1)
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	fmt.Printf("%d requests in %s: %.0f req/s, %d errors\n", n.Load(), *d, float64(n.Load())/d.Seconds(), bad.Load())
}
