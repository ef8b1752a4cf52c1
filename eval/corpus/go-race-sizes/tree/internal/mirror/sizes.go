// Package mirror keeps a local copy of the artifact store in sync.
package mirror

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
)

// parallelHeads bounds the requests in flight; the store rate-limits clients above 32.
const parallelHeads = 16

// Store answers HEAD requests for artifacts under BaseURL.
type Store struct {
	BaseURL string
	Client  *http.Client
}

// Size is the Content-Length the store reports for one artifact.
func (s *Store) Size(ctx context.Context, name string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, s.BaseURL+"/"+name, nil)
	if err != nil {
		return 0, err
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%s: %s", name, resp.Status)
	}
	return strconv.ParseInt(resp.Header.Get("Content-Length"), 10, 64)
}

// Sizes asks the store for the size of every artifact, up to parallelHeads requests at a time (a
// walk of the whole store took minutes one by one). The first failure is returned.
func (s *Store) Sizes(ctx context.Context, names []string) (map[string]int64, error) {
	sizes := make(map[string]int64, len(names))
	errs := make(chan error, len(names))
	slots := make(chan struct{}, parallelHeads)
	var wg sync.WaitGroup
	for _, name := range names {
		wg.Add(1)
		go func(name string) {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			size, err := s.Size(ctx, name)
			if err != nil {
				errs <- err
				return
			}
			sizes[name] = size
		}(name)
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	return sizes, nil
}
