package mailstore

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// FileNames hands out the file names of one directory that sesbox fills
// with one file per S3 key (a Maildir export, a forward dry run), so that
// every key gets its own file. The name a caller derives from a key is
// lossy: only the key's last segment is kept, and characters a file name
// cannot hold are dropped, so "inbox/a:b" and "inbox/ab", or "a/x" and
// "b/x", would share one file and the second would replace the first or
// fail. The zero value is ready to use.
//
// A key's name depends on the key alone, not on which other keys are
// named: an export of one message gives it the name the export of the
// whole mailbox gave it, so a later export into the same directory finds
// the same files. Only a key that is Prefix and then one segment the stem
// ends with, unchanged, gets the plain stem+ext (SES's keys: prefix and
// message id); every other key's name has its hash in it.
type FileNames struct {
	// Prefix is the mailbox's prefix, which the keys named start with.
	Prefix string
	taken  map[string]string // name -> the key it was given to
}

// Name returns stem+ext for a key the stem keeps whole (see FileNames),
// else stem-<the first 8 hex digits of the key's SHA-256>+ext. Should
// that name be another key's already (a hash prefix shared, or a key
// whose whole segment reads like another's hashed name), the key gets
// 16 digits, then a counter. A key asked again gets its name again.
func (n *FileNames) Name(key, stem, ext string) string {
	if n.taken == nil {
		n.taken = map[string]string{}
	}
	sum := sha256.Sum256([]byte(key))
	h := hex.EncodeToString(sum[:])
	candidates := []string{stem + "-" + h[:8] + ext, stem + "-" + h[:16] + ext}
	if rel, ok := strings.CutPrefix(key, n.Prefix); ok && rel != "" && !strings.Contains(rel, "/") && strings.HasSuffix(stem, rel) {
		candidates = append([]string{stem + ext}, candidates...)
	}
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
