package cifar

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync/atomic"
	"testing"
)

// testRecords is the number of records per batch in test archives.
const testRecords = 3

// member is one entry of a test archive.
type member struct {
	name string
	typ  byte
	body []byte
	link string
}

// goodMembers returns the members of an official-like archive with small batches.
func goodMembers() []member {
	ms := []member{{name: DirName + "/", typ: tar.TypeDir}}
	for _, name := range append(trainFiles[:], testFile) {
		ms = append(ms, member{name: DirName + "/" + name, typ: tar.TypeReg,
			body: batchBytes(batchSeeds[name], testRecords)})
	}
	return append(ms,
		member{name: DirName + "/" + metaFile, typ: tar.TypeReg, body: metaText()},
		member{name: DirName + "/" + readmeFile, typ: tar.TypeReg, body: []byte("<html>")})
}

// without returns ms without the member named name.
func without(ms []member, name string) []member {
	var out []member
	for _, m := range ms {
		if m.name != name {
			out = append(out, m)
		}
	}
	return out
}

// plus returns a new slice holding ms then m.
func plus(ms []member, m member) []member {
	return append(append([]member(nil), ms...), m)
}

// replaced returns ms with the member named m.name replaced by m.
func replaced(ms []member, m member) []member {
	return append(without(ms, m.name), m)
}

