package cifar

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// EnvData is the environment variable naming the CIFAR-10 directory (the one
// holding the .bin files) when no directory is given explicitly.
const EnvData = "KESTREL_DATA"

// DefaultDir returns the directory holding the CIFAR-10 files: explicit if it
// is not empty, else $KESTREL_DATA if set and not empty, else
// filepath.Join(os.UserCacheDir(), "kestrel", DirName). It does not check the
// directory.
func DefaultDir(explicit string) (string, error) {
	dir, _, err := resolveDir(explicit)
	return dir, err
}

// resolveDir is DefaultDir that also reports whether dir is the default cache
// location, the only place Ensure downloads into.
func resolveDir(explicit string) (dir string, isCache bool, err error) {
	if explicit != "" {
		return explicit, false, nil
	}
	if env := os.Getenv(EnvData); env != "" {
		return env, false, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", false, fmt.Errorf("cifar: no cache directory for the dataset (%v); "+
			"set %s or pass --data DIR", err, EnvData)
	}
	return filepath.Join(cache, "kestrel", DirName), true, nil
}

// Ensure returns a directory holding a complete dataset, resolved as
// DefaultDir(dataFlag) does.
//
// When the directory already holds every file with the right size, Ensure
// returns at once without reading the files. Otherwise, when the directory is
// the default cache location and download is true, it calls Download with
// opts into the parent of that directory; a directory given by dataFlag or
// $KESTREL_DATA is never written to, so an incomplete one is an error, as is
// a missing cache when download is false.
func Ensure(ctx context.Context, dataFlag string, download bool,
	opts DownloadOptions) (string, error) {
	return ensure(ctx, dataFlag, download, opts, BatchRecords)
}

// ensure is Ensure with records records per batch file.
func ensure(ctx context.Context, dataFlag string, allowDownload bool, opts DownloadOptions,
	records int) (string, error) {
	dir, isCache, err := resolveDir(dataFlag)
	if err != nil {
		return "", err
	}
	problem := checkDir(dir, records)
	if problem == nil {
		return dir, nil
	}

	// never download into a directory the user chose.
	if !isCache {
		return "", fmt.Errorf("cifar: %s; the directory was given by --data or $%s and "+
			"is never downloaded into: put the extracted %s files there, or unset both "+
			"to use the download cache", problem, EnvData, DirName)
	}
	if !allowDownload {
		return "", fmt.Errorf("cifar: dataset not in the cache (%s); enable downloading, "+
			"or download %s, extract it and pass --data DIR", problem, DefaultURL)
	}
	return download(ctx, filepath.Dir(dir), opts, records)
}

// checkDir reports the first file of dir that is missing or has the wrong size
// for records records per batch, or nil when all are present. It reads no data.
func checkDir(dir string, records int) error {
	want := int64(records) * RecordSize
	for _, name := range append(trainFiles[:len(trainFiles):len(trainFiles)], testFile) {
		path := filepath.Join(dir, name)
		fi, err := os.Stat(path)
		switch {
		case err != nil:
			return statProblem(path, err)
		case !fi.Mode().IsRegular():
			return fmt.Errorf("%s: not a regular file", path)
		case fi.Size() != want:
			return fmt.Errorf("%s: size %d bytes, want %d", path, fi.Size(), want)
		}
	}

	path := filepath.Join(dir, metaFile)
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		return statProblem(path, err)
	case !fi.Mode().IsRegular() || fi.Size() == 0 || fi.Size() > maxMetaSize:
		return fmt.Errorf("%s: not a CIFAR-10 class list", path)
	}
	return nil
}

// statProblem describes the failure err of os.Stat(path).
func statProblem(path string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: missing", path)
	}
	return err
}
