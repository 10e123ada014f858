package mailstore

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// FileNames hands out the file names of one directory that sesbox fills
// with one file per S3 key (a Maildir export, a forward dry run), so that
// every key gets its own file. The name a caller derives from a key is
// lossy: only the key's last segment is kept, and characters a file name
// cannot hold are dropped, so "inbox/a:b" and "inbox/ab", or "a/x" and
// "b/x", would share one file and the second would replace the first or
// fail. The zero value is ready to use.
type FileNames struct {
	taken map[string]string // name -> the key it was given to
}

// Name returns stem+ext for key, or, when another key already has that
// name, stem-<the first 8 hex digits of the key's SHA-256>+ext (16 digits,
// then a counter, in the unlikely case that too is taken). The same keys
// asked in the same order get the same names on every run; a key asked
// again gets its name again.
func (n *FileNames) Name(key, stem, ext string) string {
	if n.taken == nil {
		n.taken = map[string]string{}
	}
	sum := sha256.Sum256([]byte(key))
	h := hex.EncodeToString(sum[:])
	candidates := []string{stem + ext, stem + "-" + h[:8] + ext, stem + "-" + h[:16] + ext}
	for i := 2; ; i++ {
		for _, name := range candidates {
			if k, ok := n.taken[name]; !ok || k == key {
				n.taken[name] = key
				return name
			}
		}
		candidates = []string{fmt.Sprintf("%s-%s-%d%s", stem, h[:16], i, ext)}
	}
}
