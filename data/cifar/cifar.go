// Package cifar reads the CIFAR-10 dataset in its official binary layout and
// downloads, verifies and extracts the official archive.
//
// The binary layout is a directory named cifar-10-batches-bin holding
// data_batch_1.bin … data_batch_5.bin (training images 0–9999, …, 40000–49999),
// test_batch.bin and batches.meta.txt (the class names, one per line, label 0
// first). Each .bin file holds 10,000 records of RecordSize bytes: one label
// byte 0–9, then the red, green and blue planes of 32×32 bytes each, row-major.
//
// Load and ReadBatch read such files; DefaultDir, Ensure and Download find the
// data or fetch it into the user's cache directory.
package cifar

const (
	// ImageSize is the height and width of every image in pixels.
	ImageSize = 32

	// Channels is the number of colour planes per image (red, green, blue).
	Channels = 3

	// NumClasses is the number of labels; labels are 0 to NumClasses-1.
	NumClasses = 10

	// ImageBytes is the size of one image, Channels×ImageSize×ImageSize bytes.
	ImageBytes = Channels * ImageSize * ImageSize

	// RecordSize is the size of one record in a batch file: a label byte then
	// the image.
	RecordSize = 1 + ImageBytes

	// BatchRecords is the number of records in every official batch file.
	BatchRecords = 10000

	// BatchFileSize is the size in bytes of every official batch file.
	BatchFileSize = BatchRecords * RecordSize

	// DirName is the name of the directory the official archive extracts to.
	DirName = "cifar-10-batches-bin"
)

// ClassNames holds the class name of every label, label 0 first.
var ClassNames = [NumClasses]string{
	"airplane", "automobile", "bird", "cat", "deer",
	"dog", "frog", "horse", "ship", "truck",
}

// file names inside DirName.
var trainFiles = [...]string{
	"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
	"data_batch_4.bin", "data_batch_5.bin",
}

const (
	testFile   = "test_batch.bin"
	metaFile   = "batches.meta.txt"
	readmeFile = "readme.html"

	// maxMetaSize bounds batches.meta.txt; the official file is about 60 bytes.
	maxMetaSize = 4096
)

// Set holds N images and their labels.
//
// Images is uint8 [N, Channels, ImageSize, ImageSize]: for each image the red,
// green and blue planes, each row-major, exactly as in the batch files.
// Labels is uint8 [N] with values 0 to NumClasses-1.
type Set struct {
	Images []uint8
	Labels []uint8
	N      int
}

// newSet allocates a Set of n zero images.
func newSet(n int) *Set {
	return &Set{Images: make([]uint8, n*ImageBytes), Labels: make([]uint8, n), N: n}
}

// Image returns the ImageBytes bytes of image i, [Channels, ImageSize, ImageSize],
// sharing memory with s. It panics if i is not in [0, N).
func (s *Set) Image(i int) []uint8 {
	if i < 0 || i >= s.N {
		panic("cifar: Set.Image index out of range")
	}
	return s.Images[i*ImageBytes : (i+1)*ImageBytes : (i+1)*ImageBytes]
}

// Slice returns images from to to-1 as a Set sharing memory with s. It panics
// unless 0 <= from <= to <= N.
func (s *Set) Slice(from, to int) *Set {
	if from < 0 || from > to || to > s.N {
		panic("cifar: Set.Slice bounds out of range")
	}
	return &Set{
		Images: s.Images[from*ImageBytes : to*ImageBytes : to*ImageBytes],
		Labels: s.Labels[from:to:to],
		N:      to - from,
	}
}
