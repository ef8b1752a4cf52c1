// Package web holds the HTTP handlers of the analytics dashboard.
package web

import (
	"net/http"
	"os"
	"path/filepath"
)

// ReportsHandler serves the PDF reports that the batch jobs render into Dir: the monthly ones
// (2024-05.pdf) and, since the per-team jobs, team reports in sub-folders (teams/payments/2024-05.pdf).
type ReportsHandler struct {
	Dir string
}

// ServeHTTP answers GET /reports?name=2024-05.pdf or ?name=teams/payments/2024-05.pdf.
func (h ReportsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := r.URL.Query().Get("name")
	if name == "" {
		http.Error(w, "name is required", http.StatusBadRequest)
		return
	}
	path := filepath.Join(h.Dir, name)
	f, err := os.Open(path)
	if err != nil {
		http.Error(w, "no report named "+name, http.StatusNotFound)
		return
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		http.Error(w, "report unreadable", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	http.ServeContent(w, r, info.Name(), info.ModTime(), f)
}
