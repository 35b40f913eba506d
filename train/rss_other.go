//go:build !unix

package train

// PeakRSS returns 0: this system does not report peak memory through the
// portable interface.
func PeakRSS() int64 { return 0 }
