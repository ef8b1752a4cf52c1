// Package health polls the services listed in the deployment manifest and reports which are up.
package health

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// Status is the result of one probe.
type Status struct {
	Name    string
	URL     string
	Up      bool
	Code    int
	Latency time.Duration
	Err     string
}

// Checker probes every endpoint once per Interval for as long as the process runs.
type Checker struct {
	Client   *http.Client
	Interval time.Duration
}

// Probe asks one endpoint for its health page; any 2xx answer counts as up.
func (c *Checker) Probe(ctx context.Context, name, url string) Status {
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return Status{Name: name, URL: url, Err: fmt.Sprintf("bad url: %v", err)}
	}
	resp, err := c.Client.Do(req)
	if err != nil {
		return Status{Name: name, URL: url, Latency: time.Since(start), Err: err.Error()}
	}
	return Status{
		Name:    name,
		URL:     url,
		Up:      resp.StatusCode >= 200 && resp.StatusCode < 300,
		Code:    resp.StatusCode,
		Latency: time.Since(start),
	}
}

// Run probes all endpoints every Interval and sends each round's results to out until ctx ends.
func (c *Checker) Run(ctx context.Context, endpoints map[string]string, out chan<- []Status) {
	ticker := time.NewTicker(c.Interval)
	defer ticker.Stop()
	for {
		round := make([]Status, 0, len(endpoints))
		for name, url := range endpoints {
			round = append(round, c.Probe(ctx, name, url))
		}
		select {
		case out <- round:
		case <-ctx.Done():
			return
		}
		select {
		case <-ticker.C:
		case <-ctx.Done():
			return
		}
	}
}
