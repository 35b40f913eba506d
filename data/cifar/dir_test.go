package cifar

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// isolate points the user cache directory at a new temporary directory, unsets
// KESTREL_DATA and returns the default CIFAR-10 directory.
func isolate(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, "cache"))
	t.Setenv("LocalAppData", filepath.Join(home, "cache"))
	t.Setenv(EnvData, "")
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(cache, "kestrel", DirName)
}

func TestDefaultDir(t *testing.T) {
	def := isolate(t)
	if d, err := DefaultDir("/data/x"); err != nil || d != "/data/x" {
		t.Errorf("DefaultDir(explicit) = %q, %v; want /data/x", d, err)
	}
	if d, err := DefaultDir(""); err != nil || d != def {
		t.Errorf("DefaultDir(\"\") = %q, %v; want %q", d, err, def)
	}
	t.Setenv(EnvData, "/env/cifar")
	if d, err := DefaultDir(""); err != nil || d != "/env/cifar" {
		t.Errorf("DefaultDir with $%s = %q, %v; want /env/cifar", EnvData, d, err)
	}
	if d, err := DefaultDir("/data/x"); err != nil || d != "/data/x" {
		t.Errorf("explicit does not win over $%s: %q, %v", EnvData, d, err)
	}
}

func TestEnsureUserDirs(t *testing.T) {
	isolate(t)
	archive := buildArchive(t, goodMembers())
	srv := newServer(t, archive, nil)
	opts := DownloadOptions{URL: srv.URL, SHA256: sha(archive), Client: srv.Client()}
	ctx := context.Background()

	// a complete user directory is returned as is.
	full := t.TempDir()
	writeDataset(t, full, testRecords)
	if d, err := ensure(ctx, full, true, opts, testRecords); err != nil || d != full {
		t.Errorf("ensure(full) = %q, %v; want %q", d, err, full)
	}
	t.Setenv(EnvData, full)
	if d, err := ensure(ctx, "", true, opts, testRecords); err != nil || d != full {
		t.Errorf("ensure with $%s = %q, %v; want %q", EnvData, d, err, full)
	}

	// an incomplete one is an error and is never downloaded into.
	part := t.TempDir()
	writeDataset(t, part, testRecords)
	os.Remove(filepath.Join(part, "data_batch_4.bin"))
	_, err := ensure(ctx, part, true, opts, testRecords)
	checkOneLine(t, err, filepath.Join(part, "data_batch_4.bin"), "missing",
		"never downloaded into")
	t.Setenv(EnvData, part)
	_, err = ensure(ctx, "", true, opts, testRecords)
	checkOneLine(t, err, "data_batch_4.bin", "never downloaded into")
	if srv.hits.Load() != 0 {
		t.Errorf("%d requests for user directories, want 0", srv.hits.Load())
	}
	if got := entries(t, part); len(got) != 6 {
		t.Errorf("user directory changed: %q", got)
	}

	// wrong sizes are reported.
	writeFile(t, full, testFile, batchBytes(6, testRecords+1))
	_, err = ensure(ctx, full, false, opts, testRecords)
	checkOneLine(t, err, testFile, "size 12292 bytes, want 9219")
}

func TestEnsureCache(t *testing.T) {
	def := isolate(t)
	archive := buildArchive(t, goodMembers())
	srv := newServer(t, archive, nil)
	opts := DownloadOptions{URL: srv.URL, SHA256: sha(archive), Client: srv.Client()}
	ctx := context.Background()

	// without permission to download, a missing cache is an error.
	_, err := ensure(ctx, "", false, opts, testRecords)
	checkOneLine(t, err, def, "not in the cache", "--data DIR")
	if _, err := os.Stat(def); err == nil || srv.hits.Load() != 0 {
		t.Errorf("cache created or server asked without permission to download")
	}

	// with it, the archive is fetched once and reused afterwards.
	for i := 0; i < 2; i++ {
		d, err := ensure(ctx, "", true, opts, testRecords)
		if err != nil || d != def {
			t.Fatalf("ensure #%d = %q, %v; want %q", i, d, err, def)
		}
	}
	if srv.hits.Load() != 1 {
		t.Errorf("%d requests, want 1", srv.hits.Load())
	}
	if _, _, err := load(def, testRecords); err != nil {
		t.Error(err)
	}

	// a failed download leaves the cache as it was.
	os.Remove(filepath.Join(def, "data_batch_2.bin"))
	opts.SHA256 = sha([]byte("other"))
	_, err = ensure(ctx, "", true, opts, testRecords)
	checkOneLine(t, err, "SHA-256", srv.URL)
	if got := entries(t, filepath.Dir(def)); len(got) != 1 || got[0] != DirName {
		t.Errorf("cache holds %q after a failed download, want only %s", got, DirName)
	}
}
