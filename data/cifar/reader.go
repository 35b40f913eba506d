package cifar

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// readAdvice ends errors about files that are present but wrong.
const readAdvice = "delete the directory and download again, " +
	"or pass --data DIR holding a good copy of " + DirName

// Load reads the five training batches of dir (50,000 images in the official
// order, data_batch_1.bin first) and the test batch (10,000 images).
//
// dir must hold the official files of DirName: every batch file exactly
// BatchFileSize bytes and batches.meta.txt naming ClassNames in order.
func Load(dir string) (train, test *Set, err error) {
	return load(dir, BatchRecords)
}

// LoadTrain reads the five training batches of dir, as Load does.
func LoadTrain(dir string) (*Set, error) {
	return loadTrain(dir, BatchRecords)
}

// LoadTest reads the test batch of dir, checking it as Load does.
func LoadTest(dir string) (*Set, error) {
	return loadTest(dir, BatchRecords)
}

// load is Load with records records per batch file.
func load(dir string, records int) (train, test *Set, err error) {
	if train, err = loadTrain(dir, records); err != nil {
		return nil, nil, err
	}
	if test, err = loadTest(dir, records); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// loadTrain is LoadTrain with records records per batch file.
func loadTrain(dir string, records int) (*Set, error) {
	if err := checkMeta(filepath.Join(dir, metaFile)); err != nil {
		return nil, err
	}

	// read the training batches straight into one set.
	train := newSet(len(trainFiles) * records)
	for k, name := range trainFiles {
		part := train.Slice(k*records, (k+1)*records)
		if _, err := readBatch(filepath.Join(dir, name), records, part); err != nil {
			return nil, err
		}
	}
	return train, nil
}

// loadTest is LoadTest with records records per batch file.
func loadTest(dir string, records int) (*Set, error) {
	if err := checkMeta(filepath.Join(dir, metaFile)); err != nil {
		return nil, err
	}
	return readBatch(filepath.Join(dir, testFile), records, nil)
}

// ReadBatch reads one batch file holding a whole, positive number of records.
// It checks that the size is a multiple of RecordSize and that every label is
// below NumClasses.
func ReadBatch(path string) (*Set, error) {
	return readBatch(path, 0, nil)
}

// readBatch reads the batch file path. records > 0 demands exactly that many
// records; records == 0 accepts any whole positive number. When dst is not nil
// the records are read into it (dst.N must equal records) and dst is returned.
func readBatch(path string, records int, dst *Set) (*Set, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cifar: %w; pass --data DIR holding the files of %s",
			err, DirName)
	}
	defer f.Close()

	// the size must be a whole number of records, and the expected number.
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("cifar: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("cifar: %s: not a regular file; %s", path, readAdvice)
	}
	size := fi.Size()
	switch {
	case size == 0:
		return nil, fmt.Errorf("cifar: %s: file is empty; %s", path, readAdvice)
	case size%RecordSize != 0:
		return nil, fmt.Errorf("cifar: %s: size %d bytes is not a whole number of "+
			"%d-byte records (truncated, or not a CIFAR-10 binary batch); %s",
			path, size, RecordSize, readAdvice)
	case records > 0 && size != int64(records)*RecordSize:
		return nil, fmt.Errorf("cifar: %s: size %d bytes, want %d (%d records of %d bytes); %s",
			path, size, int64(records)*RecordSize, records, RecordSize, readAdvice)
	}

	n := int(size / RecordSize)
	if dst == nil {
		dst = newSet(n)
	}
	if err := readRecords(path, f, dst.Images[:n*ImageBytes], dst.Labels[:n]); err != nil {
		return nil, err
	}
	return dst, nil
}

// readRecords reads len(labels) records from r into images [len(labels), 3, 32, 32]
// and labels, checking every label. path names r in errors.
func readRecords(path string, r io.Reader, images, labels []uint8) error {
	br := bufio.NewReaderSize(r, 1<<16)
	for i := range labels {
		if _, err := io.ReadFull(br, labels[i:i+1]); err != nil {
			return fmt.Errorf("cifar: %s: reading record %d: %v; %s", path, i, err, readAdvice)
		}
		if labels[i] >= NumClasses {
			return fmt.Errorf("cifar: %s: record %d has label %d, want 0-%d "+
				"(corrupt, or not a CIFAR-10 binary batch); %s",
				path, i, labels[i], NumClasses-1, readAdvice)
		}
		if _, err := io.ReadFull(br, images[i*ImageBytes:(i+1)*ImageBytes]); err != nil {
			return fmt.Errorf("cifar: %s: reading record %d: %v; %s", path, i, err, readAdvice)
		}
	}
	return nil
}

// checkMeta checks that the file path lists ClassNames, one per line in label
// order; blank lines and surrounding spaces are ignored.
func checkMeta(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("cifar: %w; pass --data DIR holding the files of %s", err, DirName)
	}
	defer f.Close()

	b, err := io.ReadAll(io.LimitReader(f, maxMetaSize+1))
	if err != nil {
		return fmt.Errorf("cifar: %s: %v; %s", path, err, readAdvice)
	}
	if len(b) > maxMetaSize {
		return fmt.Errorf("cifar: %s: larger than %d bytes, not a CIFAR-10 class list; %s",
			path, maxMetaSize, readAdvice)
	}
	return parseMeta(path, string(b))
}

// parseMeta checks that text, the contents of the file path, lists ClassNames.
func parseMeta(path, text string) error {
	var names []string
	for _, line := range strings.Split(text, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			names = append(names, line)
		}
	}
	if len(names) != NumClasses {
		return fmt.Errorf("cifar: %s: %d class names, want %d (not CIFAR-10); %s",
			path, len(names), NumClasses, readAdvice)
	}
	for i, name := range names {
		if name != ClassNames[i] {
			return fmt.Errorf("cifar: %s: class %d is %q, want %q (not CIFAR-10); %s",
				path, i, name, ClassNames[i], readAdvice)
		}
	}
	return nil
}
