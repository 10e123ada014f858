package inventory

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go/format"
	"github.com/pierrec/lz4/v4"
)

// pageSizer tells how many bytes a compressed Parquet page really
// decompresses to, without holding more than its header states.
// parquet-go sizes its buffer by the header and lets a decoder (zstd,
// gzip, brotli, lz4) grow it to whatever the bytes give, so a page of a
// few KiB stating 1 MiB took 160 MB (a file of megabytes: gigabytes).
// Each page is checked here first, streamed into io.Discard (or, for the
// block formats, by the length they declare or into a buffer of the
// stated size), which costs one more decompression of the columns read.
type pageSizer struct {
	zstd *zstd.Decoder
	buf  []byte // the lz4 block's output, reused
}

func (s *pageSizer) close() {
	if s.zstd != nil {
		s.zstd.Close()
	}
}

// errPageSize is a page whose bytes decompress to another size than its
// header states.
var errPageSize = errors.New("decompresses to another size than its header states")

// check returns an error unless data, compressed by codec, decompresses to
// exactly want bytes. A codec it does not know is left to parquet-go
// (which refuses it).
func (s *pageSizer) check(codec format.CompressionCodec, data []byte, want int) error {
	var r io.Reader
	switch codec {
	case format.Uncompressed:
		return sizeIs(len(data), want)
	case format.Snappy:
		n, err := snappy.DecodedLen(data)
		if err != nil {
			return err
		}
		return sizeIs(n, want)
	case format.Lz4Raw:
		// A block has no length: it is decoded into a buffer of the
		// stated size plus one byte, which a longer block overflows.
		if cap(s.buf) < want+1 {
			s.buf = make([]byte, want+1)
		}
		n, err := lz4.UncompressBlock(data, s.buf[:want+1])
		if err != nil {
			return fmt.Errorf("%w (or is not LZ4)", errPageSize)
		}
		return sizeIs(n, want)
	case format.Gzip:
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return err
		}
		r = zr
	case format.Brotli:
		r = brotli.NewReader(bytes.NewReader(data))
	case format.Zstd:
		if s.zstd == nil {
			d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
				zstd.WithDecoderMaxWindow(maxParquetPage), zstd.WithDecoderMaxMemory(maxParquetPage+1))
			if err != nil {
				return err
			}
			s.zstd = d
		}
		if err := s.zstd.Reset(bytes.NewReader(data)); err != nil {
			return err
		}
		r = s.zstd
	default:
		return nil
	}
	n, err := io.Copy(io.Discard, io.LimitReader(r, int64(want)+1))
	if err != nil {
		return err
	}
	return sizeIs(int(n), want)
}

func sizeIs(n, want int) error {
	switch {
	case n > want:
		return fmt.Errorf("%w (more than %d bytes)", errPageSize, want)
	case n < want:
		return fmt.Errorf("%w (%d bytes, not %d)", errPageSize, n, want)
	}
	return nil
}
