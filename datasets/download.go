package datasets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"os"
	"path/filepath"
	"time"
)

// CacheEnv names the environment variable that overrides the default cache directory.
const CacheEnv = "ACOER_DATASETS_CACHE"

// DefaultCacheDir returns the dataset cache directory: $ACOER_DATASETS_CACHE when set, else
// $XDG_CACHE_HOME/acoer-bench/datasets, else ~/.cache/acoer-bench/datasets (else a directory under
// the system temp dir when there is no home).
func DefaultCacheDir() string {
	if d := os.Getenv(CacheEnv); d != "" {
		return d
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "acoer-bench", "datasets")
	}
	if h, err := os.UserHomeDir(); err == nil && h != "" {
		return filepath.Join(h, ".cache", "acoer-bench", "datasets")
	}
	return filepath.Join(os.TempDir(), "acoer-bench", "datasets")
}

// CachePath is where the cache in dir keeps dataset name: dir/name/test.jsonl.
func CachePath(dir, name string) string { return filepath.Join(dir, name, "test.jsonl") }

// MaxDownloadBytes bounds a download (the largest known file is about 4 MB).
const MaxDownloadBytes = 256 << 20

// DownloadError is a failed download (network, HTTP status, size or checksum). The CLI maps it to a
// runtime failure.
type DownloadError struct {
	Name, URL string
	Err       error
}

func (e *DownloadError) Error() string {
	return fmt.Sprintf("download %s from %s: %v", e.Name, e.URL, e.Err)
}
func (e *DownloadError) Unwrap() error { return e.Err }

// ErrChecksum is wrapped by a DownloadError whose body did not hash to the registry's sha256.
var ErrChecksum = errors.New("sha256 mismatch")

// Downloader fetches known datasets into a cache. The zero value works: default client with a
// 5-minute limit, DefaultBaseURL, DefaultCacheDir().
type Downloader struct {
	// Client does the requests (nil = a client with a 5-minute timeout).
	Client *http.Client
	// BaseURL replaces DefaultBaseURL (a mirror with the same repo/commit/path layout, or a test server).
	BaseURL string
	// CacheDir is the cache directory ("" = DefaultCacheDir()).
	CacheDir string
}

func (d *Downloader) client() *http.Client {
	if d.Client != nil {
		return d.Client
	}
	return &http.Client{Timeout: 5 * time.Minute}
}

func (d *Downloader) dir() string {
	if d.CacheDir != "" {
		return d.CacheDir
	}
	return DefaultCacheDir()
}

// Cached reports whether e is in the cache with the right sha256 (and the file's path either way).
func (d *Downloader) Cached(e Entry) (string, bool, error) {
	path := CachePath(d.dir(), e.Name)
	sum, err := fileSHA256(path)
	if err != nil {
		return path, false, err
	}
	return path, sum == e.SHA256, nil
}

// Fetch downloads e into the cache unless it is already there with the right sha256, and returns the
// cached file's path. The body is written to a temp file in the target directory while it is hashed;
// only a complete body (Content-Length honoured) with the expected sha256 is fsynced and renamed into
// place, so a failure (HTTP error, truncated body, wrong checksum, cancelled context) leaves neither a
// partial file nor a temp file (nor a dataset directory it created) behind, and an older cached file
// is replaced only by a good one.
func (d *Downloader) Fetch(ctx context.Context, e Entry) (string, error) {
	if path, ok, _ := d.Cached(e); ok {
		return path, nil
	}
	path := CachePath(d.dir(), e.Name)
	url := e.URL(d.BaseURL)
	dir := filepath.Dir(path)
	_, statErr := os.Stat(dir)
	fail := func(err error) (string, error) {
		if statErr != nil {
			os.Remove(dir) // we made it; removes nothing unless it is still empty
		}
		return "", &DownloadError{Name: e.Name, URL: url, Err: err}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("dataset cache: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fail(err)
	}
	resp, err := d.client().Do(req)
	if err != nil {
		var ue *neturl.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is in the DownloadError already
		}
		return fail(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fail(fmt.Errorf("HTTP %s", resp.Status))
	}
	if resp.ContentLength > MaxDownloadBytes {
		return fail(fmt.Errorf("body of %d bytes is over the %d-byte limit", resp.ContentLength, MaxDownloadBytes))
	}
	if err := writeVerified(path, io.LimitReader(resp.Body, MaxDownloadBytes+1), resp.ContentLength, e.SHA256); err != nil {
		return fail(err)
	}
	return path, nil
}

// writeVerified copies r to path atomically: temp file in the same directory, size and sha256
// checked, fsync, rename, directory fsync. On any error the temp file is removed.
func writeVerified(path string, r io.Reader, wantLen int64, wantSHA string) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), r)
	if err != nil {
		return fmt.Errorf("after %d bytes: %w", n, err)
	}
	if n > MaxDownloadBytes {
		return fmt.Errorf("body is over the %d-byte limit", MaxDownloadBytes)
	}
	if wantLen >= 0 && n != wantLen {
		return fmt.Errorf("truncated body: got %d bytes, Content-Length %d", n, wantLen)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != wantSHA {
		return fmt.Errorf("%w: got %s, want %s (%d bytes)", ErrChecksum, got, wantSHA, n)
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if dir, derr := os.Open(filepath.Dir(path)); derr == nil {
		dir.Sync() // best effort: make the rename durable
		dir.Close()
	}
	return nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