// buildArchive returns ms as a gzip'd tar.
func buildArchive(t *testing.T, ms []member) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, m := range ms {
		hdr := &tar.Header{Name: m.name, Typeflag: m.typ, Linkname: m.link, Mode: 0o644,
			Size: int64(len(m.body)), Format: tar.FormatGNU}
		if m.typ != tar.TypeReg {
			hdr.Size = 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(m.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sha returns the SHA-256 of b in hex.
func sha(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// server serves body at every path and counts requests. handler, when not nil,
// replaces the default one.
type server struct {
	*httptest.Server
	hits atomic.Int64
}

func newServer(t *testing.T, body []byte, handler http.HandlerFunc) *server {
	s := &server{}
	if handler == nil {
		handler = func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.Write(body)
		}
	}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter,
		r *http.Request) {
		s.hits.Add(1)
		handler(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// entries lists the names in dir.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func TestDownloadGood(t *testing.T) {
	archive := buildArchive(t, goodMembers())
	srv := newServer(t, archive, nil)
	cache := filepath.Join(t.TempDir(), "cache")

	var last, total int64
	opts := DownloadOptions{URL: srv.URL + "/a.tar.gz", SHA256: sha(archive),
		Size: int64(len(archive)), Client: srv.Client(),
		Progress: func(d, n int64) { last, total = d, n }}
	dir, err := download(context.Background(), cache, opts, testRecords)
	if err != nil {
		t.Fatal(err)
	}
	if dir != filepath.Join(cache, DirName) {
		t.Errorf("dir %s, want %s", dir, filepath.Join(cache, DirName))
	}
	if last != int64(len(archive)) || total != int64(len(archive)) {
		t.Errorf("last progress %d/%d, want %d/%d", last, total, len(archive), len(archive))
	}

	// only the final directory remains, holding the six batches and the class list.
	if got := entries(t, cache); len(got) != 1 || got[0] != DirName {
		t.Errorf("cache holds %q, want only %s", got, DirName)
	}
	want := []string{metaFile, "data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
		"data_batch_4.bin", "data_batch_5.bin", testFile}
	sort.Strings(want)
	if got := entries(t, dir); joinNames(got) != joinNames(want) {
		t.Errorf("extracted %q, want %q", got, want)
	}
	train, test, err := load(dir, testRecords)
	if err != nil {
		t.Fatal(err)
	}
	for k, name := range trainFiles {
		checkGenerated(t, train, k*testRecords, batchSeeds[name], testRecords)
	}
	checkGenerated(t, test, 0, batchSeeds[testFile], testRecords)

	// a complete directory is returned without a request, even with a broken server.
	srv.Close()
	again, err := download(context.Background(), cache, opts, testRecords)
	if err != nil || again != dir || srv.hits.Load() != 1 {
		t.Errorf("second download: %q, %v, %d requests; want %q, nil, 1", again, err,
			srv.hits.Load(), dir)
	}
}

// joinNames joins names with commas.
func joinNames(names []string) string {
	var b bytes.Buffer
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(n)
	}
	return b.String()
}

func TestDownloadDefaultSize(t *testing.T) {
	// with a custom checksum and no size, the server's length is the progress total.
	archive := buildArchive(t, goodMembers())
	srv := newServer(t, archive, nil)
	cache := t.TempDir()
	var total int64
	opts := DownloadOptions{URL: srv.URL, SHA256: sha(archive), Client: srv.Client(),
		Progress: func(_, n int64) { total = n }}
	if _, err := download(context.Background(), cache, opts, testRecords); err != nil {
		t.Fatal(err)
	}
	if total != int64(len(archive)) {
		t.Errorf("progress total %d, want %d", total, len(archive))
	}

	// the official checksum brings the official size.
	o, err := DownloadOptions{}.withDefaults()
	if err != nil || o.URL != DefaultURL || o.SHA256 != DefaultSHA256 ||
		o.Size != DefaultSize || o.Client != http.DefaultClient {
		t.Errorf("defaults %+v, %v", o, err)
	}
	_, err = DownloadOptions{SHA256: "abc"}.withDefaults()
	checkOneLine(t, err, "SHA256", "64 hex digits")
}

func TestDownloadReplacesIncomplete(t *testing.T) {
	archive := buildArchive(t, goodMembers())
	srv := newServer(t, archive, nil)
	cache := t.TempDir()
	old := filepath.Join(cache, DirName)
	if err := os.Mkdir(old, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, old, "data_batch_1.bin", []byte("partial"))

	opts := DownloadOptions{URL: srv.URL, SHA256: sha(archive), Client: srv.Client()}
	dir, err := download(context.Background(), cache, opts, testRecords)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkDir(dir, testRecords); err != nil {
		t.Error(err)
	}
	if got := entries(t, cache); len(got) != 1 || got[0] != DirName {
		t.Errorf("cache holds %q, want only %s", got, DirName)
	}
}

func TestDownloadErrors(t *testing.T) {
	good := goodMembers()
	goodArchive := buildArchive(t, good)
	bin1 := DirName + "/data_batch_1.bin"
	badLabel := batchBytes(1, testRecords)
	badLabel[2*RecordSize] = 10

	// archive cases: the archive is served intact with its checksum.
	archives := []struct {
		name    string
		members []member
		want    string
	}{
		{"extra member", plus(good, member{name: DirName + "/extra.bin",
			typ: tar.TypeReg, body: []byte("x")}), `unexpected member "cifar-10-batches-bin/extra.bin"`},
		{"extra top-level file", plus(good, member{name: "notes.txt",
			typ: tar.TypeReg, body: []byte("x")}), `unexpected member "notes.txt"`},
		{"extra directory", plus(good, member{name: DirName + "/sub/",
			typ: tar.TypeDir}), "unexpected directory"},
		{"missing member", without(good, DirName+"/test_batch.bin"),
			`member "cifar-10-batches-bin/test_batch.bin" is missing`},
		{"missing meta", without(good, DirName+"/"+metaFile), "batches.meta.txt\" is missing"},
		{"duplicate member", plus(good, good[1]), "appears twice"},
		{"path escape", plus(good, member{name: "../evil", typ: tar.TypeReg,
			body: []byte("x")}), `"../evil" has an escaping path`},
		{"inner path escape", plus(good, member{name: DirName + "/../../evil",
			typ: tar.TypeReg, body: []byte("x")}), "escaping path"},
		{"absolute path", plus(good, member{name: "/tmp/evil", typ: tar.TypeReg,
			body: []byte("x")}), "absolute"},
		{"symlink", replaced(good, member{name: bin1, typ: tar.TypeSymlink,
			link: "/etc/passwd"}), "is a link"},
		{"hardlink", replaced(good, member{name: bin1, typ: tar.TypeLink,
			link: DirName + "/test_batch.bin"}), "is a link"},
		{"escaping symlink", plus(good, member{name: "../link", typ: tar.TypeSymlink,
			link: "/"}), "escaping path"},
		{"device", plus(good, member{name: DirName + "/dev", typ: tar.TypeChar}),
			"want a regular file"},
		{"wrong member size", replaced(good, member{name: bin1, typ: tar.TypeReg,
			body: batchBytes(1, testRecords+1)}), "is 12292 bytes, want 9219"},
		{"bad label", replaced(good, member{name: bin1, typ: tar.TypeReg, body: badLabel}),
			"record 2 has label 10"},
		{"wrong classes", replaced(good, member{name: DirName + "/" + metaFile,
			typ: tar.TypeReg, body: []byte("a\nb\n")}), "does not list the CIFAR-10 classes"},
	}
	for _, c := range archives {
		t.Run(c.name, func(t *testing.T) {
			archive := buildArchive(t, c.members)
			srv := newServer(t, archive, nil)
			opts := DownloadOptions{URL: srv.URL + "/x.tar.gz", SHA256: sha(archive),
				Size: int64(len(archive)), Client: srv.Client()}
			checkFails(t, opts, c.want, "archive from "+opts.URL, "--data DIR")
		})
	}

	// transfer cases.
	t.Run("wrong checksum", func(t *testing.T) {
		srv := newServer(t, goodArchive, nil)
		opts := DownloadOptions{URL: srv.URL, SHA256: sha([]byte("other")),
			Client: srv.Client()}
		checkFails(t, opts, "SHA-256 "+sha(goodArchive)+", want "+sha([]byte("other")),
			srv.URL, "removed", "--data DIR")
	})
	t.Run("length header larger than body", func(t *testing.T) {
		srv := newServer(t, nil, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(len(goodArchive)))
			w.Write(goodArchive[:len(goodArchive)/2])
		})
		opts := DownloadOptions{URL: srv.URL, SHA256: sha(goodArchive), Client: srv.Client()}
		checkFails(t, opts, "failed after", srv.URL, "--data DIR")
	})
	t.Run("short body", func(t *testing.T) {
		// no length header, so only the size check can notice.
		short := goodArchive[:len(goodArchive)-10]
		srv := newServer(t, nil, func(w http.ResponseWriter, r *http.Request) {
			w.Write(short)
			w.(http.Flusher).Flush()
		})
		opts := DownloadOptions{URL: srv.URL, SHA256: sha(goodArchive),
			Size: int64(len(goodArchive)), Client: srv.Client()}
		checkFails(t, opts, "got "+strconv.Itoa(len(short))+" bytes, want "+
			strconv.Itoa(len(goodArchive)), "truncated", srv.URL)
	})
	t.Run("server reports wrong size", func(t *testing.T) {
		srv := newServer(t, goodArchive, nil)
		opts := DownloadOptions{URL: srv.URL, SHA256: sha(goodArchive),
			Size: int64(len(goodArchive)) + 1, Client: srv.Client()}
		checkFails(t, opts, "server reports", srv.URL)
	})
	t.Run("longer body, no length", func(t *testing.T) {
		srv := newServer(t, nil, func(w http.ResponseWriter, r *http.Request) {
			w.Write(goodArchive)
			w.(http.Flusher).Flush()
			w.Write([]byte("trailing"))
		})
		opts := DownloadOptions{URL: srv.URL, SHA256: sha(goodArchive),
			Size: int64(len(goodArchive)), Client: srv.Client()}
		checkFails(t, opts, "got "+strconv.Itoa(len(goodArchive)+1)+" bytes", srv.URL)
	})
	t.Run("not found", func(t *testing.T) {
		srv := newServer(t, nil, http.NotFound)
		opts := DownloadOptions{URL: srv.URL, SHA256: sha(goodArchive), Client: srv.Client()}
		checkFails(t, opts, "404", srv.URL, "--data DIR")
	})
	t.Run("not gzip", func(t *testing.T) {
		body := []byte("<html>not an archive</html>")
		srv := newServer(t, body, nil)
		opts := DownloadOptions{URL: srv.URL, SHA256: sha(body), Client: srv.Client()}
		checkFails(t, opts, "not gzip", srv.URL)
	})
	t.Run("corrupt tar", func(t *testing.T) {
		var buf bytes.Buffer
		gz := gzip.NewWriter(&buf)
		gz.Write(bytes.Repeat([]byte{0xff}, 1024))
		gz.Close()
		srv := newServer(t, buf.Bytes(), nil)
		opts := DownloadOptions{URL: srv.URL, SHA256: sha(buf.Bytes()), Client: srv.Client()}
		checkFails(t, opts, "reading", srv.URL)
	})
	t.Run("cancelled", func(t *testing.T) {
		srv := newServer(t, goodArchive, nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		cache := t.TempDir()
		opts := DownloadOptions{URL: srv.URL, SHA256: sha(goodArchive), Client: srv.Client()}
		_, err := download(ctx, cache, opts, testRecords)
		checkOneLine(t, err, "context canceled", srv.URL)
		if got := entries(t, cache); len(got) != 0 {
			t.Errorf("cache holds %q after the error", got)
		}
	})
}

// checkFails downloads with opts into a new cache directory, expects an error
// containing every want, and checks that the cache is left empty.
func checkFails(t *testing.T, opts DownloadOptions, want ...string) {
	t.Helper()
	cache := t.TempDir()
	dir, err := download(context.Background(), cache, opts, testRecords)
	if dir != "" {
		t.Errorf("dir %q returned with the error", dir)
	}
	checkOneLine(t, err, want...)
	if got := entries(t, cache); len(got) != 0 {
		t.Errorf("cache holds %q after the error", got)
	}
	if _, err := os.Lstat(filepath.Join(filepath.Dir(cache), "evil")); err == nil {
		t.Errorf("a member escaped the cache directory")
	}
}
