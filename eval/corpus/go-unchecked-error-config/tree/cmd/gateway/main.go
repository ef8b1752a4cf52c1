// Command gateway is the API gateway in front of the order services.
package main

import (
	"flag"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"example.com/gateway/internal/config"
)

func main() {
	path := flag.String("config", "/etc/gateway/config.json", "configuration file")
	flag.Parse()
	cfg, err := config.Load(*path)
	if err != nil {
		log.Fatal(err)
	}
	targets := make([]*url.URL, 0, len(cfg.Upstreams))
	for _, upstream := range cfg.Upstreams {
		target, err := url.Parse(upstream)
		if err != nil || target.Host == "" {
			log.Fatalf("upstream %q is not an absolute URL", upstream)
		}
		targets = append(targets, target)
	}
	var next uint64
	proxy := &httputil.ReverseProxy{Director: func(r *http.Request) {
		target := targets[atomic.AddUint64(&next, 1)%uint64(len(targets))] // round robin
		r.URL.Scheme, r.URL.Host, r.Host = target.Scheme, target.Host, target.Host
	}}
	handler := http.MaxBytesHandler(proxy, cfg.MaxBodyBytes)
	if cfg.RequireAuth {
		handler = requireBearer(handler)
	}
	server := &http.Server{
		Addr:              cfg.Listen,
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       time.Duration(cfg.ReadTimeoutSec) * time.Second,
	}
	log.Printf("gateway listening on %s, %d upstreams", cfg.Listen, len(targets))
	log.Fatal(server.ListenAndServe())
}

// requireBearer refuses requests without a bearer token; the upstreams validate the token itself.
func requireBearer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		if !strings.HasPrefix(auth, "Bearer ") || strings.TrimSpace(auth[len("Bearer "):]) == "" {
			w.Header().Set("WWW-Authenticate", "Bearer")
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}
