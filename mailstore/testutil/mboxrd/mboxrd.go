// Package mboxrd reads the mbox files sesbox exports, for tests.
package mboxrd

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// Read splits an mboxrd file into its messages, undoing the quoting.
// It is the inverse of audit.ExportMbox for messages that end in a
// newline, written apart from it so that tests check one against the
// other.
func Read(r io.Reader) ([][]byte, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var (
		msgs [][]byte
		cur  []byte
		in   bool
	)
	finish := func() {
		if in {
			// Drop the blank separator line the writer adds.
			cur = bytes.TrimSuffix(cur, []byte("\n"))
			msgs = append(msgs, cur)
		}
	}
	prevBlank := true
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			switch {
			case prevBlank && bytes.HasPrefix(line, []byte("From ")):
				finish()
				cur, in = []byte{}, true
			case !in:
				return nil, errors.New("read mbox: the file does not start with a From_ line")
			case bytes.HasPrefix(bytes.TrimLeft(line, ">"), []byte("From ")):
				cur = append(cur, line[1:]...)
			default:
				cur = append(cur, line...)
			}
			prevBlank = len(bytes.TrimRight(line, "\r\n")) == 0
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	finish()
	return msgs, nil
}
