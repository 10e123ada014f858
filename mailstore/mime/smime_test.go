package mime

import (
	"bytes"
	"encoding/base64"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore/testutil/cpubudget"
	"github.com/smallstep/pkcs7"
)

// TestOpaqueSMIMEIsOpened: an opaque S/MIME signature (application/
// pkcs7-mime; smime-type=signed-data: the message inside the PKCS#7 blob,
// as openssl smime -sign -nodetach writes it) is opened: its text is the
// body, its parts are listed after the blob (which stays part 1, to save),
// and the notice says what the signature check found: the content matches
// the certificate the blob carries (which proves nothing of who sent it),
// or it does not (the blob was altered after signing).
func TestOpaqueSMIMEIsOpened(t *testing.T) {
	v := Parse(readTestdata(t, "smime-opaque-signed.eml"))
	if got := strings.TrimSpace(v.Body()); got != "Hello from inside the signature." {
		t.Errorf("body = %q", got)
	}
	var names []string
	for _, p := range v.Attachments() {
		names = append(names, p.Filename)
	}
	if strings.Join(names, ",") != "smime.p7m,inner.pdf" {
		t.Errorf("attachments %q", names)
	}
	if pdf := v.Attachments()[1]; string(pdf.Bytes()) != "%PDF-1.4\n" || !pdf.Embedded || pdf.Index != 3 {
		t.Errorf("inner attachment = %+v", pdf)
	}
	if v.Summary.Attachments != 1 {
		t.Errorf("summary counts %d attachments, the message's own MIME parts are 1", v.Summary.Attachments)
	}
	notices := strings.Join(v.Notices, "\n")
	for _, want := range []string{"Signed with S/MIME (part 1)", "matches the certificate it carries (Alice Signer <alice@x.example>)", "does not prove who sent"} {
		if !strings.Contains(notices, want) {
			t.Errorf("notices lack %q:\n%s", want, notices)
		}
	}

	v = Parse(readTestdata(t, "smime-opaque-tampered.eml"))
	if got := strings.TrimSpace(v.Body()); got != "Jello from inside the signature." {
		t.Errorf("altered body = %q", got)
	}
	if notices := strings.Join(v.Notices, "\n"); !strings.Contains(notices, "does NOT match") || strings.Contains(notices, "matches the certificate") {
		t.Errorf("notices of an altered message:\n%s", notices)
	}
}

// TestOpaqueSMIMEHostile: a blob that is not PKCS#7, an enveloped (encrypted)
// blob labelled signed-data, and signatures nested deeper than
// maxSignedDepth each get a notice, never a crash.
func TestOpaqueSMIMEHostile(t *testing.T) {
	hdr := "From: a@x.example\r\nSubject: s\r\nContent-Type: application/pkcs7-mime; smime-type=signed-data\r\nContent-Transfer-Encoding: base64\r\n\r\n"
	v := Parse([]byte(hdr + "MIIHFgYJKoZIhvcNAQcCoIIHBzCCBwMCAQExDzANBglg\r\n"))
	if n := strings.Join(v.Notices, "\n"); !strings.Contains(n, "the signature cannot be read") {
		t.Errorf("notices of a broken blob: %q", v.Notices)
	}
	// Shapes the library's BER conversion is quadratic in (5 MB of the
	// first took it 74 s, of the second 40 s) are refused before it runs.
	for what, blob := range map[string][]byte{
		"more than 64 deep":        bytes.Repeat([]byte{0x24, 0x80, 0x04, 0x01, 0x41}, 200000),
		"more than 20000 elements": append([]byte{0x30, 0x80}, bytes.Repeat([]byte{0x04, 0x01, 0x41}, 200000)...),
	} {
		if _, notice := openSignedData(blob, 0); !strings.Contains(notice, what) {
			t.Errorf("a blob %s: %q", what, notice)
		}
	}
	der := signedDER(t)
	for range maxSignedDepth + 2 {
		der = wrapSignedData(t, der)
	}
	var inner *View
	var notice string
	if d := cpubudget.Used(func() { inner, notice = openSignedData(der, 0) }); d > time.Second {
		t.Errorf("deeply nested signatures took %v of CPU", d)
	}
	all := notice + "\n" + strings.Join(inner.Notices, "\n")
	if !strings.Contains(all, "nested in 3 other signatures: sesbox opens no deeper") || strings.Count(all, "Signed with S/MIME") != maxSignedDepth+1 {
		t.Errorf("deeply nested signatures: notices\n%s", all)
	}
}

// wrapSignedData is der as the message of an S/MIME signature (without a
// signer) around it.
func wrapSignedData(t *testing.T, der []byte) []byte {
	t.Helper()
	entity := "Content-Type: application/pkcs7-mime; smime-type=signed-data\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		base64.StdEncoding.EncodeToString(der) + "\r\n"
	sd, err := pkcs7.NewSignedData([]byte(entity))
	if err != nil {
		t.Fatal(err)
	}
	out, err := sd.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// signedDER is the PKCS#7 blob of smime-opaque-signed.eml.
func signedDER(t *testing.T) []byte {
	t.Helper()
	v := Parse(readTestdata(t, "smime-opaque-signed.eml"))
	return v.Parts[0].Bytes()
}

// FuzzOpenSignedData: any bytes as an opaque S/MIME blob give a notice,
// never a panic, within a second.
func FuzzOpenSignedData(f *testing.F) {
	raw, err := os.ReadFile(readDir + "/smime-opaque-signed.eml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(Parse(raw).Parts[0].Bytes())
	f.Add([]byte{0x30, 0x80, 0x30, 0x80, 0x30, 0x80})
	f.Fuzz(func(t *testing.T, der []byte) {
		start := time.Now()
		inner, notice := openSignedData(der, 0)
		if notice == "" || inner != nil && !strings.Contains(notice, "Signed with S/MIME") {
			t.Errorf("notice %q (inner %v)", notice, inner != nil)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("opening %d bytes took %v", len(der), d)
		}
	})
}
