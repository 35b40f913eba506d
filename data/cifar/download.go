package cifar

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

const (
	// DefaultURL is the official CIFAR-10 binary archive.
	DefaultURL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"

	// DefaultSHA256 is the SHA-256 of the official archive, lowercase hex.
	DefaultSHA256 = "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd"

	// DefaultSize is the size of the official archive in bytes.
	DefaultSize = 170052171
)

// DownloadOptions configures Download. The zero value fetches the official
// archive with http.DefaultClient.
type DownloadOptions struct {
	// URL is the archive to fetch; default DefaultURL.
	URL string

	// SHA256 is the expected SHA-256 of the archive in hex; default DefaultSHA256.
	SHA256 string

	// Size is the expected archive size in bytes. Zero means DefaultSize when
	// SHA256 is the default, otherwise unknown (the checksum still covers it).
	Size int64

	// Client performs the request; default http.DefaultClient.
	Client *http.Client

	// Progress, when not nil, is called after each chunk with the bytes
	// received so far and the total, -1 when unknown.
	Progress func(done, total int64)
}

// withDefaults returns o with its defaults filled in, or an error for a
// malformed checksum or negative size.
func (o DownloadOptions) withDefaults() (DownloadOptions, error) {
	if o.URL == "" {
		o.URL = DefaultURL
	}
	if o.SHA256 == "" {
		o.SHA256 = DefaultSHA256
	}
	o.SHA256 = strings.ToLower(o.SHA256)
	if b, err := hex.DecodeString(o.SHA256); err != nil || len(b) != sha256.Size {
		return o, fmt.Errorf("cifar: DownloadOptions.SHA256 %q is not 64 hex digits; "+
			"leave it empty for the official archive", o.SHA256)
	}
	if o.Size == 0 && o.SHA256 == DefaultSHA256 {
		o.Size = DefaultSize
	}
	if o.Size < 0 {
		return o, fmt.Errorf("cifar: DownloadOptions.Size %d is negative; "+
			"use 0 for the default", o.Size)
	}
	if o.Client == nil {
		o.Client = http.DefaultClient
	}
	return o, nil
}

// manualAdvice ends download errors that retrying may not fix.
func manualAdvice(url string) string {
	return fmt.Sprintf("retry, or download %s manually, extract it and pass --data DIR", url)
}

// Download fetches the CIFAR-10 archive from opts.URL into cacheDir, verifies
// its size and SHA-256, extracts it to filepath.Join(cacheDir, DirName) and
// returns that directory.
//
// If that directory already holds every file with the right size, Download
// returns it at once without a request. Otherwise the archive is streamed to
// a temporary file in cacheDir and hashed; nothing is extracted unless size
// and checksum match. Extraction writes only the expected files (readme.html
// is skipped) into a temporary directory next to the final one, which is then
// renamed into place; an incomplete directory already there is replaced. The
// archive is removed afterwards, and on any error nothing new is left behind.
//
// The archive must hold exactly the members of the official one: the
// directory DirName and, inside it, the six batch files, batches.meta.txt and
// optionally readme.html. Any other member, a duplicate, a link, a device, a
// path outside DirName or a batch of the wrong size is an error.
func Download(ctx context.Context, cacheDir string, opts DownloadOptions) (dir string, err error) {
	return download(ctx, cacheDir, opts, BatchRecords)
}

// download is Download with records records per batch file.
func download(ctx context.Context, cacheDir string, opts DownloadOptions,
	records int) (string, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return "", err
	}
	final := filepath.Join(cacheDir, DirName)
	if checkDir(final, records) == nil {
		return final, nil
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", fmt.Errorf("cifar: creating the cache directory: %w; "+
			"set %s or pass --data DIR", err, EnvData)
	}

	archive, err := fetch(ctx, cacheDir, opts)
	if err != nil {
		return "", err
	}
	defer os.Remove(archive)

	if err := extract(archive, opts.URL, cacheDir, records); err != nil {
		return "", err
	}
	return final, nil
}

// fetch downloads opts.URL to a new temporary file in cacheDir, checks its size
// and SHA-256, and returns its path. On error no file is left behind.
func fetch(ctx context.Context, cacheDir string, opts DownloadOptions) (path string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, opts.URL, nil)
	if err != nil {
		return "", fmt.Errorf("cifar: bad download URL: %w; fix DownloadOptions.URL", err)
	}
	resp, err := opts.Client.Do(req)
	if err != nil {
		return "", fmt.Errorf("cifar: download failed: %w; %s", err, manualAdvice(opts.URL))
	}
	defer resp.Body.Close()

	// refuse a wrong status or a size the server already gets wrong.
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("cifar: download of %s: server answered %q; %s",
			opts.URL, resp.Status, manualAdvice(opts.URL))
	}
	total := opts.Size
	if total == 0 {
		total = resp.ContentLength
	}
	if opts.Size > 0 && resp.ContentLength >= 0 && resp.ContentLength != opts.Size {
		return "", fmt.Errorf("cifar: download of %s: server reports %d bytes, want %d "+
			"(wrong file); %s", opts.URL, resp.ContentLength, opts.Size, manualAdvice(opts.URL))
	}

	f, err := os.CreateTemp(cacheDir, ".cifar-10-binary-*.tar.gz.part")
	if err != nil {
		return "", fmt.Errorf("cifar: creating the download file: %w; "+
			"set %s or pass --data DIR", err, EnvData)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()

	// stream to the file while hashing; never read more than one byte too many.
	body := io.Reader(resp.Body)
	if opts.Size > 0 {
		body = io.LimitReader(resp.Body, opts.Size+1)
	}
	h := sha256.New()
	prog := &progress{fn: opts.Progress, total: total}
	n, err := io.Copy(io.MultiWriter(f, h, prog), body)
	if err != nil {
		return "", fmt.Errorf("cifar: download of %s failed after %d bytes: %w; %s",
			opts.URL, n, err, manualAdvice(opts.URL))
	}

	// check size and checksum before anything is extracted.
	if opts.Size > 0 && n != opts.Size {
		return "", fmt.Errorf("cifar: download of %s: got %d bytes, want %d "+
			"(truncated or wrong file, removed); %s", opts.URL, n, opts.Size,
			manualAdvice(opts.URL))
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != opts.SHA256 {
		return "", fmt.Errorf("cifar: download of %s: SHA-256 %s, want %s "+
			"(corrupt or wrong file, removed); %s", opts.URL, got, opts.SHA256,
			manualAdvice(opts.URL))
	}

	if err = f.Sync(); err == nil {
		err = f.Close()
	}
	if err != nil {
		return "", fmt.Errorf("cifar: writing the download file: %w; "+
			"free disk space and retry", err)
	}
	return f.Name(), nil
}

// progress is a writer that counts bytes and reports them to fn.
type progress struct {
	fn          func(done, total int64)
	done, total int64
}

func (p *progress) Write(b []byte) (int, error) {
	p.done += int64(len(b))
	if p.fn != nil {
		p.fn(p.done, p.total)
	}
	return len(b), nil
}
