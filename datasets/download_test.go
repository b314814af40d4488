package datasets

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var testBody = []byte(`{"question": "What is 1+1?", "answer": "1+1=2\n#### 2"}` + "\n" + `{"question": "And 2,000+1?", "answer": "#### 2,001"}` + "\n")

// testEntry is a registry row pointing at the test server's /o/r/c/test.jsonl.
func testEntry(body []byte) Entry {
	return Entry{Name: "tiny", Kind: KindGSM8K, Records: 2, SHA256: sha256Hex(body), Repo: "o/r", Commit: "c", Path: "test.jsonl"}
}

// dirFiles lists every file under dir (relative paths), temp files included.
func dirFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			r, _ := filepath.Rel(dir, p)
			out = append(out, r)
		}
		return nil
	})
	return out
}

func TestFetch(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path != "/o/r/c/test.jsonl" {
			http.NotFound(w, r)
			return
		}
		w.Write(testBody)
	}))
	defer srv.Close()
	dir := t.TempDir()
	d := &Downloader{Client: srv.Client(), BaseURL: srv.URL, CacheDir: dir}
	e := testEntry(testBody)
	path, err := d.Fetch(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dir, "tiny", "test.jsonl") {
		t.Errorf("path %s", path)
	}
	if b, _ := os.ReadFile(path); string(b) != string(testBody) {
		t.Errorf("content %q", b)
	}
	if _, err := d.Fetch(context.Background(), e); err != nil || hits.Load() != 1 {
		t.Errorf("second fetch: err %v, %d requests (want 1: cached)", err, hits.Load())
	}
	if got := dirFiles(t, dir); len(got) != 1 {
		t.Errorf("files left: %v", got)
	}
	if _, ok, err := d.Cached(e); !ok || err != nil {
		t.Errorf("Cached: %v %v", ok, err)
	}
}

func TestFetchFailuresLeaveNothing(t *testing.T) {
	good := testBody
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/o/r/c/wrong.jsonl": // right size, other bytes
			w.Write([]byte(strings.ToUpper(string(good))))
		case "/o/r/c/truncated.jsonl": // announces more than it sends
			w.Header().Set("Content-Length", "1000")
			w.Write(good[:10])
		case "/o/r/c/slow.jsonl":
			w.Header().Set("Content-Length", "1000")
			w.Write(good[:5])
			w.(http.Flusher).Flush()
			select {
			case <-release:
			case <-r.Context().Done():
			}
		case "/o/r/c/error.jsonl":
			http.Error(w, "boom", http.StatusInternalServerError)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	defer close(release)
	tests := []struct {
		path, msg string
		timeout   time.Duration
	}{
		{"wrong.jsonl", "sha256 mismatch", 0},
		{"truncated.jsonl", "unexpected EOF", 0},
		{"missing.jsonl", "404", 0},
		{"error.jsonl", "500", 0},
		{"slow.jsonl", "context deadline exceeded", 200 * time.Millisecond},
	}
	for _, tt := range tests {
		for _, stale := range []bool{false, true} {
			dir := t.TempDir()
			e := testEntry(good)
			e.Path = tt.path
			cached := CachePath(dir, e.Name)
			if stale { // an older, damaged file is in the cache: a failed fetch must leave it as it was
				os.MkdirAll(filepath.Dir(cached), 0o755)
				os.WriteFile(cached, []byte("old"), 0o644)
			}
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			d := &Downloader{Client: srv.Client(), BaseURL: srv.URL, CacheDir: dir}
			_, err := d.Fetch(ctx, e)
			var de *DownloadError
			if !errors.As(err, &de) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("%s: got %v, want a DownloadError with %q", tt.path, err, tt.msg)
			}
			if tt.path == "wrong.jsonl" && !errors.Is(err, ErrChecksum) {
				t.Errorf("%s: not ErrChecksum: %v", tt.path, err)
			}
			files := dirFiles(t, dir)
			if stale {
				if b, _ := os.ReadFile(cached); len(files) != 1 || string(b) != "old" {
					t.Errorf("%s: stale cache disturbed: %v %q", tt.path, files, b)
				}
			} else if left, _ := os.ReadDir(dir); len(left) != 0 {
				t.Errorf("%s: left behind: %v %v", tt.path, files, left)
			}
		}
	}
}

func TestLoadDownloadsIntoCache(t *testing.T) {
	// Swap a test row into the registry for the duration of the test.
	e := testEntry(testBody)
	registry = append(registry, e)
	defer func() { registry = registry[:len(registry)-1] }()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write(testBody)
	}))
	defer srv.Close()
	dir := t.TempDir()
	spec := Spec{Name: "tiny", CacheDir: dir, Downloader: &Downloader{Client: srv.Client(), BaseURL: srv.URL}}
	ps, info, err := Load(spec)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || ps[1].Gold != "2001" || info.Source != "download" || !info.Verified || info.SHA256 != e.SHA256 || info.Origin != "o/r@c:test.jsonl" {
		t.Fatalf("got %+v %+v", ps, info)
	}
	_, info, err = Load(spec)
	if err != nil || info.Source != "cache" || hits.Load() != 1 {
		t.Fatalf("second load: %v %+v, %d requests", err, info, hits.Load())
	}
	// A damaged cache file is fetched again, or refused offline.
	os.WriteFile(CachePath(dir, "tiny"), []byte("damaged"), 0o644)
	if _, _, err := Load(Spec{Name: "tiny", CacheDir: dir, Offline: true}); err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Errorf("offline damaged: %v", err)
	}
	if _, info, err = Load(spec); err != nil || info.Source != "download" || hits.Load() != 2 {
		t.Errorf("damaged: %v %+v", err, info)
	}
	// A file of a known dataset given by path is recognised by its checksum.
	_, info, err = Load(Spec{Name: "other", Kind: KindGSM8K, Path: CachePath(dir, "tiny")})
	if err != nil || !info.Verified || info.Origin == "" {
		t.Errorf("by path: %v %+v", err, info)
	}
}

func TestDefaultCacheDir(t *testing.T) {
	t.Setenv(CacheEnv, "")
	t.Setenv("XDG_CACHE_HOME", "/xdg")
	if got := DefaultCacheDir(); got != "/xdg/acoer-bench/datasets" {
		t.Errorf("xdg: %s", got)
	}
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("HOME", "/home/u")
	if got := DefaultCacheDir(); got != "/home/u/.cache/acoer-bench/datasets" {
		t.Errorf("home: %s", got)
	}
	t.Setenv(CacheEnv, "/mine")
	if got := DefaultCacheDir(); got != "/mine" {
		t.Errorf("env: %s", got)
	}
}
