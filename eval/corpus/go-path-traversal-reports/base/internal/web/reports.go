// Package web holds the HTTP handlers of the analytics dashboard.
package web

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
)

// ReportsHandler serves the monthly PDF reports that the batch job renders into Dir, named
// like 2024-05.pdf.
type ReportsHandler struct {
	Dir string
}

var monthPattern = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])$`)

// ServeHTTP answers GET /reports?month=2024-05.
func (h ReportsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	month := r.URL.Query().Get("month")
	if !monthPattern.MatchString(month) {
		http.Error(w, "month must look like 2024-05", http.StatusBadRequest)
		return
	}
	path := filepath.Join(h.Dir, month+".pdf")
	f, err := os.Open(path)
	if err != nil {
		http.Error(w, "no report for "+month, http.StatusNotFound)
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
