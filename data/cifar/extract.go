package cifar

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// extract unpacks the verified archive file into filepath.Join(cacheDir, DirName)
// through a temporary directory renamed into place. url names the archive in
// errors. On error nothing new is left in cacheDir.
func extract(archive, url, cacheDir string, records int) (err error) {
	f, err := os.Open(archive)
	if err != nil {
		return fmt.Errorf("cifar: %w; retry", err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<16))
	if err != nil {
		return fmt.Errorf("cifar: archive from %s is not gzip (%v); %s",
			url, err, manualAdvice(DefaultURL))
	}

	tmp, err := os.MkdirTemp(cacheDir, "."+DirName+"-*.tmp")
	if err != nil {
		return fmt.Errorf("cifar: creating a temporary directory: %w; "+
			"set %s or pass --data DIR", err, EnvData)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()

	if err := extractTar(tar.NewReader(gz), url, tmp, records); err != nil {
		return err
	}
	return install(tmp, filepath.Join(cacheDir, DirName), records)
}

// extractTar writes the expected members of tr into dir, which must be empty,
// and checks that none is missing. See Download for what is rejected.
func extractTar(tr *tar.Reader, url, dir string, records int) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("cifar: archive from %s: %s; it is not the official CIFAR-10 "+
			"binary archive: download %s manually, extract it and pass --data DIR",
			url, fmt.Sprintf(format, args...), DefaultURL)
	}

	// expected regular members and their sizes; -1 means "small text".
	want := map[string]int64{metaFile: -1, testFile: int64(records) * RecordSize}
	for _, name := range trainFiles {
		want[name] = int64(records) * RecordSize
	}
	seen := map[string]bool{}

	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return bad("reading: %v", err)
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue
		}

		// the name must stay inside DirName, whatever the member type.
		name, err := memberName(hdr.Name)
		if err != nil {
			return bad("%v", err)
		}
		switch hdr.Typeflag {
		case tar.TypeReg:
		case tar.TypeDir:
			if name != DirName && name != "." {
				return bad("unexpected directory %q", hdr.Name)
			}
			continue
		case tar.TypeSymlink, tar.TypeLink:
			return bad("member %q is a link to %q", hdr.Name, hdr.Linkname)
		default:
			return bad("member %q has type %q, want a regular file", hdr.Name, hdr.Typeflag)
		}

		// regular files: only the expected names, once each, at their size.
		dirPart, base := path.Split(name)
		if dirPart != DirName+"/" {
			return bad("unexpected member %q", hdr.Name)
		}
		if seen[base] {
			return bad("member %q appears twice", hdr.Name)
		}
		seen[base] = true
		if base == readmeFile {
			continue
		}
		size, ok := want[base]
		switch {
		case !ok:
			return bad("unexpected member %q", hdr.Name)
		case size < 0 && (hdr.Size <= 0 || hdr.Size > maxMetaSize):
			return bad("member %q is %d bytes, want 1 to %d", hdr.Name, hdr.Size, maxMetaSize)
		case size >= 0 && hdr.Size != size:
			return bad("member %q is %d bytes, want %d", hdr.Name, hdr.Size, size)
		}
		if err := writeMember(tr, hdr, filepath.Join(dir, base), bad); err != nil {
			return err
		}
	}

	for _, base := range append(trainFiles[:len(trainFiles):len(trainFiles)], testFile, metaFile) {
		if !seen[base] {
			return bad("member %q is missing", DirName+"/"+base)
		}
	}
	if err := checkMeta(filepath.Join(dir, metaFile)); err != nil {
		return bad("member %q does not list the CIFAR-10 classes in order", DirName+"/"+metaFile)
	}
	return nil
}

// memberName returns the cleaned, slash-separated name of a tar member, or an
// error if the name is empty, absolute, has a backslash or a ".." element, or
// is otherwise not local.
func memberName(raw string) (string, error) {
	if raw == "" {
		return "", errors.New("member with an empty name")
	}
	if strings.HasPrefix(raw, "/") || filepath.IsAbs(raw) || filepath.VolumeName(raw) != "" {
		return "", fmt.Errorf("member %q has an absolute path", raw)
	}
	if strings.Contains(raw, `\`) {
		return "", fmt.Errorf("member %q has a backslash in its path", raw)
	}
	for _, el := range strings.Split(raw, "/") {
		if el == ".." {
			return "", fmt.Errorf("member %q has an escaping path", raw)
		}
	}
	if !filepath.IsLocal(filepath.FromSlash(raw)) {
		return "", fmt.Errorf("member %q has an escaping or reserved path", raw)
	}
	return path.Clean(raw), nil
}

// writeMember copies the current member of tr into the new file dst, checking
// the label of every record of batch files. bad formats archive errors.
func writeMember(tr *tar.Reader, hdr *tar.Header, dst string,
	bad func(string, ...any) error) (err error) {
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("cifar: %w; free disk space or fix permissions and retry", err)
	}
	defer func() {
		if cerr := out.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("cifar: %w; free disk space and retry", cerr)
		}
	}()

	var w io.Writer = out
	lc := &labelChecker{bad: -1}
	if strings.HasSuffix(dst, ".bin") {
		w = io.MultiWriter(out, lc)
	}
	n, err := io.Copy(w, tr)
	switch {
	case lc.bad >= 0:
		return bad("member %q: record %d has label %d, want 0-%d",
			hdr.Name, lc.bad/RecordSize, lc.label, NumClasses-1)
	case err != nil && errors.Is(err, io.ErrUnexpectedEOF):
		return bad("member %q is truncated", hdr.Name)
	case err != nil:
		return fmt.Errorf("cifar: writing %s: %w; free disk space and retry", dst, err)
	case n != hdr.Size:
		return bad("member %q has %d bytes, header says %d", hdr.Name, n, hdr.Size)
	}
	if err := out.Sync(); err != nil {
		return fmt.Errorf("cifar: writing %s: %w; free disk space and retry", dst, err)
	}
	return nil
}

// labelChecker is a writer that checks the label byte of every record passing
// through it; bad is the offset of the first bad label, -1 while none, and
// must start at -1.
type labelChecker struct {
	off   int64
	bad   int64
	label byte
}

func (c *labelChecker) Write(p []byte) (int, error) {
	first := (RecordSize - c.off%RecordSize) % RecordSize
	for j := first; j < int64(len(p)) && c.bad < 0; j += RecordSize {
		if p[j] >= NumClasses {
			c.bad, c.label = c.off+j, p[j]
		}
	}
	c.off += int64(len(p))
	if c.bad >= 0 {
		return 0, errors.New("bad label")
	}
	return len(p), nil
}

// install renames the complete directory tmp to final. If final exists and is
// complete (another process finished first) tmp is discarded; if it exists and
// is incomplete it is replaced.
func install(tmp, final string, records int) error {
	if err := os.Rename(tmp, final); err == nil {
		return nil
	}
	if checkDir(final, records) == nil {
		os.RemoveAll(tmp)
		return nil
	}

	// move the incomplete one aside, put ours in place, then delete the old.
	old := tmp + ".old"
	if err := os.Rename(final, old); err != nil {
		return fmt.Errorf("cifar: %s exists, is incomplete and cannot be replaced (%v); "+
			"delete it and retry", final, err)
	}
	if err := os.Rename(tmp, final); err != nil {
		os.Rename(old, final)
		return fmt.Errorf("cifar: cannot move the extracted files to %s (%v); "+
			"delete it and retry", final, err)
	}
	os.RemoveAll(old)
	return nil
}
