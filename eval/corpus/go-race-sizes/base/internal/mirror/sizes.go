// Package mirror keeps a local copy of the artifact store in sync.
package mirror

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
)

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

// Sizes asks the store for the size of every artifact; the first failure ends the walk.
func (s *Store) Sizes(ctx context.Context, names []string) (map[string]int64, error) {
	sizes := make(map[string]int64, len(names))
	for _, name := range names {
		size, err := s.Size(ctx, name)
		if err != nil {
			return nil, err
		}
		sizes[name] = size
	}
	return sizes, nil
}
