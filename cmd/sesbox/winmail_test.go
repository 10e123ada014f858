package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
)

// TestShowAndSaveTheFilesInAWinmailDat: show lists the files inside a
// real winmail.dat (mailstore/mime/tnef/testdata) as parts in the
// winmail.dat's, with names, types and sizes, and its RTF body as the
// body; save --part N writes one of them, byte for byte what Debian's
// tnef writes; save writes the winmail.dat and both; ls counts one
// attachment before the message is opened (a lower bound: the first
// range holds only the part's header) and after (exact: the count stays
// the MIME parts'). show listed the winmail.dat alone, saying sesbox cannot
// unpack it.
func TestShowAndSaveTheFilesInAWinmailDat(t *testing.T) {
	dir := isolate(t)
	dat, err := os.ReadFile(filepath.Join("..", "..", "mailstore", "mime", "tnef", "testdata", "attachments.dat"))
	if err != nil {
		t.Fatal(err)
	}
	var msg strings.Builder
	msg.WriteString(hostileReceipt("winmail00001") + "From: Sender <s@corp.example>\r\nTo: r@example.com\r\nSubject: Quarterly\r\nDate: Mon, 07 Dec 2026 10:00:00 +0000\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"_000_B\"\r\n\r\n" +
		"--_000_B\r\nContent-Type: application/ms-tnef; name=\"winmail.dat\"\r\nContent-Disposition: attachment; filename=\"winmail.dat\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	for enc := base64.StdEncoding.EncodeToString(dat); enc != ""; {
		n := min(76, len(enc))
		msg.WriteString(enc[:n] + "\r\n")
		enc = enc[n:]
	}
	msg.WriteString("--_000_B--\r\n")
	srv := fakes3.Start(t, "mail")
	srv.Put(t, "mail", "in/winmail00001", []byte(msg.String()))
	flags := []string{"--endpoint", srv.URL, "--bucket", "mail", "--prefix", "in/"}
	count := func(exact bool) any {
		rows := lsJSON(t, flags...)
		if len(rows) != 1 || rows[0]["attachmentsExact"] != exact {
			t.Fatalf("ls --json: %v", rows)
		}
		return rows[0]["attachments"]
	}
	if n := count(false); n != 1.0 { // the first range holds the part's header, not all of it
		t.Errorf("ls counts %v attachments, want 1", n)
	}
	out, errOut, code := sesbox(t, append(flags, "show", "winmail00001")...)
	if code != 0 {
		t.Fatalf("show: exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"Part 1 is Outlook's TNEF wrapping (winmail.dat): the 2 files inside it are parts 2 to 3; the body shown is its RTF as text.",
		"Casdasdfasdfasd\nCasdasdfasdfasd\n",
		"Attachments:\n  [1] winmail.dat  application/ms-tnef  96K\n  [2] zappa_av1.jpg  image/jpeg  2.9K  (in part 1)\n  [3] bookmark.htm  text/html  84K  (in part 1)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "no text body") || strings.Contains(out, "cannot unpack") {
		t.Errorf("show:\n%s", out)
	}

	one := filepath.Join(dir, "one")
	out, errOut, code = sesbox(t, append(flags, "save", "winmail00001", "--part", "2", "--dir", one)...)
	if code != 0 || strings.TrimSpace(out) != filepath.Join(one, "zappa_av1.jpg") {
		t.Fatalf("save --part 2: exit %d: %s%s", code, out, errOut)
	}
	b, err := os.ReadFile(filepath.Join(one, "zappa_av1.jpg"))
	sum := sha256.Sum256(b)
	if err != nil || hex.EncodeToString(sum[:]) != "bea844f30e0fcc20fad419a0d11032a6465da93c1da185a1196949955994409a" {
		t.Errorf("zappa_av1.jpg: %v, sha256 %x", err, sum)
	}
	all := filepath.Join(dir, "all")
	out, errOut, code = sesbox(t, append(flags, "save", "winmail00001", "--dir", all)...)
	if code != 0 {
		t.Fatalf("save: exit %d: %s", code, errOut)
	}
	var names []string
	for _, p := range strings.Fields(out) {
		names = append(names, filepath.Base(p))
	}
	sort.Strings(names)
	if strings.Join(names, " ") != "bookmark.htm winmail.dat zappa_av1.jpg" {
		t.Errorf("save wrote %v", names)
	}
	if b, err := os.ReadFile(filepath.Join(all, "winmail.dat")); err != nil || !bytes.Equal(b, dat) {
		t.Errorf("winmail.dat: %v, %d bytes, want %d", err, len(b), len(dat))
	}
	if n := count(true); n != 1.0 {
		t.Errorf("ls counts %v attachments after opening, want 1", n)
	}
}
