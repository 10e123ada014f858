package audit

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// heldNew holds back the walk's new objects (in the bucket, not in the
// manifest), in key order, until the pass for mail deleted since the
// manifest: one listed by the walk and deleted before the pass is mail
// put since the manifest and lost, reported once as that, not as new
// too. They wait in a temporary file, one JSON line each, so that
// verify's memory stays bounded however much mail came since.
type heldNew struct {
	f   *os.File // nil until the first one
	w   *bufio.Writer
	enc *json.Encoder
	dec *json.Decoder // set by rewind
}

// add holds r back.
func (h *heldNew) add(r Result) error {
	if h.f == nil {
		f, err := os.CreateTemp("", "sesbox-verify-new-*.jsonl")
		if err != nil {
			return fmt.Errorf("hold the new objects until the versions are listed: %w", err)
		}
		h.f, h.w = f, bufio.NewWriter(f)
		h.enc = json.NewEncoder(h.w)
	}
	return h.enc.Encode(r)
}

// next is the next one held, in the order added; ok is false after the
// last.
func (h *heldNew) next() (r Result, ok bool, err error) {
	if h == nil || h.f == nil {
		return Result{}, false, nil
	}
	if h.dec == nil {
		if err := h.w.Flush(); err != nil {
			return Result{}, false, fmt.Errorf("hold the new objects: %w", err)
		}
		if _, err := h.f.Seek(0, io.SeekStart); err != nil {
			return Result{}, false, fmt.Errorf("hold the new objects: %w", err)
		}
		h.dec = json.NewDecoder(bufio.NewReader(h.f))
	}
	switch err := h.dec.Decode(&r); {
	case errors.Is(err, io.EOF):
		return Result{}, false, nil
	case err != nil:
		return Result{}, false, fmt.Errorf("read back the new objects held: %w", err)
	}
	return r, true, nil
}

// close removes the file.
func (h *heldNew) close() {
	if h != nil && h.f != nil {
		h.f.Close()
		os.Remove(h.f.Name())
	}
}
